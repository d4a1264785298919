import Foundation
import SilverLedgerStorage
import Testing

@testable import SilverLedger

/// An event store created with an encryption key: events, snapshots and the
/// saved indexes are encrypted; it opens only with its key.
@Suite("Encrypted event stores")
struct EncryptedStoreTests {
    struct Names: Projection, Codable, Equatable {
        static let name = "names"
        var texts: [String] = []
        mutating func apply(_ event: RecordedEvent, decoded: (any Event)?) {
            if let noted = decoded as? Noted { texts.append(noted.text) }
        }
    }

    @Test func eventsSnapshotsAndIndexesAreEncryptedAndReadBackWithTheKey() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-encrypted-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = try EncryptionKey(bytes: Array(repeating: 3, count: 32))
        var options = EventStoreOptions()
        options.encryptionKey = key
        let store = try EventStore.open(at: dir, types: testTypes(), options: options)
        for i in 0..<30 {
            try await store.append([Noted(text: "走访 张三丰 C0000\(i)")], to: "cadre-C0000\(i % 4)", metadata: meta("visit-\(i)"))
        }
        try store.saveSnapshot(try store.project(Names.self))
        try store.close()   // writes snapshots/store.index

        // No file holds a name, an id, a stream or a command id in clear.
        let files = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? []
        var checked = 0
        for name in files {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            for needle in ["张三丰", "cadre-C0000", "visit-1", "Noted"] {
                let n = Array(needle.utf8)
                let found = bytes.count >= n.count && (0...(bytes.count - n.count)).contains { bytes[$0..<($0 + n.count)].elementsEqual(n) }
                #expect(!found, "\(name) holds \(needle) in clear")
            }
            checked += 1
        }
        #expect(checked >= 7 && files.contains("snapshots/store.index") && files.contains("snapshots/names.snap"), "\(files)")

        let reopened = try EventStore.open(at: dir, types: testTypes(), options: options)
        #expect(reopened.nextPosition == 30)
        #expect(reopened.knowsCommand("visit-7"))
        let projected = try reopened.project(Names.self)
        #expect(projected.usedSnapshot && projected.projection.texts.count == 30)
        #expect(projected.projection == (try reopened.project(Names.self, usingSnapshot: false)).projection)
        #expect(try reopened.readStream("cadre-C00001").count == 8)
        try reopened.close()

        // A damaged snapshot does not decrypt: it is ignored and the state rebuilt from the log.
        let snapshot = dir + "/snapshots/names.snap"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: snapshot)))
        bytes[bytes.count / 2] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: snapshot))
        let again = try EventStore.open(at: dir, types: testTypes(), options: options)
        let rebuilt = try again.project(Names.self)
        #expect(!rebuilt.usedSnapshot && rebuilt.projection == projected.projection)
        try again.close()

        // Without the key, or with another: a clear error naming the ids; nothing changes on disk.
        for other in [nil, try EncryptionKey(bytes: Array(repeating: 4, count: 32))] {
            var wrong = EventStoreOptions()
            wrong.encryptionKey = other
            let error = await eventStoreError { _ = try EventStore.open(at: dir, types: testTypes(), options: wrong) }
            #expect(error?.storageKind == .encryptionKey && error?.message.contains("encrypted with key id \(key.idHex)") == true, "\(String(describing: error))")
        }
        // Verify needs no key for the structure.
        let report = try Log.verify(at: dir)
        #expect(report.isIntact && report.encryptedPayloadsNotDecrypted == 30 && report.encryptionKeyID == key.id)
    }
}
