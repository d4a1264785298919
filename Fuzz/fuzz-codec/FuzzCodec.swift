// libFuzzer target: the binary codec. A first byte of 0: the rest is an event
// record (envelope and payload); otherwise the first byte picks a domain event
// type and the rest is its payload. scripts/fuzz.sh builds it with
// -sanitize=fuzzer and -DFUZZING; otherwise it replays the files it is given,
// or writes its seeds (--write-seeds DIR).
import SilverLedger
import SilverLedgerDomain
import SilverLedgerStorage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodec(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = UnsafeRawBufferPointer(start: start, count: count)
    guard let first = data.first else { return 0 }
    if first == 0 {
        CoreFuzz.envelope(UnsafeRawBufferPointer(rebasing: data.dropFirst()))
    } else {
        DomainFuzz.payload(data)
    }
    return 0
}

@main enum Main {
    static func main() async throws {
        try await runFuzzTarget(fuzzCodec, seeds: { try await DomainFuzz.writeCodecSeeds(to: $0) })
    }
}
