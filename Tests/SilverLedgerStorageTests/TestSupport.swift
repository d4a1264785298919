import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@testable import SilverLedgerStorage

// Helpers shared by the storage tests: temporary directories, deterministic
// random bytes, reading a whole log, looking at segment files byte by byte,
// and the child process used by the lock and crash tests.

// MARK: Temporary directories

/// Creates a fresh directory under the system temporary directory, runs `body`
/// with its path and removes it afterwards (also when `body` throws).
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// The `async` form of ``withTemporaryDirectory(_:)``.
func withTemporaryDirectoryAsync<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

private func makeTemporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("silverledger-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

// MARK: Random bytes

/// Deterministic pseudo-random numbers, so that failures reproduce.
typealias TestRNG = SplitMix64

extension SplitMix64 {
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// Incompressible bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count + 8)
        while out.count < count {
            let v = next()
            for k in 0..<8 where out.count < count { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
        }
        return out
    }
}

/// Bytes LZ4 compresses well: a short phrase repeated.
func compressibleBytes(_ count: Int, tag: Int = 0) -> [UInt8] {
    let phrase = Array("silverledger record \(tag) / ".utf8)
    return (0..<count).map { phrase[$0 % phrase.count] }
}

// MARK: Logs

/// Options for tests that do not care about durability: appends are not synced one by one.
func fastOptions(segmentSize: Int? = nil) -> LogOptions {
    var options = LogOptions(durability: .none)
    if let segmentSize { options.segmentSize = segmentSize }
    return options
}

/// Every record from `position` on.
func readAll(_ log: Log, from position: UInt64 = 0, verifyingChain: Bool = false) throws -> [LogRecord] {
    let cursor = try log.cursor(from: position, verifyingChain: verifyingChain)
    var records: [LogRecord] = []
    while let record = try cursor.next() { records.append(record) }
    return records
}

/// Every batch from `position` on, as records grouped by batch.
func readBatches(_ log: Log, from position: UInt64 = 0) throws -> [[LogRecord]] {
    let cursor = try log.cursor(from: position)
    var batches: [[LogRecord]] = []
    while let batch = try cursor.nextBatch() { batches.append(batch.records) }
    return batches
}

/// The error `body` throws, or nil (recording an issue) if it throws none or something else.
func storageError(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> StorageError? {
    do {
        try body()
        Issue.record("expected a StorageError, nothing was thrown. \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The `async` form of ``storageError(_:sourceLocation:_:)``.
func storageErrorAsync(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> StorageError? {
    do {
        try await body()
        Issue.record("expected a StorageError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Appends `batches` (payload lists) and returns the receipts.
@discardableResult
func appendAll(_ log: Log, _ batches: [[[UInt8]]]) throws -> [AppendReceipt] {
    try batches.map { try log.append(LogBatch($0)) }
}

/// `count` batches of 1...`maxRecords` incompressible records of 1...`maxBytes` bytes.
func randomBatches(_ count: Int, maxRecords: Int = 5, maxBytes: Int = 100, seed: UInt64) -> [[[UInt8]]] {
    var rng = TestRNG(seed: seed)
    return (0..<count).map { _ in
        (0..<rng.int(in: 1...maxRecords)).map { _ in rng.bytes(rng.int(in: 1...maxBytes)) }
    }
}

// MARK: Files

func fileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func fileSize(_ path: String) throws -> Int64 {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.size] as! NSNumber).int64Value
}

/// Flips every bit of the byte at `offset`.
func flipByte(at offset: Int64, in path: String) throws {
    var bytes = try fileBytes(path)
    bytes[Int(offset)] ^= 0xFF
    try writeFile(path, bytes)
}

func truncateFile(_ path: String, to length: Int64) throws {
    #expect(truncate(path, off_t(length)) == 0, "truncate \(path) to \(length): errno \(errno)")
}

func appendToFile(_ path: String, _ bytes: [UInt8]) throws {
    let handle = try Foundation.FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(bytes))
}

/// The names in `directory` ending in `suffix`, sorted.
func fileNames(in directory: String, suffix: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) }.sorted()
}

/// The segment files of the store, sorted (full paths).
func segmentPaths(_ directory: String) throws -> [String] {
    try fileNames(in: directory, suffix: ".seg").map { directory + "/" + $0 }
}

/// The index files of the store, sorted (full paths).
func indexPaths(_ directory: String) throws -> [String] {
    try fileNames(in: directory, suffix: ".idx").map { directory + "/" + $0 }
}

func removeIndexes(_ directory: String) throws {
    for path in try indexPaths(directory) { try FileManager.default.removeItem(atPath: path) }
}

/// Sets `HEAD` as a crash during the write that starts at `location` of
/// `segment` leaves it: the writer's durable watermark is where the write
/// before it ended. (A closed store's HEAD covers everything, so damage to
/// its last batch is damage to an acknowledged write, not a torn one.)
func rewindHead(_ directory: String, segment: String, before location: BatchLocation) throws {
    let name = String(segment.split(separator: "/").last!)
    let first = try #require(Format.position(fromFileName: name, suffix: Format.segmentSuffix))
    let head = Head(segmentFirstPosition: first, endOffset: location.offset, nextPosition: location.header.firstPosition, durable: true)
    try writeFile(directory + "/HEAD", head.encoded())
}

/// A copy of `source` (a closed store) at `destination`.
func copyStore(_ source: String, to destination: String) throws {
    if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
    try FileManager.default.copyItem(atPath: source, toPath: destination)
}

/// A batch as it lies in a segment file.
struct BatchLocation: Equatable {
    var offset: Int64
    var header: BatchHeader
    var endOffset: Int64 { offset + Int64(header.totalLength) }
}

/// The batches of a segment file, found by walking its headers (each must decode).
func batchLocations(inSegment path: String) throws -> [BatchLocation] {
    let bytes = try fileBytes(path)
    var out: [BatchLocation] = []
    var offset = Format.segmentHeaderLength
    while offset < bytes.count {
        let decoded = bytes.withUnsafeBytes { b in
            BatchHeader.decode(UnsafeRawBufferPointer(rebasing: b[offset..<min(b.count, offset + Format.batchHeaderLength)]))
        }
        let header = try decoded.get()
        out.append(BatchLocation(offset: Int64(offset), header: header))
        offset += header.totalLength
    }
    #expect(offset == bytes.count, "segment \(path) does not end at a batch boundary")
    return out
}

// MARK: The child process

/// The `silverledger-crash-child` executable, built next to the test bundle.
func crashChildPath() throws -> String {
    let candidates = [
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")),
        CommandLine.arguments.first,
        Bundle.main.executablePath,
    ].compactMap { $0 }
    for executable in candidates {
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("silverledger-crash-child").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
    }
    throw ChildError("silverledger-crash-child not found next to \(candidates); run `swift build --build-tests` first")
}

struct ChildError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A running `silverledger-crash-child`, its output collected line by line on a thread of its own.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let condition = NSCondition()
    private var lines: [String] = []
    private var partial = ""
    private var stdoutClosed = false
    private var stderrText = ""
    private var stderrClosed = false

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: try crashChildPath())
        process.arguments = arguments
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = Foundation.FileHandle.nullDevice
        try process.run()
        let out = stdoutPipe.fileHandleForReading
        let err = stderrPipe.fileHandleForReading
        drain(out, closed: { $0.stdoutClosed = true }) { child, text in
            child.partial += text
            while let newline = child.partial.firstIndex(of: "\n") {
                child.lines.append(String(child.partial[..<newline]))
                child.partial = String(child.partial[child.partial.index(after: newline)...])
            }
        }
        drain(err, closed: { $0.stderrClosed = true }) { child, text in child.stderrText += text }
    }

    var pid: Int32 { process.processIdentifier }

    /// The complete lines written to stdout so far.
    var outputLines: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    var stderr: String {
        condition.lock()
        defer { condition.unlock() }
        return stderrText
    }

    /// Waits for a stdout line starting with `prefix`; nil on timeout or if the child closes stdout first.
    /// Reads `handle` on a thread of its own until end of file, handing each chunk to
    /// `append` and then `closed` to the end, under the condition, waking waiters.
    private func drain(_ handle: Foundation.FileHandle, closed: @escaping @Sendable (ChildProcess) -> Void,
                       append: @escaping @Sendable (ChildProcess, String) -> Void) {
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                condition.lock()
                if data.isEmpty {
                    closed(self)
                } else {
                    append(self, String(decoding: data, as: UTF8.self))
                }
                condition.broadcast()
                condition.unlock()
                if data.isEmpty { return }
            }
        }
    }

    func waitForLine(prefix: String, timeout: TimeInterval = 30) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return line }
            if stdoutClosed || !condition.wait(until: deadline) { return lines.first(where: { $0.hasPrefix(prefix) }) }
        }
    }

    /// SIGKILLs the child, reaps it and waits until its output is all read.
    func killAndReap() {
        if process.isRunning { _ = kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let deadline = Date().addingTimeInterval(10)
        condition.lock()
        while !(stdoutClosed && stderrClosed) && condition.wait(until: deadline) {}
        condition.unlock()
    }

    deinit {
        if process.isRunning { _ = kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

// MARK: The crash child's records

/// The payload the crash child writes for the record at `position`, the
/// `index`-th of a batch of `count` starting at `batchFirst`. Must match
/// `crashRecord` in Tests/CrashChild/main.swift.
/// The key of the encrypted crash store; must match `crashEncryptionKey()` in Tests/CrashChild/main.swift.
let crashEncryptionKey = try! EncryptionKey(bytes: (0..<32).map { UInt8(0xC0 ^ $0) })

func crashRecord(position: UInt64, batchFirst: UInt64, index: UInt32, count: UInt32) -> [UInt8] {
    var rng = TestRNG(seed: position &* 0x2545_F491_4F6C_DD1D ^ 0x5EED)
    let fillerLength = Int(rng.next() % 256)
    var out: [UInt8] = []
    out.reserveCapacity(24 + fillerLength)
    out.appendLE(position)
    out.appendLE(batchFirst)
    out.appendLE(index)
    out.appendLE(count)
    if position % 4 == 0 {
        for i in 0..<fillerLength { out.append(UInt8(65 + (i + Int(position % 7)) % 23)) }
    } else {
        out.append(contentsOf: rng.bytes(fillerLength))
    }
    return out
}

/// The fields of a crash-child payload, if it is one and its bytes are exactly as expected.
func decodeCrashRecord(_ payload: [UInt8]) -> (position: UInt64, batchFirst: UInt64, index: UInt32, count: UInt32)? {
    guard payload.count >= 24 else { return nil }
    let fields = payload.withUnsafeBytes { b in
        (b.loadLE(UInt64.self, at: 0), b.loadLE(UInt64.self, at: 8), b.loadLE(UInt32.self, at: 16), b.loadLE(UInt32.self, at: 20))
    }
    guard crashRecord(position: fields.0, batchFirst: fields.1, index: fields.2, count: fields.3) == payload else { return nil }
    return (fields.0, fields.1, fields.2, fields.3)
}

/// A batch of `count` crash-child records starting at `first`.
func crashBatch(first: UInt64, count: Int) -> LogBatch {
    var batch = LogBatch()
    for i in 0..<count {
        batch.append(crashRecord(position: first + UInt64(i), batchFirst: first, index: UInt32(i), count: UInt32(count)))
    }
    return batch
}

/// The synchronous append, callable from `async` code (where `log.append` picks the `async` overload).
@discardableResult
func appendSync(_ log: Log, _ batch: LogBatch) throws -> AppendReceipt {
    try log.append(batch)
}

/// Opens a log for a test. (Close releases the lock with LOCK_UN, so a child
/// process spawned meanwhile cannot keep it: no retry is needed or wanted.)
func openLog(at directory: String, options: LogOptions = LogOptions()) throws(StorageError) -> Log {
    try Log.open(at: directory, options: options)
}

/// The independent verifier (docs/tools/verify_format.py) run on `dir`: its exit status and output.
func independentVerifier(_ dir: String, arguments: [String] = []) throws -> (status: Int32, output: String) {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/tools/verify_format.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script] + arguments + [dir]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// Rewrites the log as someone with write access but no key could: `edit`
/// changes the stored payload of the batch holding `position` (by default the
/// last byte of a batch stored raw is flipped), and every chain hash, batch
/// CRC and header CRC from there on is recomputed, across segments, so that
/// the chain is consistent again. Index files are removed (their trailers hold
/// chain hashes; open rebuilds them).
func forgeConsistently(_ dir: String, at position: UInt64, edit: ((inout ArraySlice<UInt8>) -> Void)? = nil) throws {
    let storeID = StoreID(bytes: Array(try fileBytes(dir + "/STORE")[16..<32]))
    var chain = ChainHash.genesis(storeID: storeID)
    var forging = false
    for path in try segmentPaths(dir) {
        var bytes = try fileBytes(path)
        for location in try batchLocations(inSegment: path) {
            let start = Int(location.offset), payloadStart = start + Format.batchHeaderLength
            let end = start + location.header.totalLength
            if !forging && location.header.nextPosition > position {
                if let edit {
                    edit(&bytes[payloadStart..<end])
                } else {
                    #expect(location.header.flags & Format.flagLZ4 == 0, "the forged batch is stored raw")
                    bytes[end - 1] ^= 0x5A   // the last byte of the last record's data
                }
                forging = true
            }
            if forging {
                bytes.withUnsafeMutableBytes { b in
                    let header = UnsafeMutableRawBufferPointer(rebasing: b[start..<payloadStart])
                    let payload = UnsafeRawBufferPointer(rebasing: b[payloadStart..<end])
                    let next = chain.next(headerPrefix: UnsafeRawBufferPointer(rebasing: header[0..<Format.batchChainedPrefix]), payload: payload)
                    next.bytes.withUnsafeBytes { header.baseAddress!.advanced(by: Format.batchChainedPrefix).copyMemory(from: $0.baseAddress!, byteCount: 32) }
                    header.storeLE(BatchHeader.batchCRC(header: UnsafeRawBufferPointer(header), payload: payload), at: Format.batchCRCOffset)
                    header.storeLE(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: header[0..<Format.batchHeaderCRCOffset])), at: Format.batchHeaderCRCOffset)
                    chain = next
                }
            } else {
                chain = location.header.chainHash
            }
        }
        try writeFile(path, bytes)
    }
    try removeIndexes(dir)
}

/// After a fault, crash or power loss: the records read back start with every
/// acknowledged one and are a prefix of everything sent, ending at a batch boundary.
func expectAcknowledgedThenWholeBatches(_ records: [[UInt8]], acknowledged: [[UInt8]], sent batches: [[[UInt8]]], place: String,
                                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Array(records.prefix(acknowledged.count)) == acknowledged,
            "\(place): every acknowledged record is there (\(records.count) read, \(acknowledged.count) acknowledged)", sourceLocation: sourceLocation)
    #expect(Array(batches.joined().prefix(records.count)) == records, "\(place): the records are those sent, in order", sourceLocation: sourceLocation)
    var boundaries = Set([0])
    var total = 0
    for batch in batches {
        total += batch.count
        boundaries.insert(total)
    }
    #expect(boundaries.contains(records.count), "\(place): whole batches only (\(records.count) records)", sourceLocation: sourceLocation)
}
