import Foundation
import SilverLedger

extension DomainError.Code {
    /// 联络员: the person named is a retired cadre of the register (same name and former unit), not an in-service member.
    public static let liaisonIsACadre = DomainError.Code(rawValue: "liaison.isACadre")
    /// 示范党支部: the branch is already designated at this level or a higher one.
    public static let demonstrationAlreadyDesignated = DomainError.Code(rawValue: "demonstration.alreadyDesignated")
    /// 示范党支部复审: the branch is not a demonstration branch (never designated, or revoked).
    public static let notADemonstrationBranch = DomainError.Code(rawValue: "demonstration.notDesignated")
}

/// 选派联络员: appoint an in-service party member (在职党员) liaison of a branch,
/// possibly also as its deputy secretary (兼任副书记).
///
/// The branch is active on the appointment date; name and unit are given; the
/// person is not a retired cadre of the register (no living registered cadre
/// has the same name and former unit). A branch has one liaison: a new
/// appointment replaces the previous one, is dated on or after it, and must
/// change something.
public struct AppointLiaison: DomainCommand, Codable {
    public var branch: BranchID
    public var name: String
    public var unit: String
    public var asDeputySecretary: Bool
    public var appointedOn: LedgerDate

    public init(branch: BranchID, name: String, unit: String, asDeputySecretary: Bool = false, appointedOn: LedgerDate) {
        self.branch = branch
        self.name = name
        self.unit = unit
        self.asDeputySecretary = asDeputySecretary
        self.appointedOn = appointedOn
    }

    public var date: LedgerDate { appointedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(appointedOn, today: today, "the liaison's appointment", "联络员选派")
        let name = name.trimmed
        let unit = unit.trimmed
        try Rules.nonEmpty(name, "liaison's name", "联络员姓名")
        try Rules.nonEmpty(unit, "liaison's unit", "联络员所在单位")
        let record = try Rules.activeBranch(branch, on: appointedOn, in: state)
        // The lowest id among the matches, so that the same state gives the same message.
        let matches = state.cadres.values.lazy.filter { $0.name == name && $0.formerUnit == unit && $0.registeredOn <= appointedOn && $0.isAlive(on: appointedOn) }
        if let cadre = matches.min(by: { $0.id < $1.id }) {
            throw DomainError(.liaisonIsACadre,
                              english: "the liaison \(name) of \(unit) is a retired cadre of the register (\(cadre.id)); a liaison is an in-service party member",
                              chinese: "联络员\(name)（\(unit)）是登记在册的离退休干部（\(cadre.id)），联络员须为在职党员",
                              values: ["branch": branch.rawValue, "name": name, "unit": unit, "cadre": cadre.id.rawValue])
        }
        if let current = record.liaison {
            try Rules.ordered(current.appointedOn, "the current liaison's appointment", "现任联络员选派日期",
                              appointedOn, "the new appointment", "新选派日期")
            guard current.name != name || current.unit != unit || current.asDeputySecretary != asDeputySecretary else {
                throw DomainError(.invalidValue,
                                  english: "\(name) of \(unit) is already the liaison of branch \(branch) (since \(current.appointedOn)); the appointment changes nothing",
                                  chinese: "\(name)（\(unit)）已于\(current.appointedOn)起任党支部\(branch)联络员，本次选派与现状相同",
                                  values: ["branch": branch.rawValue, "name": name, "appointedOn": "\(current.appointedOn)"])
            }
        }
        return [StreamWrite(stream: branch.stream, events: [
            LiaisonAppointed(branch: branch, name: name, unit: unit, asDeputySecretary: asDeputySecretary, appointedOn: appointedOn),
        ])]
    }
}

/// 命名示范党支部（"六好"）: designate a branch a demonstration branch, with its batch and level.
///
/// The branch is active on the date and the batch is named. A branch holds one
/// designation at a time: while designated, only a higher level (county → city
/// → province) may be designated, on or after the current designation and its
/// last review; after a revocation, a new designation is dated on or after it.
public struct DesignateDemonstration: DomainCommand, Codable {
    public var branch: BranchID
    public var batch: String
    public var level: DemonstrationLevel
    public var designatedOn: LedgerDate

    public init(branch: BranchID, batch: String, level: DemonstrationLevel, designatedOn: LedgerDate) {
        self.branch = branch
        self.batch = batch
        self.level = level
        self.designatedOn = designatedOn
    }

