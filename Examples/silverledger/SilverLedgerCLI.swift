import ArgumentParser

/// `silverledger`: the tool an auditor or an operator of the bureau's system
/// reaches for: it verifies, replays and queries a store, and runs commands
/// against it. docs/CLI.md describes every command, option and exit code.
@main
struct SilverLedgerCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silverledger",
        abstract: "Verify, replay, query and write a SilverLedger store of veteran-cadre work records.",
        discussion: """
            Every command takes --store DIR (default: $SILVERLEDGER_STORE, else ./silverledger-data).
            Exit codes: 0 success; 1 corruption or tampering found; 64 usage error; 65 input rejected \
            (nothing written); 74 I/O error; 75 the store is locked by another writer.
            """,
        version: "0.5.0",
        subcommands: [
            Demo.self, Generate.self, Exec.self, Import.self, Export.self, Verify.self, Repair.self,
            Replay.self, History.self, Query.self, Stats.self, Keygen.self,
        ]
    )
}
