/// A calendar date (year, month, day) with no time of day and no time zone:
/// the business date a record is about ("elected on 2024-03-15"). The bureau
/// decides which zone its dates are in (UTC+8 for the records of DOMAIN.md).
///
/// Stored as the number of days since 1970-01-01 in the proleptic Gregorian
/// calendar; written in JSON and shown as `YYYY-MM-DD`.
public struct LedgerDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// Days since 1970-01-01 (negative before it).
    public var daysSinceEpoch: Int32

    /// The date `daysSinceEpoch` days after 1970-01-01.
    public init(daysSinceEpoch: Int32) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The date with this year, month (1-12) and day (1-31); nil if there is no such date.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= LedgerDate.daysIn(month: month, year: year),
              (-9999...9999).contains(year) else { return nil }
        self.daysSinceEpoch = Int32(LedgerDate.days(year: year, month: month, day: day))
    }

    /// Parses `YYYY-MM-DD`: four, two and two ASCII digits (no sign, no spaces).
    public init?(_ description: String) {
        let utf8 = Array(description.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for byte in utf8[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                n = n * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Year, month (1-12) and day (1-31).
    public var components: (year: Int, month: Int, day: Int) {
        // Howard Hinnant's civil_from_days.
        let z = Int(daysSinceEpoch) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The year.
    public var year: Int { components.year }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = components
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(abs(v))
            return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// The date `days` days later (earlier if negative).
    public func adding(days: Int) -> LedgerDate {
        LedgerDate(daysSinceEpoch: daysSinceEpoch + Int32(days))
    }

    /// The same day `years` years later; 29 February becomes 28 February in a
    /// year without it. A result beyond the years a date can have (-9999 to
    /// 9999) stops at the first or last of them: a term of a million years
    /// read from a record ends in 9999, it does not stop the program.
    public func adding(years: Int) -> LedgerDate {
        let (y, m, d) = components
        let year = Swift.min(9999, Swift.max(-9999, y + Swift.min(20_000, Swift.max(-20_000, years))))
        return LedgerDate(year: year, month: m, day: min(d, LedgerDate.daysIn(month: m, year: year)))!
    }

    /// Whole days from `self` to `other` (positive if `other` is later).
    public func days(to other: LedgerDate) -> Int { Int(other.daysSinceEpoch) - Int(daysSinceEpoch) }

    public static func < (a: LedgerDate, b: LedgerDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LedgerDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a date of the form YYYY-MM-DD")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    /// The number of days in `month` (1-12) of `year`.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
