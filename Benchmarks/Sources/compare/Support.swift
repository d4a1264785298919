// Timing, medians, sizes, memory and number formatting for the comparison runner.
import Foundation

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// The seconds `body` takes.
func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return seconds(ContinuousClock.now - start)
}

/// The seconds `body` takes.
func timedAsync(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return seconds(ContinuousClock.now - start)
}

/// The median (the mean of the two middle values for an even count).
func median(_ xs: [Double]) -> Double {
    precondition(!xs.isEmpty, "median of nothing")
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The bytes of every regular file under `path` for which `include` holds.
func directoryBytes(_ path: String, include: (String) -> Bool = { _ in true }) -> Int {
    let files = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
    return files.reduce(0) { total, file in
        guard include(file),
              let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + file),
              attributes[.type] as? FileAttributeType == .typeRegular else { return total }
        return total + ((attributes[.size] as? Int) ?? 0)
    }
}

/// The bytes of one file, 0 if it does not exist.
func fileBytes(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}

/// The peak resident memory of this process image (VmHWM of /proc/self/status), in bytes.
func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
}

/// `1234567` as `1,234,567`.
func grouped(_ value: Double) -> String {
    let n = Int(value.rounded())
    let digits = String(abs(n))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

func rate(_ eventsPerSecond: Double) -> String { grouped(eventsPerSecond) + " ev/s" }
func millis(_ seconds: Double) -> String {
    let ms = seconds * 1000
    return ms >= 100 ? grouped(ms) + " ms" : String(format: ms >= 10 ? "%.1f ms" : "%.2f ms", ms)
}
func ratio(_ x: Double) -> String { String(format: "%.2f×", x) }
func gbps(_ bytesPerSecond: Double) -> String { String(format: "%.2f GB/s", bytesPerSecond / 1e9) }

/// Writes a line to standard error (progress, kept out of the table on standard output).
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A row of the result table.
struct TableRow {
    var measure: String
    var ours: String = ""
    var grdb: String = ""
    var rawOrLimit: String = ""
    var ratio: String = ""
}

/// Prints `rows` as a table with aligned columns (text left, figures right).
func printTable(_ rows: [TableRow]) {
    let header = TableRow(measure: "measure", ours: "SilverLedger", grdb: "GRDB", rawOrLimit: "raw SQLite / limit", ratio: "ratio")
    // Section rows (their measure starts with "—") are printed whole, outside the columns.
    let all = [header] + rows.filter { !$0.measure.hasPrefix("—") }
    func width(_ key: KeyPath<TableRow, String>) -> Int { all.map { $0[keyPath: key].count }.max() ?? 0 }
    let w = (width(\.measure), width(\.ours), width(\.grdb), width(\.rawOrLimit), width(\.ratio))
    func pad(_ s: String, _ n: Int, left: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, n - s.count))
        return left ? s + fill : fill + s
    }
    func line(_ r: TableRow) -> String {
        [pad(r.measure, w.0, left: true), pad(r.ours, w.1, left: false), pad(r.grdb, w.2, left: false),
         pad(r.rawOrLimit, w.3, left: false), pad(r.ratio, w.4, left: false)].joined(separator: " | ")
    }
    print(line(header))
    print([w.0, w.1, w.2, w.3, w.4].map { String(repeating: "-", count: $0) }.joined(separator: "-|-"))
    for r in rows { print(r.measure.hasPrefix("—") ? r.measure : line(r)) }
}
