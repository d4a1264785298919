/// A command the domain refused: nothing was written. It names the rule that
/// was broken and the values involved, in English and in Chinese.
///
/// ```
/// medal.standing: party standing on 2024-07-01 is 49 years, 50 required
///                 / 截至2024-07-01党龄49年，不满50年
/// ```
public struct DomainError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code to match on; its raw value never changes between versions.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The command names a cadre the register does not have.
        public static let unknownCadre = Code(rawValue: "cadre.unknown")
        /// A cadre with this id is already registered.
        public static let cadreAlreadyRegistered = Code(rawValue: "cadre.alreadyRegistered")
        /// The cadre died before the command's date.
        public static let cadreDeceased = Code(rawValue: "cadre.deceased")
        /// The command's dates are out of order or impossible (e.g. full membership before joining).
        public static let invalidDates = Code(rawValue: "date.invalid")
        /// The command is dated after today (UTC+8).
        public static let dateInFuture = Code(rawValue: "date.future")
        /// The command is dated before something it names existed.
        public static let dateBeforeExistence = Code(rawValue: "date.beforeExistence")
        /// A required value is empty or out of range.
        public static let invalidValue = Code(rawValue: "value.invalid")
        /// The cadre is not a party member (no membership recorded).
        public static let notAPartyMember = Code(rawValue: "party.notAMember")
        /// Party membership is already recorded; correct it instead.
        public static let membershipAlreadyRecorded = Code(rawValue: "party.alreadyRecorded")
        /// "光荣在党50年": party standing is under 50 full years on the award date.
        public static let medalStandingTooShort = Code(rawValue: "medal.standing")
        /// "光荣在党50年": the medal was awarded before.
        public static let medalAlreadyAwarded = Code(rawValue: "medal.alreadyAwarded")
        /// A record with this id (a study session, …) already exists.
        public static let recordExists = Code(rawValue: "record.exists")
        /// Not written because another command of the same all-or-nothing batch was refused.
        public static let batchNotWritten = Code(rawValue: "batch.notWritten")
        /// The store refused or failed the append (see the message).
        public static let store = Code(rawValue: "store")
        /// A line of input (a command as a JSON line, …) is not well formed: not
        /// JSON, a key missing or unknown, a value of the wrong type. The values
        /// name the `line` and, where known, the `command`, the `field` and what
        /// was `expected`.
        public static let malformedInput = Code(rawValue: "input.malformed")
    }

    /// What kind of refusal this is.
    public var code: Code
    /// The message in English, naming the rule and the values.
    public var english: String
    /// The same in Chinese, as the bureau's users read it.
    public var chinese: String
    /// The values involved, by name (e.g. `standingYears: 49`).
    public var values: [String: String]

    public init(_ code: Code, english: String, chinese: String, values: [String: String] = [:]) {
        self.code = code
        self.english = english
        self.chinese = chinese
        self.values = values
    }

    /// `code: english / chinese`.
    public var description: String { "\(code): \(english) / \(chinese)" }
}

extension DomainError.Code {
    /// The command names a branch that was never established.
    public static let unknownBranch = DomainError.Code(rawValue: "branch.unknown")
    /// A branch with this id was already established.
    public static let branchAlreadyEstablished = DomainError.Code(rawValue: "branch.alreadyEstablished")
    /// The branch was dissolved before the command's date.
    public static let branchDissolved = DomainError.Code(rawValue: "branch.dissolved")
    /// The cadre is already in a branch (at most one at a time; move with a transfer).
    public static let alreadyInABranch = DomainError.Code(rawValue: "branch.alreadyMember")
    /// The cadre is not a member of the branch on the command's date.
    public static let notABranchMember = DomainError.Code(rawValue: "branch.notAMember")
    /// The branch still has members and cannot be dissolved.
    public static let branchHasMembers = DomainError.Code(rawValue: "branch.hasMembers")
    /// Voters present do not exceed 4/5 of those entitled: the election is not valid.
    public static let electionQuorum = DomainError.Code(rawValue: "election.quorum")
    /// The winner's votes do not exceed half of the voters present.
    public static let electionMajority = DomainError.Code(rawValue: "election.majority")
    /// The counts are impossible (present above entitled, votes above present, none entitled).
    public static let electionCounts = DomainError.Code(rawValue: "election.counts")
}
