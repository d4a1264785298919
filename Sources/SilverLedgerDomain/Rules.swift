import Foundation
import SilverLedger

/// The checks many commands share; each throws the ``DomainError`` that names it.
enum Rules {
    /// No record is dated after today (UTC+8).
    static func notInFuture(_ date: LedgerDate, today: LedgerDate, _ what: @autoclosure () -> String, _ 什么: @autoclosure () -> String) throws(DomainError) {
        guard date <= today else {
            throw DomainError(.dateInFuture,
                              english: "\(what()) on \(date) is in the future (today is \(today))",
                              chinese: "\(什么())日期\(date)晚于今天（\(today)）",
                              values: ["date": "\(date)", "today": "\(today)"])
        }
    }

    /// Where the first name of `names` that was given earlier in the list is, if
    /// any. A short list (a branch's meeting) is compared name by name, which is
    /// cheaper than hashing every name into a set; a long one uses a set.
    static func firstRepeat<Name: Hashable>(in names: [Name]) -> Int? {
        firstRepeat(count: names.count) { names[$0] }
    }

    /// ``firstRepeat(in:)`` over the names `name(0)` … `name(count - 1)`, read
    /// where they are (a meeting's attendees, then its absentees) rather than
    /// gathered into a new array first.
    @inline(__always)
    static func firstRepeat<Name: Hashable>(count: Int, _ name: (Int) -> Name) -> Int? {
        if count <= 32 {
            for k in 1..<max(count, 1) {
                let n = name(k)
                for j in 0..<k where name(j) == n { return k }
            }
            return nil
        }
        return firstRepeatInSet(count: count, name)
    }

    /// ``firstRepeat(count:_:)`` for a long list: each name hashed into a set.
    private static func firstRepeatInSet<Name: Hashable>(count: Int, _ name: (Int) -> Name) -> Int? {
        var seen = Set<Name>(minimumCapacity: count)
        for k in 0..<count where !seen.insert(name(k)).inserted { return k }
        return nil
    }

    /// ``firstRepeat(in:)`` for ids, through ``firstRepeat(count:_:)``'s variant for ids.
    static func firstRepeat<Kind>(in names: [Identifier<Kind>]) -> Int? {
        firstRepeat(count: names.count) { names[$0] }
    }

    /// ``firstRepeat(count:_:)`` for ids: each name's fingerprint is computed
    /// once, and names are compared only when their fingerprints match (most
    /// pairs differ, and two 64-bit numbers compare faster than two strings).
    @inline(__always)
    static func firstRepeat<Kind>(count: Int, _ name: (Int) -> Identifier<Kind>) -> Int? {
        guard count <= 32 else { return firstRepeatInSet(count: count, name) }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { prints in
            for k in 0..<count {
                let n = name(k)
                let print = n.rawValue.quickFingerprint
                for j in 0..<k where prints[j] == print && name(j) == n { return k }
                prints[k] = print
            }
            return nil
        }
    }

    /// The cadre is in the register.
    static func registeredCadre(_ id: CadreID, in state: DomainState) throws(DomainError) -> CadreRecord {
        guard let cadre = state.cadres[id] else {
            throw DomainError(.unknownCadre, english: "cadre \(id) is not in the register", chinese: "登记中没有离退休干部\(id)",
                              values: ["cadre": id.rawValue])
        }
        return cadre
    }

    /// The date is not before the cadre's registration.
    static func notBeforeRegistration(_ cadre: CadreRecord, _ date: LedgerDate) throws(DomainError) {
        guard date >= cadre.registeredOn else {
            throw DomainError(.dateBeforeExistence,
                              english: "\(date) is before cadre \(cadre.id) was registered (\(cadre.registeredOn))",
                              chinese: "日期\(date)早于离退休干部\(cadre.id)的登记日期（\(cadre.registeredOn)）",
                              values: ["cadre": cadre.id.rawValue, "date": "\(date)", "registeredOn": "\(cadre.registeredOn)"])
        }
    }

    /// ``livingCadre(_:on:in:)`` for a rule that needs little of the record:
    /// checks it in place, without copying it out of the state (a meeting
    /// checks each of its members); returns where the record is.
    @discardableResult
    static func checkLiving(_ id: CadreID, on date: LedgerDate, in state: DomainState) throws(DomainError) -> Int {
        if let i = state.cadres.living(id, on: date) { return i }
        guard let i = state.cadres.index(of: id) else { _ = try registeredCadre(id, in: state); preconditionFailure("unreachable") }
        // Fields read in place (an array's element is not copied whole to read one).
        let cadres = state.cadres.values
        if date < cadres[i].registeredOn || cadres[i].diedOn.map({ date >= $0 }) == true {
            _ = try livingCadre(id, on: date, in: state)   // throws the rule's error
        }
        return i
    }

