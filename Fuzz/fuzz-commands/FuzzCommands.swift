// libFuzzer target: JSON command lines (docs/COMMANDS.md). scripts/fuzz.sh builds
// it with -sanitize=fuzzer; without FUZZING it replays the files it is given.
import Foundation
import SilverLedgerDomain
import SilverLedgerStorage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommands(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    DomainFuzz.commandJSON(UnsafeRawBufferPointer(start: start, count: count))
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
        exit(LLVMFuzzerRunDriver(&argc, &argv, { fuzzCommands($0, $1) }))
    }
}
#else
/// Without libFuzzer: replays the inputs given (files or directories).
@main enum Replay {
    static func main() {
        replayFuzzInputs(CommandLine.arguments.dropFirst()) { DomainFuzz.commandJSON($0) }
    }
}
#endif
