import SilverLedger

/// The level of a demonstration branch designation (示范党支部的级别).
public enum DemonstrationLevel: String, Codable, Sendable, CaseIterable, Comparable {
    /// 县级
    case county
    /// 市级
    case city
    /// 省级
    case province

    /// 县级 / 市级 / 省级.
    public var chinese: String {
        switch self {
        case .county: "县级"
        case .city: "市级"
        case .province: "省级"
        }
    }

    /// County below city below province.
    var rank: Int {
        switch self {
        case .county: 0
        case .city: 1
        case .province: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// The outcome of a demonstration branch review (复审).
public enum DemonstrationReviewOutcome: String, Codable, Sendable, CaseIterable {
    /// 通过: the designation continues; the next review is due 3 years later.
    case passed
    /// 撤销: the designation ends.
    case revoked

    /// 通过 / 撤销.
    public var chinese: String { self == .passed ? "通过" : "撤销" }
}

extension BranchRecord {
    /// 联络员: an in-service party member (在职党员), not a retired cadre of the register.
    public struct Liaison: Codable, Sendable, Hashable {
        public var name: String
        /// 所在单位.
        public var unit: String
        /// 兼任副书记.
        public var asDeputySecretary: Bool
        public var appointedOn: LedgerDate
    }

    /// 示范党支部（"六好"）: a designation and its reviews.
    public struct Demonstration: Codable, Sendable, Hashable {
        /// Years between reviews (复审): 3.
        public static let reviewIntervalYears = 3

        /// 批次, e.g. 第三批.
        public var batch: String
        public var level: DemonstrationLevel
        public var designatedOn: LedgerDate
        /// The latest review, passed or revoked.
        public var lastReviewedOn: LedgerDate?
        /// The latest passed review.
        public var lastPassedOn: LedgerDate?
        /// Set when a review revoked the designation.
        public var revokedOn: LedgerDate?

        /// Whether the designation stands (not revoked).
        public var isCurrent: Bool { revokedOn == nil }

        /// When the next review is due: 3 years after the designation or the last passed review; nil once revoked.
        public var reviewDueOn: LedgerDate? {
            isCurrent ? (lastPassedOn ?? designatedOn).adding(years: Self.reviewIntervalYears) : nil
        }
    }

    /// 特色支部 / 支部工作法: a branch brand and its working method.
    public struct Brand: Codable, Sendable, Hashable {
        public var name: String
        public var method: String
        public var registeredOn: LedgerDate
    }
}

/// 选派联络员: an in-service party member appointed liaison of a branch (replaces an earlier liaison).
public struct LiaisonAppointed: Event, Equatable {
    public static let eventType = "LiaisonAppointed"
    public var branch: BranchID
    public var name: String
    public var unit: String
    public var asDeputySecretary: Bool
    public var appointedOn: LedgerDate
}

/// 命名示范党支部: a branch designated a "六好" demonstration branch.
public struct DemonstrationDesignated: Event, Equatable {
    public static let eventType = "DemonstrationDesignated"
    public var branch: BranchID
    public var batch: String
    public var level: DemonstrationLevel
    public var designatedOn: LedgerDate
    /// The level it held before, when this designation raises it (e.g. county → city).
    public var previousLevel: DemonstrationLevel?
}

/// 示范党支部复审: passed or revoked.
public struct DemonstrationReviewed: Event, Equatable {
    public static let eventType = "DemonstrationReviewed"
    public var branch: BranchID
    public var outcome: DemonstrationReviewOutcome
    public var reviewedOn: LedgerDate
    /// When the review was due (3 years after the designation or the last passed review).
    public var dueOn: LedgerDate
}

/// 特色支部 / 支部工作法: a brand registered (replaces an earlier one).
public struct BrandRegistered: Event, Equatable {
    public static let eventType = "BrandRegistered"
    public var branch: BranchID
    public var name: String
    public var method: String
    public var registeredOn: LedgerDate
}

extension LiaisonAppointed: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.branches[branch]?.liaison = .init(name: name, unit: unit, asDeputySecretary: asDeputySecretary, appointedOn: appointedOn)
    }
}

extension DemonstrationDesignated: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.branches[branch]?.demonstration = .init(batch: batch, level: level, designatedOn: designatedOn)
    }
}

extension DemonstrationReviewed: DomainEvent {
    public func apply(to state: inout DomainState) {
        guard var demonstration = state.branches[branch]?.demonstration else { return }
        demonstration.lastReviewedOn = reviewedOn
        switch outcome {
        case .passed: demonstration.lastPassedOn = reviewedOn
        case .revoked: demonstration.revokedOn = reviewedOn
        }
        state.branches[branch]?.demonstration = demonstration
    }
}

extension BrandRegistered: DomainEvent {
    public func apply(to state: inout DomainState) {
        state.branches[branch]?.brand = .init(name: name, method: method, registeredOn: registeredOn)
    }
}
