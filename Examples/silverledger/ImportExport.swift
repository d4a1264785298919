import ArgumentParser
import Foundation
import SilverLedger
import SilverLedgerDomain

/// `export`: the events in the JSON form of docs/EVENTS.md, one per line.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the events as JSON Lines (docs/EVENTS.md) to stdout or a file.",
        discussion: "export, import into an empty store, export again: the two exports are byte-identical.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var view: ViewOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Write to FILE (replaced atomically) instead of stdout.", valueName: "FILE"))
    var output: String?

    func run() async throws {
        try await guarded {
            let store = try storeOptions.openForReading()
            defer { try? store.close() }
            let end = try store.position(asOf: view.point)
            var text = Data()
            var written = 0
            let stdout = FileHandle.standardOutput
            try store.forEachEvent(from: 0, until: end) { event in
                text.append(contentsOf: try EventJSON.encode(event, types: store.types).utf8)
                text.append(0x0A)
                written += 1
                // To stdout a megabyte at a time; to a file all at once, atomically.
                if output == nil && text.count >= 1 << 20 {
                    stdout.write(text)
                    text.removeAll(keepingCapacity: true)
                }
            }
            if output == nil { stdout.write(text) }
            if let output {
                do { try text.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                    throw Failure("cannot write \(output): \(error.localizedDescription)", code: Exit.io)
                }
                writeStderr("exported \(grouped(written)) events (positions 0..<\(grouped(end))) to \(output)\n")
            }
        }
    }
}

/// `import FILE`: event fixtures into a store, every rule checked first.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append events given as JSON Lines (docs/EVENTS.md); they must continue the store exactly.",
        discussion: "Every line is checked before anything is written: a bad line is named and nothing is imported (exit 65).")

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The JSON Lines file, or - for stdin.")
    var file: String

    func run() async throws {
        try await guarded {
            let text = try readInput(file)
            // Appends return once written; close syncs the whole import at once.
            let store = try storeOptions.openForWriting(durability: .none)
            do {
                let bar = ProgressBar("importing", unit: "events")
                let started = ContinuousClock.now
                let report = try await store.importJSONLines(text) { done, total in bar.update(Int64(done), of: Int64(total)) }
                bar.finish()
                try store.close()
                say("imported \(grouped(report.positions.count)) events in \(grouped(report.commands)) commands "
                    + "(positions \(grouped(report.positions.lowerBound))..<\(grouped(report.positions.upperBound))) in \(seconds(ContinuousClock.now - started))")
            } catch {
                try? store.close()
                throw error
            }
        }
    }
}

/// The text of `path`, or of stdin for `-`.
func readInput(_ path: String) throws -> String {
    let data: Data
    if path == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        guard let read = FileManager.default.contents(atPath: path) else {
            throw Failure("cannot read \(path): no such file, or not readable", code: Exit.io)
        }
        data = read
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw Failure("\(path == "-" ? "stdin" : path) is not UTF-8 text", code: Exit.rejected)
    }
    return text
}
