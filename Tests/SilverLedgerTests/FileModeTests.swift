import Foundation
import SilverLedgerStorage
import Testing

@testable import SilverLedger

/// The records are about people: a store's files are readable by their owner
/// only, whatever the process's umask lets through.
@Suite("File modes: 0600 files, 0700 directories")
struct FileModeTests {
    /// A snapshottable projection for the test.
    struct Texts: Projection, Codable {
        static let name = "texts"
        var count = 0
        mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) { count += 1 }
    }

    @Test func everyFileAndDirectoryOfAStoreIsTheOwnersAlone() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-modes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A permissive umask: the modes must not come from it.
        let previous = umask(0)
        defer { umask(previous) }

        var options = EventStoreOptions()
        options.sealKey = try SealKey(bytes: Array(repeating: 9, count: 32))   // SEALS too
        let store = try EventStore.open(at: dir, types: testTypes(), options: options)
        for i in 0..<60 {
            try await store.append([Noted(text: String(repeating: "记录", count: 40) + "\(i)")], to: "cadre-\(i % 5)", metadata: meta("m-\(i)"))
        }
        try store.saveSnapshot(try store.project(Texts.self))
        try store.close()
        // A torn tail set aside by the next open: recovered/ and its copy too.
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }.sorted()
        let last = try #require(segments.last)
        let handle = try #require(FileHandle(forWritingAtPath: dir + "/" + last))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0x5A, count: 50))
        try handle.close()
        let reopened = try EventStore.open(at: dir, types: testTypes(), options: options)
        try reopened.close()
        // A verification with the key records VERIFIED.
        var logOptions = LogOptions()
        logOptions.sealKey = options.sealKey
        #expect(try Log.verify(at: dir, options: logOptions).sealsChecked > 0)

        var seen: [String: Int] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: dir))
        for case let name as String in enumerator {
            let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/" + name)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
            let isDirectory = attributes[.type] as? FileAttributeType == .typeDirectory
            #expect(mode == (isDirectory ? 0o700 : 0o600), "\(name): \(String(mode, radix: 8))")
            seen[isDirectory ? "directory" : String(name.split(separator: ".").last ?? "")] = mode
        }
        let root = try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? NSNumber
        #expect(root?.intValue == 0o700)
        // Every kind of file was looked at.
        for kind in ["seg", "idx", "snap", "index", "tail", "directory", "HEAD", "LOCK", "STORE", "SEALS", "VERIFIED"] {
            #expect(seen[kind] != nil, "no \(kind) seen: \(seen.keys.sorted())")
        }
    }
}
