// libFuzzer target: log batches (headers, LZ4, framing). scripts/fuzz.sh builds
// it with -sanitize=fuzzer and -DFUZZING; otherwise it replays the files it is
// given, or writes its seeds (--write-seeds DIR).
import SilverLedgerStorage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBatches(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    StorageFuzz.batches(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

@main enum Main {
    static func main() async throws {
        try await runFuzzTarget(fuzzBatches, seeds: { writeBatchSeeds(to: $0) })
    }
}
