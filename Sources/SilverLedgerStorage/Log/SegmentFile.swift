/// A read handle on one segment file, closed when the last user lets go of it,
/// so that a cursor still reading never sees its descriptor reused.
final class SegmentFile: Sendable {
    let fs: any FileSystem
    let handle: FileHandle

    /// Opens the segment and checks its header: magic, checksum, version, store and first position.
    init(fs: any FileSystem, path: String, storeID: StoreID, firstPosition: UInt64) throws(StorageError) {
        self.fs = fs
        let handle = try fs.open(path, .read)
        self.handle = handle
        let bytes = try fs.read(handle, count: Format.segmentHeaderLength, at: 0)
        switch bytes.withUnsafeBytes({ SegmentHeader.decode($0) }) {
        case .failure(let problem):
            throw StorageError(.corrupted, problem.message, path: path, offset: 0, position: firstPosition)
        case .success(let header):
            if header.storeID != storeID || header.firstPosition != firstPosition {
                throw StorageError(.corrupted, "segment header names store \(header.storeID) at position \(header.firstPosition), expected \(storeID) at \(firstPosition)", path: path, offset: 16, position: firstPosition)
            }
        }
    }

    deinit { fs.close(handle) }
}

/// What the engine knows of one segment.
struct SegmentState: Sendable {
    var firstPosition: UInt64
    var path: String
    var indexPath: String
    var index: SegmentIndex
    var readFile: SegmentFile?
}

/// Paths inside a store directory.
struct StorePaths: Sendable {
    let directory: String
    var manifest: String { directory + "/" + Format.manifestFileName }
    var lock: String { directory + "/" + Format.lockFileName }
    var head: String { directory + "/" + Format.headFileName }
    var seals: String { directory + "/" + Format.sealsFileName }
    var verified: String { directory + "/" + Format.verifiedFileName }
    var recovered: String { directory + "/" + Format.recoveredDirectoryName }
    func segment(_ first: UInt64) -> String { directory + "/" + Format.fileStem(first) + Format.segmentSuffix }
    func index(_ first: UInt64) -> String { directory + "/" + Format.fileStem(first) + Format.indexSuffix }

    /// A path in `recovered/` for `base + suffix` that no file there has yet:
    /// `base + suffix`, else `base.1 + suffix`, `base.2 + suffix`, … (nothing set aside is overwritten).
    func unusedRecoveredPath(_ base: String, suffix: String = "", fs: any FileSystem) throws(StorageError) -> String {
        let existing = Set(try fs.contentsOfDirectory(recovered) ?? [])
        var name = base + suffix
        var n = 1
        while existing.contains(name) {
            name = base + ".\(n)" + suffix
            n += 1
        }
        return recovered + "/" + name
    }

    init(_ directory: String) {
        var d = directory
        while d.count > 1 && d.hasSuffix("/") { d.removeLast() }
        self.directory = d
    }
}
