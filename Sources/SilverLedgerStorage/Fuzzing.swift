import Foundation

/// Entry points for the fuzz targets (Fuzz/, scripts/fuzz.sh) and their
/// regression tests: each takes any bytes, must never crash, and traps when a
/// property of the format fails, so that libFuzzer reports the input.
package enum StorageFuzz {
    /// Batches back to back, as in a segment after its header: each header is
    /// decoded and checked, its payload decompressed (or copied) and its
    /// framing walked, as a reader does. A batch that decodes must give its
    /// declared record count, and its records must survive LZ4 both ways.
    /// The key encrypted batches are tried with (a fixed one: the fuzzer makes payloads that fail to decrypt).
    private static let fuzzKey = try! EncryptionKey(bytes: Array(repeating: 0x5A, count: 32))

    package static func batches(_ data: UnsafeRawBufferPointer) {
        var offset = 0
        var framed: [UInt8] = []
        while data.count - offset >= Format.batchHeaderLength {
            let headerBytes = UnsafeRawBufferPointer(rebasing: data[offset..<(offset + Format.batchHeaderLength)])
            guard case .success(let header) = BatchHeader.decode(headerBytes) else { return }
            let start = offset + Format.batchHeaderLength
            guard Int(header.storedLength) <= data.count - start else { return }
            let stored = UnsafeRawBufferPointer(rebasing: data[start..<(start + Int(header.storedLength))])
            // A batch CRC that matches is what a reader requires before it decodes.
            _ = BatchHeader.batchCRC(header: headerBytes, payload: stored) == header.batchCRC
            offset = start + Int(header.storedLength)
            // Never ask for more than the input could plausibly expand to (LZ4 at most ~255:1).
            guard Int(header.uncompressedLength) <= 255 * max(stored.count, 1) + 64 else { continue }
            guard PayloadDecoder.decode(header, stored: stored, key: fuzzKey, into: &framed) == nil else { continue }
            var records = 0
            var total = 0
            framed.withUnsafeBytes { b in
                var at = 0
                while at < b.count {
                    let length = Int(readVarint(b, &at)!)   // the framing was checked
                    _ = readVarint(b, &at)!
                    precondition(length <= b.count - at, "a checked framing runs past its payload")
                    at += length
                    total += length
                    records += 1
                }
            }
            precondition(records == Int(header.recordCount), "\(records) records decoded, the header says \(header.recordCount)")
            precondition(total <= framed.count)
            if let compressed = framed.withUnsafeBytes({ LZ4.compress($0) }) {
                var back = [UInt8](repeating: 0, count: framed.count)
                let ok = compressed.withUnsafeBytes { c in back.withUnsafeMutableBytes { LZ4.decompress(c, into: $0) } }
                precondition(ok && back == framed, "LZ4 did not give back what it compressed")
            }
        }
    }
}

/// Runs `body` over every file named in `paths` (a directory: every file in
/// it, sorted), as a fuzz target built without libFuzzer does with the inputs
/// it is given; prints how many it ran.
package func replayFuzzInputs(_ paths: some Sequence<String>, _ body: (UnsafeRawBufferPointer) -> Void) {
    var files: [String] = []
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            print("no such file: \(path)")
            exit(2)
        }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files += names.sorted().map { path + "/" + $0 }
        } else {
            files.append(path)
        }
    }
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        Array(data).withUnsafeBytes(body)
    }
    print("ran \(files.count) inputs")
}

/// Seeds for the batch target: the batches of a small log (LZ4 and raw,
/// one record and many), each alone and all of them back to back.
package func writeBatchSeeds(to directory: String) {
    let store = NSTemporaryDirectory() + "silverledger-seeds-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: store) }
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = try Log.open(at: store, options: LogOptions(durability: .none))
        var random = SplitMix64(seed: 1)
        for b in 0..<8 {
            var batch = LogBatch()
            for r in 0..<(1 + b * 3) {
                if b % 2 == 0 {
                    batch.append(Array("{\"type\":\"VisitLogged\",\"n\":\(r)} 走访慰问".utf8))
                } else {
                    batch.append((0..<(8 + r)).map { _ in UInt8.random(in: 0...255, using: &random) })
                }
            }
            try log.append(batch)
        }
        try log.close()
        let segment = try FileManager.default.contentsOfDirectory(atPath: store).first { $0.hasSuffix(".seg") }!
        let bytes = Array(FileManager.default.contents(atPath: store + "/" + segment)!.dropFirst(Format.segmentHeaderLength))
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/seed-all"))
        var offset = 0, n = 0
        while offset < bytes.count {
            let header = try bytes.withUnsafeBytes { try BatchHeader.decode(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + Format.batchHeaderLength)])).get() }
            try Data(bytes[offset..<(offset + header.totalLength)]).write(to: URL(fileURLWithPath: directory + "/seed-batch-\(n)"))
            offset += header.totalLength
            n += 1
        }
        print("wrote \(n + 1) seeds to \(directory)")
    } catch {
        print("could not write seeds: \(error)")
        exit(1)
    }
}

#if FUZZING
/// libFuzzer's driver, linked in by -sanitize=fuzzer.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                                 _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt) -> CInt
#endif

/// The `main` of a fuzz target whose libFuzzer entry point is `entry`. Built
/// with `-DFUZZING` (scripts/fuzz.sh), it hands the command line to libFuzzer;
/// otherwise `--write-seeds DIR` calls `seeds`, and anything else names files
/// or directories of inputs to replay through `entry`.
package func runFuzzTarget(_ entry: @escaping @convention(c) (UnsafeRawPointer, Int) -> CInt,
                           seeds: (@Sendable (String) async throws -> Void)? = nil) async throws {
    #if FUZZING
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, entry))
    #else
    let arguments = CommandLine.arguments
    if let seeds, arguments.count == 3, arguments[1] == "--write-seeds" {
        try await seeds(arguments[2])
    } else {
        replayFuzzInputs(arguments.dropFirst()) { bytes in
            // An empty input still needs an address to hand over.
            withUnsafeTemporaryAllocation(byteCount: max(bytes.count, 1), alignment: 1) { buffer in
                buffer.copyMemory(from: bytes)
                _ = entry(UnsafeRawPointer(buffer.baseAddress!), bytes.count)
            }
        }
    }
    #endif
}
