// libFuzzer target: log batches (headers, LZ4, framing). scripts/fuzz.sh builds
// it with -sanitize=fuzzer; without FUZZING it replays the files it is given.
import Foundation
import SilverLedgerStorage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBatches(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    StorageFuzz.batches(UnsafeRawBufferPointer(start: start, count: count))
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
        exit(LLVMFuzzerRunDriver(&argc, &argv, { fuzzBatches($0, $1) }))
    }
}
#else
/// Without libFuzzer: replays the inputs given (files or directories), or writes the seeds.
@main enum Replay {
    static func main() {
        if CommandLine.arguments.count == 3 && CommandLine.arguments[1] == "--write-seeds" {
            writeBatchSeeds(to: CommandLine.arguments[2])
        } else {
            replayFuzzInputs(CommandLine.arguments.dropFirst()) { StorageFuzz.batches($0) }
        }
    }
}
#endif
