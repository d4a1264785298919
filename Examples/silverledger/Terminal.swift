import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the CLI knows of the terminal it writes to.
enum Terminal {
    /// Whether standard output is a terminal (else a pipe or a file: plain text, no colour).
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
    /// Whether standard error is a terminal (progress bars are drawn only there).
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    /// Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
    static let colour = stdoutIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    static func bold(_ s: String) -> String { colour ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    static func green(_ s: String) -> String { colour ? "\u{1B}[32m\(s)\u{1B}[0m" : s }
    static func red(_ s: String) -> String { colour ? "\u{1B}[31m\(s)\u{1B}[0m" : s }
    static func yellow(_ s: String) -> String { colour ? "\u{1B}[33m\(s)\u{1B}[0m" : s }
    static func dim(_ s: String) -> String { colour ? "\u{1B}[2m\(s)\u{1B}[0m" : s }

    /// The columns `text` takes on a terminal: East Asian wide and full-width
    /// characters (汉字, full-width punctuation) take two, combining marks and
    /// escape sequences none, everything else one.
    static func width(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if inEscape {
                if (0x40...0x7E).contains(v) && v != 0x5B { inEscape = false }
                continue
            }
            if v == 0x1B { inEscape = true; continue }
            if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .enclosingMark || v == 0x200B { continue }
            width += isWide(v) ? 2 : 1
        }
        return width
    }

    /// East Asian Width W or F (Unicode 15, the ranges that matter for Chinese text).
    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// `text` padded with spaces to `columns` display columns.
    static func pad(_ text: String, to columns: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, columns - width(text)))
        return right ? fill + text : text + fill
    }
}

/// A table aligned on display columns, so that Chinese text lines up.
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    /// The columns aligned to the right (numbers).
    var rightAligned: Set<Int> = []

    init(_ headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// The table as lines: a header, a rule, the rows; columns two spaces apart.
    func render(indent: String = "") -> String {
        var widths = headers.map(Terminal.width)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], Terminal.width(cell)) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, width) in widths.enumerated() {
                let cell = i < cells.count ? cells[i] : ""
                // The last column is not padded on the right: no trailing spaces.
                parts.append(i == widths.count - 1 && !rightAligned.contains(i) ? cell : Terminal.pad(cell, to: width, right: rightAligned.contains(i)))
            }
            // No trailing spaces when the last cells are empty.
            return indent + String(parts.joined(separator: "  ").reversed().drop { $0 == " " }.reversed())
        }
        var lines = [Terminal.bold(line(headers)), indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }
}

/// A progress bar on standard error, with rate and time left; drawn only when
/// standard error is a terminal, silent otherwise (scripts, pipes, CI logs).
final class ProgressBar {
    private let label: String
    private let unit: String
    private let enabled: Bool
    private let start = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false

    init(_ label: String, unit: String = "", enabled: Bool = Terminal.stderrIsTerminal) {
        self.label = label
        self.unit = unit
        self.enabled = enabled
    }

    /// Shows `done` of `total`, at most ten times a second.
    func update(_ done: Int64, of total: Int64) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < .milliseconds(100), done < total { return }
        lastDraw = now
        writeStderr("\r\u{1B}[2K" + Self.line(label: label, unit: unit, done: done, total: total, elapsed: now - start))
        drawn = true
    }

    /// Clears the bar.
    func finish() {
        guard enabled, drawn else { return }
        writeStderr("\r\u{1B}[2K")
        drawn = false
    }

    /// `label [█████·····]  45%  12,345/27,000 unit  1,234/s  ETA 0:12`.
    static func line(label: String, unit: String, done: Int64, total: Int64, elapsed: Duration) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let cells = 24
        let filled = Int(fraction * Double(cells))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: cells - filled)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(done) / seconds : 0
        var eta = "--:--"
        if rate > 0 && done > 0 && done <= total { eta = clock(Double(total - done) / rate) }
        let percent = String(Int(fraction * 100)).leftPadded(3)
        let suffix = unit.isEmpty ? "" : " " + unit
        return "\(label) [\(bar)] \(percent)%  \(grouped(done))/\(grouped(total))\(suffix)  \(grouped(Int64(rate)))/s  ETA \(eta)"
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600):\(String(s / 60 % 60).leftPadded(2, with: "0")):\(String(s % 60).leftPadded(2, with: "0"))"
            : "\(s / 60):\(String(s % 60).leftPadded(2, with: "0"))"
    }
}

/// `1 segment`, `3 segments`; `1 batch`, `2 batches` (with `many`).
func plural(_ n: Int, _ one: String, _ many: String? = nil) -> String { "\(grouped(n)) \(n == 1 ? one : many ?? one + "s")" }

/// `1234567` as `1,234,567`.
func grouped<I: BinaryInteger>(_ n: I) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

extension String {
    func leftPadded(_ count: Int, with fill: Character = " ") -> String {
        self.count >= count ? self : String(repeating: fill, count: count - self.count) + self
    }
}

/// Seconds with one or two decimals: `0.42 s`, `12.3 s`.
func seconds(_ duration: Duration) -> String {
    let s = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return s < 10 ? String(format: "%.2f s", s) : String(format: "%.1f s", s)
}
