import Foundation
import Testing

/// What one run of the `silverledger` binary gave.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// The built `silverledger` executable, next to the test bundle.
func binaryPath() throws -> String {
    let candidates = [
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")),
        CommandLine.arguments.first,
        Bundle.main.executablePath,
    ].compactMap { $0 }
    for executable in candidates {
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("silverledger").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
    }
    throw CLITestError("silverledger not found next to \(candidates); run `swift build --build-tests` first")
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `silverledger arguments…` to the end, with `stdin` as its input; SILVERLEDGER_STORE and NO_COLOR cleared.
func silverledger(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try binaryPath())
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["SILVERLEDGER_STORE"] = nil
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    // Read both pipes on their own threads: a full pipe would block the child.
    let outData = Box(), errData = Box()
    let readers = [(out, outData), (err, errData)].map { pipe, box in
        let thread = Thread { box.data = pipe.fileHandleForReading.readDataToEndOfFile(); box.done.signal() }
        thread.start()
        return box
    }
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    for box in readers { box.done.wait() }
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
               stderr: String(decoding: errData.data, as: UTF8.self))
}

final class Box: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}

/// A new empty directory for one test, removed by the caller's `defer`.
func temporaryDirectory(_ name: String = #function) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("silverledger-cli-\(name.filter(\.isLetter))-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A small generated province in a new store; returns its directory.
func generatedStore(_ name: String = #function, cadres: Int = 60) throws -> String {
    let store = try temporaryDirectory(name) + "/store"
    let run = try silverledger(["generate", "--store", store, "--cadres", String(cadres), "--years", "1", "--start-year", "2023"])
    #expect(run.status == 0, "generate: \(run.stderr)")
    return store
}

/// `text` parsed as a JSON object.
func jsonObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw CLITestError("not a JSON object: \(text.prefix(200))")
    }
    return object
}

/// Checks the one-line error contract: stderr is one line naming the tool, no stack trace.
func expectOneLineError(_ run: Run, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 1, "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.hasPrefix("silverledger: error: "), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.contains(text), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
}
