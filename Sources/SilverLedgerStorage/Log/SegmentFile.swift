/// A read handle on one segment file, closed when the last user lets go of it,
/// so that a cursor still reading never sees its descriptor reused.
final class SegmentFile: Sendable {
    let fs: any FileSystem
    let handle: FileHandle

    init(fs: any FileSystem, path: String) throws(StorageError) {
        self.fs = fs
        self.handle = try fs.open(path, .read)
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
    var recovered: String { directory + "/" + Format.recoveredDirectoryName }
    func segment(_ first: UInt64) -> String { directory + "/" + Format.fileStem(first) + Format.segmentSuffix }
    func index(_ first: UInt64) -> String { directory + "/" + Format.fileStem(first) + Format.indexSuffix }

    init(_ directory: String) {
        var d = directory
        while d.count > 1 && d.hasSuffix("/") { d.removeLast() }
        self.directory = d
    }
}
