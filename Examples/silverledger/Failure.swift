import ArgumentParser
import Foundation
import SilverLedger
import SilverLedgerDomain
import SilverLedgerStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exit codes of docs/CLI.md (from sysexits.h where one fits).
enum Exit {
    static let success: Int32 = 0
    /// Verification found corruption or tampering.
    static let corruption: Int32 = 1
    /// The command line is wrong (swift-argument-parser's own code for it).
    static let usage: Int32 = 64
    /// The input was rejected (a domain rule, malformed JSON): nothing was written.
    static let rejected: Int32 = 65
    /// Reading or writing a file failed.
    static let io: Int32 = 74
    /// Another process holds the store's writer lock.
    static let locked: Int32 = 75
}

/// A failure the CLI reports in one line on stderr, with its exit code.
struct Failure: Error {
    var message: String
    var code: Int32

    init(_ message: String, code: Int32) {
        self.message = message
        self.code = code
    }

    /// The failure an error of the library stands for.
    init(_ error: any Error) {
        switch error {
        case let failure as Failure:
            self = failure
        case let error as DomainError:
            self.init("rejected: \(error.description)\(Self.values(error.values))", code: Exit.rejected)
        case let error as EventStoreError:
            self.init(error.message, code: Self.code(of: error))
        case let error as StorageError:
            let code: Int32 = switch error.code {
            case .locked: Exit.locked
            case .corrupted: Exit.corruption
            case .invalidArgument, .encryptionKey: Exit.usage
            default: Exit.io
            }
            self.init(error.description, code: code)
        case let error as ValidationError:
            self.init(error.message, code: Exit.usage)
        default:
            self.init("\(error)", code: Exit.io)
        }
    }

    static func code(of error: EventStoreError) -> Int32 {
        switch error.code {
        case .wrongExpectedVersion, .invalidAppend, .unregisteredEventType: return Exit.rejected
        case .corruptedEvent: return Exit.corruption
        case .storage, .closed, .failed:
            switch error.storageKind {
            case .locked: return Exit.locked
            case .corrupted: return Exit.corruption
            case .encryptionKey: return Exit.usage   // an encrypted store opened without its key, or with another
            default: return Exit.io
            }
        }
    }

    /// ` [name=value, …]`, sorted, or nothing.
    static func values(_ values: [String: String]) -> String {
        values.isEmpty ? "" : " [" + values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "]"
    }
}

/// Runs `body`; any error becomes one line on stderr and its exit code, never a stack trace.
func guarded(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let failure = Failure(error)
        printError(failure.message)
        throw ExitCode(failure.code)
    }
}

/// Writes `text` to stderr as it is.
func writeStderr(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// Writes `message` as one line on stderr, prefixed with the tool's name.
func printError(_ message: String) {
    let line = "silverledger: error: " + message.replacingOccurrences(of: "\n", with: " ") + "\n"
    writeStderr(line)
}
