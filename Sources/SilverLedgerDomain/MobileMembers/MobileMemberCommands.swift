import Foundation
import SilverLedger

extension DomainError.Code {
    /// 流动党员: the member already has an open outflow (one at a time).
    public static let outflowAlreadyOpen = DomainError.Code(rawValue: "mobile.alreadyAway")
    /// 流动党员: the member has no open outflow to accept or close.
    public static let noOpenOutflow = DomainError.Code(rawValue: "mobile.notAway")
    /// 流动党员: the open outflow was already accepted by a receiving organisation.
    public static let inflowAlreadyAccepted = DomainError.Code(rawValue: "mobile.alreadyAccepted")
}

/// The open outflow of a cadre, or the refusal that names its absence.
enum MobileMemberRules {
    static func openOutflow(of cadre: CadreID, in state: DomainState, _ what: String, _ 什么: String) throws(DomainError) -> MobileMembersState.Outflow {
        guard let outflow = state.mobileMembers.away[cadre] else {
            let back = state.mobileMembers.lastReturnedOn[cadre]
            throw DomainError(.noOpenOutflow,
                              english: "cadre \(cadre) has no open outflow (流动党员外出) to \(what)" + (back.map { " (returned on \($0))" } ?? ""),
                              chinese: "离退休干部\(cadre)没有未结束的外出流动登记，无法\(什么)" + (back.map { "（已于\($0)返回）" } ?? ""),
                              values: ["cadre": cadre.rawValue, "lastReturnedOn": back.map(\.description) ?? ""])
        }
        return outflow
    }
}

/// 流出登记: the member's branch registers that the member lives away for a long time.
///
/// The cadre is alive and a member of `fromBranch` on `since` (the branch is
/// active then); destination and reason are given; the member has no open
/// outflow (one at a time), and `since` is not before the member's last return.
/// In the cadre's stream.
public struct RegisterOutflow: DomainCommand, Codable {
    public var cadre: CadreID
    public var fromBranch: BranchID
    public var destination: String
    public var reason: String
    public var since: LedgerDate

    public init(cadre: CadreID, fromBranch: BranchID, destination: String, reason: String, since: LedgerDate) {
        self.cadre = cadre
        self.fromBranch = fromBranch
        self.destination = destination
        self.reason = reason
        self.since = since
    }

    public var date: LedgerDate { since }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(since, today: today, "the outflow", "外出流动")
        let destination = destination.trimmed
        let reason = reason.trimmed
        try Rules.nonEmpty(destination, "destination", "流入地")
        try Rules.nonEmpty(reason, "reason", "外出原因")
        _ = try Rules.activeBranch(fromBranch, on: since, in: state)
        let record = try Rules.livingCadre(cadre, on: since, in: state)
        try Rules.member(record, of: fromBranch, on: since)
        if let open = state.mobileMembers.away[cadre] {
            throw DomainError(.outflowAlreadyOpen,
                              english: "cadre \(cadre) is already away (to \(open.destination) since \(open.since), registered by branch \(open.fromBranch)); one open outflow at a time: record the return first",
                              chinese: "离退休干部\(cadre)已于\(open.since)外出流动至\(open.destination)（党支部\(open.fromBranch)登记），同一时间只能有一次外出，请先登记返回",
                              values: ["cadre": cadre.rawValue, "since": "\(open.since)", "destination": open.destination, "fromBranch": open.fromBranch.rawValue])
        }
        if let back = state.mobileMembers.lastReturnedOn[cadre] {
            try Rules.ordered(back, "the last return", "上次返回日期", since, "the new outflow", "本次外出日期")
        }
        return [StreamWrite(stream: cadre.stream, events: [
            OutflowRegistered(cadre: cadre, fromBranch: fromBranch, destination: destination, reason: reason, since: since),
        ])]
    }
}

/// 流入接收: the receiving organisation accepts a member who is away.
///
/// Only for an open outflow, once; on or after its start; the cadre alive on
/// the date. In the cadre's stream.
public struct AcceptInflow: DomainCommand, Codable {
    public var cadre: CadreID
    public var receivingOrganisation: String
    public var acceptedOn: LedgerDate

    public init(cadre: CadreID, receivingOrganisation: String, acceptedOn: LedgerDate) {
        self.cadre = cadre
        self.receivingOrganisation = receivingOrganisation
        self.acceptedOn = acceptedOn
    }

    public var date: LedgerDate { acceptedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(acceptedOn, today: today, "the acceptance", "流入接收")
        let organisation = receivingOrganisation.trimmed
        try Rules.nonEmpty(organisation, "receiving organisation", "流入地党组织")
        let outflow = try MobileMemberRules.openOutflow(of: cadre, in: state, "accept", "接收")
        if let accepted = outflow.acceptedOn {
            let by = outflow.receivingOrganisation ?? ""
            throw DomainError(.inflowAlreadyAccepted,
                              english: "the outflow of cadre \(cadre) since \(outflow.since) was already accepted by \(by) on \(accepted); it is accepted once",
                              chinese: "离退休干部\(cadre)自\(outflow.since)的外出流动已于\(accepted)由\(by)接收，不能重复接收",
                              values: ["cadre": cadre.rawValue, "since": "\(outflow.since)", "acceptedOn": "\(accepted)", "receivingOrganisation": by])
        }
        try Rules.ordered(outflow.since, "the outflow", "外出日期", acceptedOn, "the acceptance", "接收日期")
        try Rules.checkLiving(cadre, on: acceptedOn, in: state)
        return [StreamWrite(stream: cadre.stream, events: [
            InflowAccepted(cadre: cadre, fromBranch: outflow.fromBranch, receivingOrganisation: organisation, since: outflow.since, acceptedOn: acceptedOn),
        ])]
    }
}

/// 返回: the member is back; closes the open outflow.
///
/// Only for an open outflow; on or after its start (and its acceptance, if
/// any); the cadre alive on the date. In the cadre's stream.
public struct RecordReturn: DomainCommand, Codable {
    public var cadre: CadreID
    public var returnedOn: LedgerDate

    public init(cadre: CadreID, returnedOn: LedgerDate) {
        self.cadre = cadre
        self.returnedOn = returnedOn
    }

    public var date: LedgerDate { returnedOn }

    public func decide(_ state: DomainState, today: LedgerDate) throws(DomainError) -> [StreamWrite] {
        try Rules.notInFuture(returnedOn, today: today, "the return", "返回")
        let outflow = try MobileMemberRules.openOutflow(of: cadre, in: state, "close", "登记返回")
        try Rules.ordered(outflow.since, "the outflow", "外出日期", returnedOn, "the return", "返回日期")
        if let accepted = outflow.acceptedOn {
            try Rules.ordered(accepted, "the acceptance", "接收日期", returnedOn, "the return", "返回日期")
        }
        try Rules.checkLiving(cadre, on: returnedOn, in: state)
        return [StreamWrite(stream: cadre.stream, events: [
            MobileMemberReturned(cadre: cadre, fromBranch: outflow.fromBranch, since: outflow.since, returnedOn: returnedOn),
        ])]
    }
}
