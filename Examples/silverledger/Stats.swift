import ArgumentParser
import Foundation
import SilverLedger
import SilverLedgerDomain
import SilverLedgerStorage

/// `stats`: the size and shape of a store.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Events, streams, segments, bytes on disk, compression ratio, first and last position and time.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "table or json.")
    var format: OutputFormat = .table

    struct Result: Encodable {
        var store: String
        var events: UInt64
        var streams: Int
        var commands: Int
        var segments: Int
        var batches: Int
        var bytesOnDisk: Int64
        var logBytes: Int64
        var uncompressedBytes: Int64
        var compressionRatio: Double?
        var firstPosition: UInt64?
        var lastPosition: UInt64?
        var firstRecordedAt: String?
        var lastRecordedAt: String?
        var chainHead: String
    }

    func run() async throws {
        try await guarded {
            let store = try storeOptions.openForReading()
            defer { try? store.close() }
            // The log's own figures, batch by batch (no decompression needed for the sizes).
            let log = try Log.open(at: storeOptions.path, options: {
                var o = LogOptions()
                o.readOnly = true
                o.encryptionKey = try storeOptions.encryptionKey()
                return o
            }())
            defer { try? log.close() }
            var batches = 0, logBytes: Int64 = 0, uncompressed: Int64 = 0
            var firstTime: Int64?, lastTime: Int64?
            let cursor = try log.cursor(from: 0)
            while let batch = try cursor.nextBatch() {
                batches += 1
                logBytes += Int64(batch.storedBytes)
                uncompressed += Int64(batch.uncompressedBytes)
                if firstTime == nil { firstTime = batch.firstTimestamp }
                lastTime = batch.lastTimestamp
            }
            var streams = Set<String>(), commands = Set<String>()
            try store.forEachEvent { event in
                streams.insert(event.streamID)
                commands.insert(event.metadata.commandID)
            }
            let end = store.nextPosition
            let result = Result(
                store: storeOptions.path, events: end, streams: streams.count, commands: commands.count, segments: log.segments.count,
                batches: batches, bytesOnDisk: directorySize(storeOptions.path), logBytes: logBytes, uncompressedBytes: uncompressed,
                compressionRatio: logBytes > 0 ? (Double(uncompressed) / Double(logBytes) * 100).rounded() / 100 : nil,
                firstPosition: end > 0 ? 0 : nil, lastPosition: end > 0 ? end - 1 : nil,
                firstRecordedAt: firstTime.map(timestamp), lastRecordedAt: lastTime.map(timestamp), chainHead: log.chainHead)
            if format == .json { return say(try json(result)) }
            var table = Table(["", ""], rightAligned: [])
            table.headers = ["store", result.store]
            table.add(["events", grouped(result.events)])
            table.add(["streams", grouped(result.streams)])
            table.add(["commands", grouped(result.commands)])
            table.add(["segments", grouped(result.segments)])
            table.add(["batches", grouped(result.batches)])
            table.add(["bytes on disk", "\(grouped(result.bytesOnDisk)) (log \(grouped(result.logBytes)), uncompressed \(grouped(result.uncompressedBytes)))"])
            table.add(["compression ratio", result.compressionRatio.map { String(format: "%.2f : 1", $0) } ?? "-"])
            table.add(["positions", end > 0 ? "0 … \(grouped(end - 1))" : "none"])
            table.add(["first recorded", result.firstRecordedAt ?? "-"])
            table.add(["last recorded", result.lastRecordedAt ?? "-"])
            table.add(["chain head", result.chainHead])
            say(table.render())
        }
    }
}

/// The bytes of every file under `path`.
func directorySize(_ path: String) -> Int64 {
    var total: Int64 = 0
    if let walker = FileManager.default.enumerator(atPath: path) {
        for case let name as String in walker {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name),
               (attributes[.type] as? FileAttributeType) == .typeRegular, let size = attributes[.size] as? NSNumber {
                total += size.int64Value
            }
        }
    }
    return total
}