    /// The cadre is registered and alive on `date`, and a member of `branch` on it.
    static func livingMember(_ id: CadreID, of branch: BranchID, on date: LedgerDate, in state: DomainState) throws(DomainError) {
        // The usual case in one look-up, without reading the record.
        if state.cadres.isLivingMember(id, of: branch, on: date) { return }
        let i = try checkLiving(id, on: date, in: state)
        if CadreRecord.branch(in: state.cadres.values[i].branchStints, on: date) != branch {
            try member(state.cadres.values[i], of: branch, on: date)
        }
    }

    /// ``livingMember(_:of:on:in:)`` for each of the cadres `id(0)` …
    /// `id(count - 1)`, in order: the first that breaks a rule is the one
    /// refused. Those the register's fields show to be members are checked
    /// together (``CadreTable/firstNotLivingMember(_:_:of:on:)``).
    static func livingMembers(_ count: Int, _ id: (Int) -> CadreID, of branch: BranchID, on date: LedgerDate,
                              in state: DomainState) throws(DomainError) {
        guard let first = state.cadres.firstNotLivingMember(count, id, of: branch, on: date) else { return }
        for k in first..<count { try livingMember(id(k), of: branch, on: date, in: state) }
    }

    /// ``checkLiving(_:on:in:)`` for each of the cadres `id(0)` … `id(count - 1)`,
    /// in order: the first that breaks a rule is the one refused. Those the
    /// register's fields show to be alive are checked together
    /// (``CadreTable/firstNotLiving(_:_:on:)``).
    static func checkLiving(_ count: Int, _ id: (Int) -> CadreID, on date: LedgerDate, in state: DomainState) throws(DomainError) {
        guard let first = state.cadres.firstNotLiving(count, id, on: date) else { return }
        for k in first..<count { _ = try checkLiving(id(k), on: date, in: state) }
    }

    /// The cadre is registered, the date is not before the registration, and the cadre was alive on it.
    static func livingCadre(_ id: CadreID, on date: LedgerDate, in state: DomainState) throws(DomainError) -> CadreRecord {
        let cadre = try registeredCadre(id, in: state)
        try notBeforeRegistration(cadre, date)
        if let died = cadre.diedOn, date >= died {
            throw DomainError(.cadreDeceased,
                              english: "cadre \(id) died on \(died); nothing may name them on or after that date (\(date))",
                              chinese: "离退休干部\(id)已于\(died)去世，该日及以后（\(date)）不得再记录其事项",
                              values: ["cadre": id.rawValue, "date": "\(date)", "diedOn": "\(died)"])
        }
        return cadre
    }

    /// A required text is not empty.
    static func nonEmpty(_ text: String, _ field: @autoclosure () -> String, _ 字段: @autoclosure () -> String) throws(DomainError) {
        guard !isBlank(text) else {
            throw DomainError(.invalidValue, english: "\(field()) must not be empty", chinese: "\(字段())不能为空", values: ["field": field()])
        }
    }

    /// Whether `text` is empty or only white space (Unicode's, as `Character.isWhitespace`).
    /// Decided from the bytes while they are ASCII: an id or a name has no
    /// leading white space, so its first byte usually decides.
    static func isBlank(_ text: String) -> Bool {
        var atStart = true
        for byte in text.utf8 {
            switch byte {
            case 0x09...0x0D, 0x20: atStart = false
            case 0x80...:
                // The first character is white space when its first scalar is (a
                // Chinese text is decided here, without breaking it into characters).
                if atStart, let first = text.unicodeScalars.first, !isWhiteSpace(first) { return false }
                return text.allSatisfy(\.isWhitespace)
            default: return false
            }
        }
        return true
    }

    /// Whether a scalar has Unicode's White_Space property (`properties.isWhitespace`),
    /// from its fixed list of members rather than a look-up in the property tables.
    @inline(__always)
    static func isWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// Two dates in the order the rule needs.
    static func ordered(_ earlier: LedgerDate, _ earlierName: String, _ 前: String,
                        _ later: LedgerDate, _ laterName: String, _ 后: String, strictly: Bool = false) throws(DomainError) {
        guard strictly ? earlier < later : earlier <= later else {
            throw DomainError(.invalidDates,
                              english: "\(earlierName) (\(earlier)) must be \(strictly ? "before" : "on or before") \(laterName) (\(later))",
                              chinese: "\(前)（\(earlier)）必须\(strictly ? "早于" : "不晚于")\(后)（\(later)）",
                              values: [earlierName: "\(earlier)", laterName: "\(later)"])
        }
    }
}

extension String {
    /// Without leading and trailing white space (as Foundation's
    /// `.whitespacesAndNewlines`); the string itself when neither end is
    /// Unicode white space, which is the common case and costs no copy.
    /// (Foundation on Linux also counts U+200B, which Unicode does not: a
    /// zero-width space at an end is trimmed only when an end is white space.)
    var trimmed: String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last,
              Rules.isWhiteSpace(first) || Rules.isWhiteSpace(last) else { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
