// libFuzzer target: the binary codec. A first byte of 0: the rest is an event
// record (envelope and payload); otherwise the first byte picks a domain event
// type and the rest is its payload.
// scripts/fuzz.sh builds it with -sanitize=fuzzer; without FUZZING it replays
// the files it is given.
import Foundation
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

#if FUZZING
/// libFuzzer's driver, linked in by -sanitize=fuzzer.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt) -> CInt

/// With libFuzzer: its driver, with the command line's options and corpus directories.
@main enum Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { fuzzCodec($0, $1) }))
    }
}
#else
/// Without libFuzzer: replays the inputs given (files or directories), or writes the seeds.
@main enum Replay {
    static func main() async throws {
        if CommandLine.arguments.count == 3 && CommandLine.arguments[1] == "--write-seeds" {
            try await DomainFuzz.writeCodecSeeds(to: CommandLine.arguments[2])
        } else {
            replayFuzzInputs(CommandLine.arguments.dropFirst()) { _ = fuzzCodec($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
        }
    }
}
#endif
