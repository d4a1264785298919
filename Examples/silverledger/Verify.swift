import ArgumentParser
import Foundation
import SilverLedger
import SilverLedgerDomain
import SilverLedgerStorage

/// `verify`: every batch checked, then every event decoded.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every batch (structure, CRC32C, decompression, hash chain, index files) and decode every event.",
        discussion: "Exits 1 if anything is damaged or was altered, naming the segment file, byte offset and position.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("Start at the segment holding log position POS (the chain is taken from the segment before it).", valueName: "POS"))
    var from: UInt64 = 0

    @Flag(help: "With a key: verify the whole log, not only what came after the position verified last.")
    var full = false

    @Option(help: "table or json.")
    var format: OutputFormat = .table

    struct Result: Encodable {
        var store: String
        var intact: Bool
        /// unsealed, sealed (not checked: no key) or checked.
        var seals: String
        var sealCount: Int
        var sealsChecked: Int
        var sealedThrough: UInt64?
        var resumedFrom: UInt64?
        /// none, encrypted (records not checked: no key) or encrypted, decrypted.
        var encryption: String
        var encryptionKeyID: String?
        var payloadsNotDecrypted: Int
        var segments: Int
        var batches: Int
        var records: UInt64
        var eventsDecoded: UInt64
        var storedBytes: Int64
        var uncompressedBytes: Int64
        var firstPosition: UInt64
        var nextPosition: UInt64
        var chainHead: String
        var problems: [Problem]
    }

    struct Problem: Encodable {
        var kind: String
        var file: String
        var offset: Int64?
        var position: UInt64?
        var message: String
    }

    func run() async throws {
        try await guarded {
            guard storeOptions.exists else { throw Failure("no store at \(storeOptions.path)", code: Exit.io) }
            let bar = ProgressBar("verifying", unit: "bytes")
            let key = try storeOptions.sealKey()
            let encryptionKey = try storeOptions.encryptionKey()
            var logOptions = LogOptions()
            logOptions.sealKey = key
            logOptions.encryptionKey = encryptionKey
            let report = try Log.verify(at: storeOptions.path, from: from, options: logOptions, incremental: key != nil && !full) { done, total in
                bar.update(done, of: total)
            }
            bar.finish()
            var problems = report.problems.map {
                Problem(kind: $0.kind.rawValue, file: $0.path, offset: $0.offset, position: $0.position, message: $0.message)
            }
            // Every event of the intact batches: its envelope and its payload decode with the domain's types.
            var decoded: UInt64 = 0
            // An encrypted store's events are decoded only with its key.
            if report.isIntact && (report.encryptionKeyID == nil || encryptionKey != nil) {
                let store = try storeOptions.openForReading()
                defer { try? store.close() }
                let events = ProgressBar("decoding", unit: "events")
                let total = Int64(store.nextPosition - min(store.nextPosition, report.firstPosition))
                do {
                    try store.forEachEvent(from: report.firstPosition) { event in
                        do { _ = try event.decoded(with: store.types) } catch {
                            throw Failure("the payload of event \(event.position) (\(event.eventType) v\(event.schemaVersion), stream \(event.streamID)) does not decode: \(error)", code: Exit.corruption)
                        }
                        decoded += 1
                        if decoded & 4095 == 0 { events.update(Int64(decoded), of: total) }
                    }
                } catch {
                    let failure = Failure(error)
                    problems.append(Problem(kind: "corruption", file: storeOptions.path, offset: nil, position: report.firstPosition + decoded, message: failure.message))
                }
                events.finish()
            }
            let intact = !problems.contains { $0.kind == "corruption" || $0.kind == "tornTail" }
            let seals = report.seals == 0 ? "unsealed" : key == nil ? "sealed (not checked: give --key-file)" : "checked"
            let result = Result(
                store: storeOptions.path, intact: intact, seals: seals, sealCount: report.seals, sealsChecked: report.sealsChecked,
                sealedThrough: report.sealedThrough, resumedFrom: report.resumedFrom,
                encryption: report.encryptionKeyID == nil ? "none" : encryptionKey == nil ? "encrypted (records not checked: give --encryption-key-file)" : "encrypted, decrypted",
                encryptionKeyID: report.encryptionKeyID.map(EncryptionKey.hexID), payloadsNotDecrypted: report.encryptedPayloadsNotDecrypted,
                segments: report.segments, batches: report.batches, records: report.records,
                eventsDecoded: decoded, storedBytes: report.storedBytes, uncompressedBytes: report.uncompressedBytes,
                firstPosition: report.firstPosition, nextPosition: report.nextPosition, chainHead: report.chainHead, problems: problems)
            if format == .json {
                say(try json(result))
            } else {
                say("checked \(plural(result.segments, "segment")), \(plural(result.batches, "batch", "batches")), \(grouped(result.records)) records "
                    + "(positions \(grouped(result.firstPosition))..<\(grouped(result.nextPosition))): structure, CRC32C, decompression, hash chain, index files")
                say("decoded \(grouped(decoded)) events: envelopes and payloads")
                say("chain head \(result.chainHead)")
                if let resumed = report.resumedFrom {
                    say("incremental: taken up at position \(grouped(resumed)), verified last with this key (--full checks the whole log)")
                }
                if let id = result.encryptionKeyID {
                    say(encryptionKey == nil
                        ? "encrypted (key id \(id)): \(plural(report.encryptedPayloadsNotDecrypted, "payload")) checked by CRC32C and hash chain only; give --encryption-key-file to decrypt and decode them"
                        : "encrypted (key id \(id)): every payload decrypted and authenticated")
                }
                switch (report.seals, key) {
                case (0, nil): say("unsealed: the store has no seal (a writer given --key-file seals it)")
                case (let n, nil): say("\(plural(n, "seal")) present, not checked: give --key-file to check them")
                case (let n, _?):
                    let through = report.sealedThrough.map { " sealed through position \(grouped($0))" } ?? ""
                    say("\(report.sealsChecked) of \(plural(n, "seal")) checked with the key;\(through)")
                }
                for problem in problems {
                    var place = "file \(problem.file)"
                    if let offset = problem.offset { place += ", byte offset \(grouped(offset))" }
                    if let position = problem.position { place += ", position \(grouped(position))" }
                    let label = problem.kind == "corruption" || problem.kind == "tornTail" ? Terminal.red(problem.kind) : Terminal.yellow(problem.kind)
                    say("\(label): \(problem.message) (\(place))")
                }
                say(intact ? Terminal.green("intact") : Terminal.red("DAMAGED: see above; `silverledger repair` sets the damaged part aside"))
            }
            if !intact { throw ExitCode(Exit.corruption) }
        }
    }
}

