// libFuzzer target: JSON command lines (docs/COMMANDS.md). scripts/fuzz.sh builds
// it with -sanitize=fuzzer and -DFUZZING; otherwise it replays the files it is given.
import SilverLedgerDomain
import SilverLedgerStorage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommands(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    DomainFuzz.commandJSON(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

@main enum Main {
    static func main() async throws {
        try await runFuzzTarget(fuzzCommands)
    }
}