    public var date: LedgerDate { designatedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(designatedOn, today: today, "the designation", "示范党支部命名")
        let batch = batch.trimmed
        try Rules.nonEmpty(batch, "batch", "批次")
        let record = try Rules.activeBranch(branch, on: designatedOn, in: state)
        var previousLevel: DemonstrationLevel?
        if let current = record.demonstration {
            if let revoked = current.revokedOn {
                try Rules.ordered(revoked, "the revocation", "撤销示范党支部日期", designatedOn, "the new designation", "重新命名日期")
            } else {
                guard level > current.level else {
                    throw DomainError(.demonstrationAlreadyDesignated,
                                      english: "branch \(branch) is already a \(current.level.rawValue)-level demonstration branch (batch \(current.batch), designated \(current.designatedOn)); only a higher level may be designated (asked: \(level.rawValue))",
                                      chinese: "党支部\(branch)已于\(current.designatedOn)被命名为\(current.level.chinese)示范党支部（\(current.batch)），只能命名更高级别（本次：\(level.chinese)）",
                                      values: ["branch": branch.rawValue, "level": current.level.rawValue, "batch": current.batch,
                                               "designatedOn": "\(current.designatedOn)", "askedLevel": level.rawValue])
                }
                let last = current.lastReviewedOn ?? current.designatedOn
                try Rules.ordered(last, "the current designation or its last review", "现有命名或最近复审日期",
                                  designatedOn, "the higher designation", "更高级别命名日期")
                previousLevel = current.level
            }
        }
        return [StreamWrite(stream: branch.stream, events: [
            DemonstrationDesignated(branch: branch, batch: batch, level: level, designatedOn: designatedOn, previousLevel: previousLevel),
        ])]
    }
}

/// 示范党支部复审: record a review of a demonstration branch, passed or revoked.
///
/// Only a branch whose designation stands (designated, not revoked) and is
/// active on the date; the review comes after the designation and after the
/// last review. Reviews are due every 3 years from the designation or the last
/// passed review; an early or late review is recorded with the date it was due.
public struct RecordDemonstrationReview: DomainCommand, Codable {
    public var branch: BranchID
    public var outcome: DemonstrationReviewOutcome
    public var reviewedOn: LedgerDate

    public init(branch: BranchID, outcome: DemonstrationReviewOutcome, reviewedOn: LedgerDate) {
        self.branch = branch
        self.outcome = outcome
        self.reviewedOn = reviewedOn
    }

    public var date: LedgerDate { reviewedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(reviewedOn, today: today, "the review", "复审")
        let record = try Rules.activeBranch(branch, on: reviewedOn, in: state)
        guard let demonstration = record.demonstration else {
            throw DomainError(.notADemonstrationBranch,
                              english: "branch \(branch) was never designated a demonstration branch; only a demonstration branch is reviewed",
                              chinese: "党支部\(branch)未被命名为示范党支部，不能复审", values: ["branch": branch.rawValue])
        }
        guard let dueOn = demonstration.reviewDueOn else {
            let revoked = demonstration.revokedOn.map(\.description) ?? ""
            throw DomainError(.notADemonstrationBranch,
                              english: "branch \(branch)'s demonstration designation was revoked on \(revoked); only a demonstration branch is reviewed",
                              chinese: "党支部\(branch)的示范党支部称号已于\(revoked)撤销，不能复审",
                              values: ["branch": branch.rawValue, "revokedOn": revoked])
        }
        if let last = demonstration.lastReviewedOn {
            try Rules.ordered(last, "the last review", "上次复审日期", reviewedOn, "this review", "本次复审日期", strictly: true)
        } else {
            try Rules.ordered(demonstration.designatedOn, "the designation", "命名日期", reviewedOn, "the review", "复审日期", strictly: true)
        }
        return [StreamWrite(stream: branch.stream, events: [
            DemonstrationReviewed(branch: branch, outcome: outcome, reviewedOn: reviewedOn, dueOn: dueOn),
        ])]
    }
}

/// 特色支部 / 支部工作法: register a branch's brand and its working method.
///
/// The branch is active on the date; name and method are given. A branch has
/// one brand: a new registration replaces the previous one, is dated on or
/// after it, and must change the name or the method.
public struct RegisterBrand: DomainCommand, Codable {
    public var branch: BranchID
    public var name: String
    public var method: String
    public var registeredOn: LedgerDate

    public init(branch: BranchID, name: String, method: String, registeredOn: LedgerDate) {
        self.branch = branch
        self.name = name
        self.method = method
        self.registeredOn = registeredOn
    }

    public var date: LedgerDate { registeredOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(registeredOn, today: today, "the brand's registration", "品牌登记")
        let name = name.trimmed
        let method = method.trimmed
        try Rules.nonEmpty(name, "brand name", "品牌名称")
        try Rules.nonEmpty(method, "working method", "支部工作法")
        let record = try Rules.activeBranch(branch, on: registeredOn, in: state)
        if let current = record.brand {
            try Rules.ordered(current.registeredOn, "the current brand's registration", "现有品牌登记日期",
                              registeredOn, "the new registration", "新登记日期")
            guard current.name != name || current.method != method else {
                throw DomainError(.invalidValue,
                                  english: "branch \(branch) already has the brand \"\(name)\" with this working method (since \(current.registeredOn)); the registration changes nothing",
                                  chinese: "党支部\(branch)已于\(current.registeredOn)登记品牌\"\(name)\"及相同工作法，本次登记与现状相同",
                                  values: ["branch": branch.rawValue, "name": name, "registeredOn": "\(current.registeredOn)"])
            }
        }
        return [StreamWrite(stream: branch.stream, events: [
            BrandRegistered(branch: branch, name: name, method: method, registeredOn: registeredOn),
        ])]
    }
}