/// `repair`: the storage engine's repair.
struct Repair: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut the log at its first bad batch, after copying the damaged segment aside into recovered/.",
        discussion: "Nothing is deleted: the damaged segment is copied whole, and later segments are moved, into recovered/.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "table or json.")
    var format: OutputFormat = .table

    struct Result: Encodable {
        var repaired: Bool
        var kept: UInt64
        var truncatedSegment: String?
        var truncatedAt: Int64?
        var damage: String?
        var setAside: [String]
    }

    func run() async throws {
        try await guarded {
            guard storeOptions.exists else { throw Failure("no store at \(storeOptions.path)", code: Exit.io) }
            var options = LogOptions()
            options.encryptionKey = try storeOptions.encryptionKey()   // with it, payloads that do not decrypt are damage too
            let report = try Log.repair(at: storeOptions.path, options: options)
            let result = Result(repaired: report.repaired, kept: report.nextPosition, truncatedSegment: report.truncatedSegment,
                                truncatedAt: report.truncatedAt, damage: report.damage, setAside: report.setAside)
            if format == .json { return say(try json(result)) }
            guard report.repaired else {
                return say("nothing to repair: every batch checks; kept all \(grouped(report.nextPosition)) events")
            }
            say("damage: \(report.damage ?? "?")")
            say("kept positions 0..<\(grouped(report.nextPosition)) (\(grouped(report.nextPosition)) events, every batch checked)")
            if let segment = report.truncatedSegment, let offset = report.truncatedAt {
                say("cut \(segment) at byte offset \(grouped(offset))")
            }
            for path in report.setAside { say("set aside: \(path)") }
        }
    }
}

/// `keygen`: a new key file, for seals (`--key-file`) or encryption (`--encryption-key-file`).
struct Keygen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new random key (32 bytes as 64 hex digits) to a file of mode 0600, for --key-file or --encryption-key-file.",
        discussion: "Keep it away from the store: whoever reads a seal key can seal a forged log, whoever reads an encryption key can read the records. Make one file per purpose. Never overwrites a file.")

    @Argument(help: ArgumentHelp("The key file to create.", valueName: "FILE"))
    var file: String

    func run() async throws {
        try await guarded {
            let (key, text) = SealKey.generated()
            let fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else {
                throw Failure("cannot create \(file): \(String(cString: strerror(errno)))\(errno == EEXIST ? " (a key file is never overwritten)" : "")", code: Exit.io)
            }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
                throw Failure("cannot write \(file): \(String(cString: strerror(errno)))", code: Exit.io)
            }
            // Read back as both kinds of key: the file is what the other commands will read.
            let seal = try SealKey(contentsOfFile: file), encryption = try EncryptionKey(contentsOfFile: file)
            guard seal.id == key.id else { throw Failure("\(file) does not read back as the key written", code: Exit.io) }
            say("wrote a new key to \(file): key id \(seal.idHex) as a seal key (--key-file), \(encryption.idHex) as an encryption key (--encryption-key-file); use one file per purpose")
        }
    }
}
