import Foundation
import Testing

@testable import silverledger

/// The built `silverledger` binary, end to end: every command, every exit code.
@Suite("CLI: silverledger end to end")
struct CLITests {
    static func line(_ command: String, _ id: String, _ fields: String, by: String? = nil) -> String {
        #"{"command":"\#(command)","id":"\#(id)",\#(by.map { #""by":"\#($0)","# } ?? "")"fields":\#(fields)}"#
    }

    /// A branch, a cadre with 53 years of standing and one with 34, in 2024.
    static let newBranchAndCadres = [
        line("EstablishBranch", "t-branch", #"{"branch":"B09001","name":"测试第一党支部","type":"standalone","parentOrganisation":"测试机关党委","establishedOn":"2024-01-05"}"#),
        line("RegisterCadre", "t-reg-1", #"{"cadre":"C9000001","name":"王建国","category":"tuixiu","birthDate":"1948-05-04","formerLevel":"departmental","formerUnit":"省水利厅","retiredOn":"2008-06-01","residence":"杭州市西湖区","registeredOn":"2024-01-06"}"#),
        line("RecordPartyMembership", "t-party-1", #"{"cadre":"C9000001","joinedOn":"1970-01-01","fullMemberOn":"1971-01-01","recordedOn":"2024-01-06"}"#),
        line("AddMember", "t-add-1", #"{"branch":"B09001","cadre":"C9000001","addedOn":"2024-01-10"}"#),
        line("RegisterCadre", "t-reg-2", #"{"cadre":"C9000002","name":"李秀英","category":"tuixiu","birthDate":"1958-03-04","formerLevel":"county","formerUnit":"省教育厅","retiredOn":"2018-03-01","residence":"杭州市拱墅区","registeredOn":"2024-01-06"}"#, by: "op-干部处"),
        line("RecordPartyMembership", "t-party-2", #"{"cadre":"C9000002","joinedOn":"1989-06-01","fullMemberOn":"1990-06-01","recordedOn":"2024-01-06"}"#),
    ]
    static let medalTooSoon = line("AwardMedal50", "t-medal-2", #"{"cadre":"C9000002","awardedOn":"2024-07-01"}"#)
    static let medal = line("AwardMedal50", "t-medal-1", #"{"cadre":"C9000001","awardedOn":"2024-07-01"}"#)

    @Test func helpAndUsageErrors() throws {
        let help = try silverledger(["--help"])
        #expect(help.status == 0)
        for command in ["demo", "generate", "exec", "import", "export", "verify", "repair", "replay", "history", "query", "stats", "keygen"] {
            #expect(help.stdout.contains(command), "help lists \(command)")
        }
        #expect(try silverledger(["frobnicate"]).status == 64)
        #expect(try silverledger(["query", "nonsense"]).status == 64)
        #expect(try silverledger(["query", "profile", "--store", "/nonexistent"]).status == 64)   // --cadre missing
        #expect(try silverledger(["export", "--as-of", "2024-13-01"]).status == 64)
        #expect(try silverledger(["generate", "--cadres", "0"]).status == 64)
    }

    @Test func demoRunsEveryStepAndEndsIntact() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try silverledger(["demo", "--store", dir + "/demo", "--cadres", "200"])
        #expect(run.status == 0, "\(run.stderr)")
        for text in ["Generating a province", "ElectOfficer", "LogVisit", "RecordStudySession", "AwardMedal50", "refused", "nothing written",
                     "按期换届双提醒", "光荣在党50年", "走访慰问", "三会一课", "年度总结", "✓ intact"] {
            #expect(run.stdout.contains(text), "demo output has \(text)")
        }
        // Not a terminal here: no escape sequences, no progress bar.
        #expect(!run.stdout.contains("\u{1B}["))
        #expect(!run.stderr.contains("█"))
        // The demo refuses a store that is not fresh.
        let again = try silverledger(["demo", "--store", dir + "/demo", "--cadres", "200"])
        #expect(again.status == 64)
        expectOneLineError(again, containing: "not empty")
    }

    @Test func generateStatsReplayAndQueries() throws {
        let store = try generatedStore()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: store).deletingLastPathComponent().path) }
        let stats = try jsonObject(try silverledger(["stats", "--store", store, "--format", "json"]).stdout)
        let events = try #require(stats["events"] as? Int)
        #expect(events > 500)
        #expect((stats["segments"] as? Int) == 1)
        #expect((stats["lastPosition"] as? Int) == events - 1)
        #expect(((stats["compressionRatio"] as? Double) ?? 0) > 1)
        let replay = try jsonObject(try silverledger(["replay", "--store", store, "--format", "json"]).stdout)
        #expect((replay["events"] as? Int) == events)
        #expect((replay["cadres"] as? Int) == 60)
        // A store that is not empty is not generated into.
        let again = try silverledger(["generate", "--store", store, "--cadres", "10", "--years", "1"])
        #expect(again.status == 65)
        expectOneLineError(again, containing: "not empty")
        // Every question, as JSON and as a table.
        let questions: [[String]] = [
            ["profile", "--cadre", "C0000001"], ["leadership"], ["leadership", "--branch", "B00001"], ["reelection"], ["medals"],
            ["visits", "--days", "30"], ["compliance", "--year", "2023", "--quarter", "2"], ["study", "--year", "2023"], ["mobile"],
            ["demonstration"], ["talent", "--matching", "书法"], ["volunteers"], ["summary", "--year", "2023"], ["audit", "--cadre", "C0000001"],
        ]
        for question in questions {
            let asJSON = try silverledger(["query"] + question + ["--store", store, "--on", "2023-12-31", "--format", "json"])
            #expect(asJSON.status == 0, "\(question): \(asJSON.stderr)")
            #expect((try? JSONSerialization.jsonObject(with: Data(asJSON.stdout.utf8))) != nil, "\(question) gives JSON")
            let asTable = try silverledger(["query"] + question + ["--store", store, "--on", "2023-12-31"])
            #expect(asTable.status == 0, "\(question): \(asTable.stderr)")
            #expect(!asTable.stdout.isEmpty)
        }
        let profile = try jsonObject(try silverledger(["query", "profile", "--cadre", "C0000001", "--store", store, "--on", "2023-12-31", "--format", "json"]).stdout)
        #expect(profile["cadre"] as? String == "C0000001")
        #expect(profile["name"] as? String == "干部1")
        let summary = try jsonObject(try silverledger(["query", "summary", "--year", "2023", "--store", store, "--format", "json"]).stdout)
        let sections = try #require(summary["sections"] as? [[String: Any]])
        #expect(sections.map { $0["number"] as? Int } == [1, 2, 3, 4, 5])
        // As of position 0 nothing was recorded yet.
        let before = try silverledger(["query", "profile", "--cadre", "C0000001", "--store", store, "--until", "0"])
        #expect(before.status == 65)
        expectOneLineError(before, containing: "no cadre C0000001")
        // A branch's history, in order, with operator and command.
        let history = try silverledger(["history", "branch-B00001", "--store", store, "--format", "json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(entries.first?["type"] as? String == "BranchEstablished")
        #expect(entries.map { $0["version"] as? Int } == Array(0..<entries.count).map { $0 })
        #expect(entries.allSatisfy { $0["recordedBy"] as? String == "generator" })
        let missing = try silverledger(["history", "branch-NOPE", "--store", store])
        #expect(missing.status == 65)
        expectOneLineError(missing, containing: "no stream branch-NOPE")
    }

    @Test func execRecordsAcceptedLinesAndRefusesWithTheRule() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/store"
        let lines = (Self.newBranchAndCadres + [Self.medal, Self.medalTooSoon]).joined(separator: "\n")
        let run = try silverledger(["exec", "--store", store, "--by", "op-测试", "-"], stdin: lines)
        #expect(run.status == 65)
        #expect(run.stdout.contains("✓ line 1 EstablishBranch t-branch: 1 event"))
        #expect(run.stdout.contains("✓ line 7 AwardMedal50 t-medal-1"))
        #expect(run.stdout.contains("✗ line 8 AwardMedal50 t-medal-2: medal.standing"))
        #expect(run.stdout.contains("不满50年"))
        expectOneLineError(run, containing: "1 of 8 commands refused")
        let history = try silverledger(["history", "cadre-C9000002", "--store", store, "--format", "json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["type"] as? String } == ["CadreRegistered", "PartyMembershipRecorded"])   // no medal
        #expect(entries.first?["recordedBy"] as? String == "op-干部处")   // the line's own operator
        #expect(entries.last?["recordedBy"] as? String == "op-测试")
        // The same file again: every command is known by its id and recorded once; the refusal is refused again.
        let again = try silverledger(["exec", "--store", store, "--format", "json", "-"], stdin: lines)
        #expect(again.status == 65)
        let results = try again.stdout.split(separator: "\n").map { try jsonObject(String($0)) }
        #expect(results.count == 8)
        #expect(results.map { $0["accepted"] as? Bool } == [true, true, true, true, true, true, true, false])
        #expect(results.last?["code"] as? String == "medal.standing")
        let events = try #require(results.first?["events"] as? [[String: Any]])
        #expect(events.first?["type"] as? String == "BranchEstablished")
        #expect(events.first?["position"] as? Int == 0)
        let stats = try jsonObject(try silverledger(["stats", "--store", store, "--format", "json"]).stdout)
        #expect(stats["events"] as? Int == 7)
    }

    @Test func allOrNothingWritesNothingWhenOneLineIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/store"
        let lines = (Self.newBranchAndCadres + [Self.medalTooSoon]).joined(separator: "\n")
        let refused = try silverledger(["exec", "--store", store, "--all-or-nothing", "-"], stdin: lines)
        #expect(refused.status == 65)
        #expect(refused.stdout.contains("batch.notWritten"))
        #expect(refused.stdout.contains("medal.standing"))
        expectOneLineError(refused, containing: "nothing was written")
        #expect(try jsonObject(try silverledger(["stats", "--store", store, "--format", "json"]).stdout)["events"] as? Int == 0)
        // Without the refused line, all of it, as one batch.
        let file = dir + "/commands.jsonl"
        try Self.newBranchAndCadres.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let accepted = try silverledger(["exec", "--store", store, "--all-or-nothing", file])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try jsonObject(try silverledger(["stats", "--store", store, "--format", "json"]).stdout)["events"] as? Int == 6)
    }

    @Test func malformedCommandsAreRejectedBeforeAnythingIsWritten() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/store"
        let bad = Self.newBranchAndCadres[0] + "\n" + #"{"command":"ElectOfficer","id":"x","fields":{"branch":"B09001","votesfor":3}}"#
        let run = try silverledger(["exec", "--store", store, "-"], stdin: bad)
        #expect(run.status == 65)
        expectOneLineError(run, containing: "line 2")
        let notJSON = try silverledger(["exec", "--store", store, "-"], stdin: "{not json")
        #expect(notJSON.status == 65)
        expectOneLineError(notJSON, containing: "line 1")
        // Nothing was written, not even the good first line: the store was not even created.
        #expect(!FileManager.default.fileExists(atPath: store))
        let missingFile = try silverledger(["exec", "--store", store, dir + "/absent.jsonl"])
        #expect(missingFile.status == 74)
        expectOneLineError(missingFile, containing: "absent.jsonl")
    }

    @Test func exportImportExportIsByteIdentical() throws {
        let store = try generatedStore()
        let dir = URL(fileURLWithPath: store).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try silverledger(["export", "--store", store])
        #expect(first.status == 0)
        try first.stdout.write(toFile: dir + "/export.jsonl", atomically: true, encoding: .utf8)
        let imported = try silverledger(["import", "--store", dir + "/copy", dir + "/export.jsonl"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let second = try silverledger(["export", "--store", dir + "/copy", "--output", dir + "/again.jsonl"])
        #expect(second.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/again.jsonl")) == Data(first.stdout.utf8))
        // Part of the log: the events before position 10.
        let part = try silverledger(["export", "--store", store, "--until", "10"])
        #expect(part.stdout.split(separator: "\n").count == 10)
        // Importing the same file again breaks the rules (positions taken): exit 65, nothing written.
        let twice = try silverledger(["import", "--store", dir + "/copy", dir + "/export.jsonl"])
        #expect(twice.status == 65)
        expectOneLineError(twice, containing: "line 1")
        let missing = try silverledger(["import", "--store", dir + "/copy", dir + "/absent.jsonl"])
        #expect(missing.status == 74)
    }

    @Test func keygenSealsAndKeyedVerification() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = dir + "/seal.key", other = dir + "/other.key", store = dir + "/store"
        let made = try silverledger(["keygen", key])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("key id"))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let again = try silverledger(["keygen", key])
        #expect(again.status == 74)
        expectOneLineError(again, containing: "never overwritten")
        #expect(try silverledger(["keygen", other]).status == 0)

        let generate = try silverledger(["generate", "--store", store, "--key-file", key, "--cadres", "60", "--years", "1", "--start-year", "2023"])
        #expect(generate.status == 0, "\(generate.stderr)")
        #expect(FileManager.default.fileExists(atPath: store + "/SEALS"))
        let first = try jsonObject(try silverledger(["verify", "--store", store, "--key-file", key, "--format", "json"]).stdout)
        #expect(first["intact"] as? Bool == true)
        #expect(first["seals"] as? String == "checked")
        let count = try #require(first["sealCount"] as? Int)
        #expect(count > 0 && first["sealsChecked"] as? Int == count)
        #expect(first["sealedThrough"] as? Int == first["nextPosition"] as? Int)
        #expect(first["resumedFrom"] == nil)
        // The next verification with the key takes up where this one ended; --full does not.
        let second = try jsonObject(try silverledger(["verify", "--store", store, "--key-file", key, "--format", "json"]).stdout)
        #expect(second["resumedFrom"] as? Int == first["nextPosition"] as? Int)
        let full = try jsonObject(try silverledger(["verify", "--store", store, "--key-file", key, "--full", "--format", "json"]).stdout)
        #expect(full["resumedFrom"] == nil && full["intact"] as? Bool == true)
        // Without the key: present, not checked. With the environment's key file: checked.
        let plain = try silverledger(["verify", "--store", store])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("not checked: give --key-file"))
        let viaEnvironment = try silverledger(["verify", "--store", store], environment: ["SILVERLEDGER_KEY_FILE": key])
        #expect(viaEnvironment.stdout.contains("checked with the key"), "\(viaEnvironment.stdout)")
        // Another key: the seals are not this key's.
        let wrong = try silverledger(["verify", "--store", store, "--key-file", other])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("made with another key"))
        // A key file others may read is refused, naming its mode.
        chmod(other, 0o644)
        let loose = try silverledger(["verify", "--store", store, "--key-file", other])
        #expect(loose.status == 64)
        expectOneLineError(loose, containing: "mode 644")
    }

    @Test func anEncryptedStoreIsVerifiedWithoutItsKeyAndReadOnlyWithIt() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = dir + "/encryption.key", other = dir + "/other.key", store = dir + "/store"
        #expect(try silverledger(["keygen", key]).status == 0)
        #expect(try silverledger(["keygen", other]).status == 0)
        let generate = try silverledger(["generate", "--store", store, "--encryption-key-file", key, "--cadres", "60", "--years", "1", "--start-year", "2023"])
        #expect(generate.status == 0, "\(generate.stderr)")
        // Without the key: the structure is checked, the records are not.
        let blind = try jsonObject(try silverledger(["verify", "--store", store, "--format", "json"]).stdout)
        #expect(blind["intact"] as? Bool == true)
        #expect((blind["encryption"] as? String)?.hasPrefix("encrypted (records not checked") == true)
        #expect(blind["payloadsNotDecrypted"] as? Int == blind["batches"] as? Int && blind["eventsDecoded"] as? Int == 0)
        // With it: every event decrypted and decoded.
        let keyed = try jsonObject(try silverledger(["verify", "--store", store, "--encryption-key-file", key, "--format", "json"]).stdout)
        #expect(keyed["encryption"] as? String == "encrypted, decrypted" && keyed["payloadsNotDecrypted"] as? Int == 0)
        #expect(keyed["eventsDecoded"] as? Int == keyed["records"] as? Int && (keyed["records"] as? Int ?? 0) > 100)
        // Reading needs the key: without it, or with another, one clear line naming the ids.
        let question = ["query", "medals", "--store", store, "--on", "2023-12-31"]
        let without = try silverledger(question)
        #expect(without.status == 64)
        expectOneLineError(without, containing: "encrypted with key id")
        let wrong = try silverledger(question + ["--encryption-key-file", other])
        #expect(wrong.status == 64)
        expectOneLineError(wrong, containing: "the key given has id")
        let read = try silverledger(question, environment: ["SILVERLEDGER_ENCRYPTION_KEY_FILE": key])
        #expect(read.status == 0, "\(read.stderr)")
    }

    @Test func verifyFindsDamageWithItsPlaceAndRepairSetsItAside() throws {
        // 200 cadres: several batches of 1,000 commands, so that damage to the first is not at the end of the log.
        let store = try generatedStore(cadres: 200)
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: store).deletingLastPathComponent().path) }
        let intact = try silverledger(["verify", "--store", store])
        #expect(intact.status == 0, "\(intact.stdout)\(intact.stderr)")
        #expect(intact.stdout.contains("intact"))
        let report = try jsonObject(try silverledger(["verify", "--store", store, "--format", "json"]).stdout)
        #expect(report["intact"] as? Bool == true)
        #expect((report["eventsDecoded"] as? Int) == (report["records"] as? Int))
        #expect((report["batches"] as? Int ?? 0) >= 3)
        // Damage a byte of the first batch (the segment header is 64 bytes).
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: store).first { $0.hasSuffix(".seg") })
        let handle = try #require(FileHandle(forUpdatingAtPath: store + "/" + segment))
        let damagedAt: UInt64 = 200
        try handle.seek(toOffset: damagedAt)
        let byte = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: damagedAt)
        handle.write(Data([byte[0] ^ 0x5A]))
        try handle.close()
        let damaged = try silverledger(["verify", "--store", store])
        #expect(damaged.status == 1)
        #expect(damaged.stdout.contains(segment))
        #expect(damaged.stdout.contains("byte offset"))
        #expect(damaged.stdout.contains("position"))
        #expect(damaged.stdout.contains("DAMAGED"))
        let damagedJSON = try jsonObject(try silverledger(["verify", "--store", store, "--format", "json"]).stdout)
        let problem = try #require((damagedJSON["problems"] as? [[String: Any]])?.first)
        #expect(problem["kind"] as? String == "corruption")
        let offset = try #require(problem["offset"] as? Int)
        #expect(offset == 64)   // the batch holding the damaged byte
        #expect(problem["position"] as? Int == 0)
        // Repair keeps what checks and sets the rest aside; then verify passes.
        let repair = try silverledger(["repair", "--store", store])
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("kept positions 0..<"))
        #expect(repair.stdout.contains("set aside: "))
        let after = try silverledger(["verify", "--store", store])
        #expect(after.status == 0, "\(after.stdout)")
        #expect(after.stdout.contains("setAside"))
    }

    @Test func aLockedStoreIsRefusedToWritersAndOpenToReaders() throws {
        let store = try generatedStore()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: store).deletingLastPathComponent().path) }
        // Hold the writer's lock in another process: an exec that sleeps on stdin would be flaky; a held import is not.
        // flock(1) holds the same advisory lock the store's writer takes.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [store + "/LOCK", "sleep", "30"]
        try holder.run()
        defer { holder.terminate() }
        var locked: Run?
        for _ in 0..<50 {
            let run = try silverledger(["exec", "--store", store, "-"], stdin: Self.newBranchAndCadres[0])
            if run.status == 75 { locked = run; break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let run = try #require(locked, "exec never saw the lock")
        expectOneLineError(run, containing: "lock")
        // Readers take no lock.
        #expect(try silverledger(["stats", "--store", store]).status == 0)
        #expect(try silverledger(["query", "summary", "--year", "2023", "--store", store]).status == 0)
    }

    @Test func aMissingStoreIsAnIOError() throws {
        let run = try silverledger(["stats", "--store", "/nonexistent/silverledger"])
        #expect(run.status == 74)
        expectOneLineError(run, containing: "no store at /nonexistent/silverledger")
        #expect(try silverledger(["verify", "--store", "/nonexistent/silverledger"]).status == 74)
        // The environment names the store when --store is not given.
        let fromEnvironment = try silverledger(["stats"], environment: ["SILVERLEDGER_STORE": "/nonexistent/from-env"])
        expectOneLineError(fromEnvironment, containing: "/nonexistent/from-env")
    }

    @Test func tablesAlignChineseTextByDisplayColumns() {
        #expect(Terminal.width("abc") == 3)
        #expect(Terminal.width("王建国") == 6)
        #expect(Terminal.width("B0001 第一党支部") == 16)
        #expect(Terminal.width("（全角）") == 8)
        #expect(Terminal.width("\u{1B}[1mbold\u{1B}[0m") == 4)
        var table = Table(["id", "name 姓名", "n"], rightAligned: [2])
        table.add(["C1", "王建国", "7"])
        table.add(["C22", "Li", "120"])
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[2] == "C1   王建国       7")
        #expect(lines[3] == "C22  Li         120")
    }

    @Test func progressLineShowsRateAndTimeLeft() {
        let line = ProgressBar.line(label: "replaying", unit: "events", done: 50_000, total: 200_000, elapsed: .seconds(2))
        #expect(line.contains(" 25%"))
        #expect(line.contains("50,000/200,000 events"))
        #expect(line.contains("25,000/s"))
        #expect(line.contains("ETA 0:06"))
    }
}
