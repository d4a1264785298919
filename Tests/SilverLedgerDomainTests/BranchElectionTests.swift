import SilverLedger
import Testing

@testable import SilverLedgerDomain

/// A branch B1 with members C1…Cn (party members), established on 2020-01-01.
func branchWithMembers(_ ledger: Ledger, _ count: Int, branch: BranchID = "B1", joinedOn: String = "2020-02-01") async throws {
    try await ledger.execute(EstablishBranch(branch: branch, name: "省水利厅离退休干部第一党支部", type: .standalone,
                                             parentOrganisation: "省水利厅机关党委", establishedOn: date("2020-01-01")),
                             by: "op", commandID: "establish-\(branch)")
    for i in 1...count {
        let id = CadreID("\(branch)-C\(i)")
        try await register(ledger, id)
        try await member(ledger, id, joined: "1970-01-01", full: "1971-01-01")
        try await ledger.execute(AddMember(branch: branch, cadre: id, addedOn: date(joinedOn)), by: "op", commandID: "add-\(id)")
    }
}

@Suite("Branches: electing a secretary (选举支部书记)")
struct BranchElectionTests {
    @discardableResult
    private func elect(_ ledger: Ledger, _ cadre: CadreID, on: String = "2024-03-01", role: BranchRole = .secretary,
                       entitled: Int, present: Int, votes: Int, id: String) async throws -> AppendResult {
        try await ledger.execute(ElectOfficer(branch: "B1", role: role, cadre: cadre, electedOn: date(on),
                                              entitled: entitled, present: present, votesFor: votes), by: "op", commandID: id)
    }

    @Test func aValidElectionSeatsTheSecretaryForThreeYears() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 10)
        try await elect(ledger, "B1-C1", entitled: 10, present: 9, votes: 5, id: "e1")
        let branch = await ledger.state.branches["B1"]
        #expect(branch?.secretary == .init(cadre: "B1-C1", electedOn: date("2024-03-01"), termEndsOn: date("2027-03-01")))
        let event = try ledger.store.readStream(BranchID("B1").stream).last
        let elected = try event?.decoded(as: OfficerElected.self, with: Ledger.eventTypes)
        #expect(elected?.entitled == 10 && elected?.present == 9 && elected?.votesFor == 5)
        // Deputy and committee under the same rules; a new secretary replaces the old one.
        try await elect(ledger, "B1-C2", role: .deputySecretary, entitled: 10, present: 10, votes: 6, id: "e2")
        try await elect(ledger, "B1-C3", role: .committeeMember, entitled: 10, present: 10, votes: 6, id: "e3")
        try await elect(ledger, "B1-C4", on: "2024-06-01", entitled: 10, present: 10, votes: 10, id: "e4")
        let after = await ledger.state.branches["B1"]
        #expect(after?.secretary?.cadre == "B1-C4")
        #expect(after?.deputies.keys.sorted() == ["B1-C2"])
        #expect(after?.committee.keys.sorted() == ["B1-C3"])
    }

    @Test func officersWhoseTermIsOverLeaveAtTheNextElection() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 10)
        try await elect(ledger, "B1-C1", on: "2021-03-01", entitled: 10, present: 10, votes: 10, id: "t1")
        try await elect(ledger, "B1-C2", on: "2021-03-01", role: .deputySecretary, entitled: 10, present: 10, votes: 10, id: "t2")
        try await elect(ledger, "B1-C3", on: "2021-03-01", role: .committeeMember, entitled: 10, present: 10, votes: 10, id: "t3")
        // A by-election in the term keeps the others.
        try await elect(ledger, "B1-C4", on: "2022-05-01", role: .committeeMember, entitled: 10, present: 10, votes: 10, id: "t4")
        #expect(await ledger.state.branches["B1"]?.committee.keys.sorted() == ["B1-C3", "B1-C4"])
        // 换届 after the term (to 2024-03-01): only those elected again hold office.
        try await elect(ledger, "B1-C5", on: "2024-03-01", entitled: 10, present: 10, votes: 10, id: "t5")
        try await elect(ledger, "B1-C3", on: "2024-03-01", role: .committeeMember, entitled: 10, present: 10, votes: 10, id: "t6")
        let branch = await ledger.state.branches["B1"]
        #expect(branch?.secretary?.cadre == "B1-C5")
        #expect(branch?.deputies.isEmpty == true)
        // C4's by-election term ran to 2025-05-01: still in office.
        #expect(branch?.committee.keys.sorted() == ["B1-C3", "B1-C4"])
        #expect(branch?.committee["B1-C3"]?.termEndsOn == date("2027-03-01"))
    }

    @Test func quorumNeedsMoreThanFourFifthsPresent() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 3)
        let written = ledger.store.nextPosition
        // Exactly 4/5 is not more than 4/5.
        for (entitled, present) in [(5, 4), (10, 8), (20, 16), (1, 0)] {
            let error = await refusal { _ = try await elect(ledger, "B1-C1", entitled: entitled, present: present, votes: present, id: "q-\(entitled)-\(present)") }
            #expect(error?.code == .electionQuorum, "\(present) of \(entitled)")
        }
        let error = await refusal { _ = try await elect(ledger, "B1-C1", entitled: 10, present: 8, votes: 8, id: "q") }
        #expect(error?.english == "8 of 10 entitled voters present; more than 4/5 must be present: the election is not valid")
        #expect(error?.chinese == "应到10人，实到8人，未超过应到人数的五分之四，选举无效")
        #expect(ledger.store.nextPosition == written)
        // Just over: valid.
        try await elect(ledger, "B1-C1", entitled: 5, present: 5, votes: 3, id: "ok-5")
        try await elect(ledger, "B1-C1", entitled: 10, present: 9, votes: 5, id: "ok-9")
        try await elect(ledger, "B1-C1", entitled: 21, present: 17, votes: 9, id: "ok-17")   // 85 > 84
    }

    @Test func theWinnerNeedsMoreThanHalfOfThosePresent() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 3)
        for (present, votes) in [(8, 4), (9, 4), (10, 5), (1, 0)] {
            let entitled = present
            let error = await refusal { _ = try await elect(ledger, "B1-C1", entitled: entitled, present: present, votes: votes, id: "m-\(present)-\(votes)") }
            #expect(error?.code == .electionMajority, "\(votes) of \(present)")
        }
        let error = await refusal { _ = try await elect(ledger, "B1-C1", entitled: 8, present: 8, votes: 4, id: "m") }
        #expect(error?.english == "4 votes of 8 present; more than half are needed to be elected")
        try await elect(ledger, "B1-C1", entitled: 8, present: 8, votes: 5, id: "ok")
        try await elect(ledger, "B1-C1", entitled: 1, present: 1, votes: 1, id: "ok-1")
    }

    @Test func impossibleCountsAndTermsAreRefused() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 2)
        for (entitled, present, votes) in [(0, 0, 0), (5, 6, 5), (5, 5, 6), (5, -1, 0), (5, 5, -1)] {
            let error = await refusal { _ = try await elect(ledger, "B1-C1", entitled: entitled, present: present, votes: votes, id: "c-\(entitled)-\(present)-\(votes)") }
            #expect(error?.code == .electionCounts, "\(entitled)/\(present)/\(votes)")
        }
        let term = await refusal {
            try await ledger.execute(ElectOfficer(branch: "B1", role: .secretary, cadre: "B1-C1", electedOn: date("2024-03-01"), termYears: 0,
                                                  entitled: 5, present: 5, votesFor: 5), by: "op", commandID: "t0")
        }
        #expect(term?.code == .invalidValue)
    }

    @Test func theWinnerIsAMemberOfTheBranchOnTheElectionDate() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 2, joinedOn: "2024-03-10")
        try await register(ledger, "X1")
        try await member(ledger, "X1", joined: "1970-01-01", full: "1971-01-01")
        // Elected before joining.
        let early = await refusal { _ = try await elect(ledger, "B1-C1", on: "2024-03-01", entitled: 5, present: 5, votes: 5, id: "e-early") }
        #expect(early?.code == .notABranchMember)
        #expect(early?.english == "cadre B1-C1 was not a member of branch B1 on 2024-03-01")
        // Not a member at all.
        let outsider = await refusal { _ = try await elect(ledger, "X1", on: "2024-04-01", entitled: 5, present: 5, votes: 5, id: "e-x") }
        #expect(outsider?.code == .notABranchMember)
        // Transferred away: no longer electable in the old branch, electable in the new one.
        try await ledger.execute(EstablishBranch(branch: "B2", name: "第二党支部", type: .joint, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B2")
        try await ledger.execute(TransferMember(cadre: "B1-C2", from: "B1", to: "B2", transferredOn: date("2024-05-01")), by: "op", commandID: "move")
        let moved = await refusal { _ = try await elect(ledger, "B1-C2", on: "2024-05-02", entitled: 5, present: 5, votes: 5, id: "e-moved") }
        #expect(moved?.code == .notABranchMember)
        #expect(moved?.english == "cadre B1-C2 was not a member of branch B1 on 2024-05-02 (a member of B2)")
        // But was a member on an earlier date: a late record of an earlier election is fine.
        try await elect(ledger, "B1-C2", on: "2024-04-20", entitled: 5, present: 5, votes: 5, id: "e-before-move")
        try await ledger.execute(ElectOfficer(branch: "B2", role: .secretary, cadre: "B1-C2", electedOn: date("2024-05-02"),
                                              entitled: 3, present: 3, votesFor: 2), by: "op", commandID: "e-b2")
    }

    @Test func aSecretarysDeathVacatesTheOfficeAndABYElectionFillsIt() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 6)
        try await elect(ledger, "B1-C1", on: "2023-03-01", entitled: 6, present: 6, votes: 6, id: "e1")
        try await ledger.execute(RecordDeath(cadre: "B1-C1", diedOn: date("2024-01-10"), recordedOn: date("2024-01-12")), by: "op", commandID: "death")
        let state = await ledger.state
        #expect(state.branches["B1"]?.secretary == nil)
        #expect(state.branches["B1"]?.members.contains("B1-C1") == false)
        #expect(state.cadres["B1-C1"]?.branchStints.last?.until == date("2024-01-10"))
        // The dead cannot be elected after their death; a by-election elects another member.
        let dead = await refusal { _ = try await elect(ledger, "B1-C1", on: "2024-02-01", entitled: 5, present: 5, votes: 5, id: "e-dead") }
        #expect(dead?.code == .cadreDeceased)
        try await elect(ledger, "B1-C2", on: "2024-02-01", entitled: 5, present: 5, votes: 4, id: "by-election")
        #expect(await ledger.state.branches["B1"]?.secretary?.cadre == "B1-C2")
    }

    @Test func membershipRulesOneBranchAtATime() async throws {
        let ledger = try ledger()
        try await branchWithMembers(ledger, 1)
        try await ledger.execute(EstablishBranch(branch: "B2", name: "第二党支部", type: .temporary, parentOrganisation: "机关党委", establishedOn: date("2020-01-01")),
                                 by: "op", commandID: "establish-B2")
        let twice = await refusal { try await ledger.execute(AddMember(branch: "B2", cadre: "B1-C1", addedOn: date("2024-01-01")), by: "op", commandID: "a2") }
        #expect(twice?.code == .alreadyInABranch)
        #expect(twice?.chinese == "离退休干部B1-C1已是党支部B1的党员，同一时间只能属于一个支部（请办理转接）")
        try await ledger.execute(RemoveMember(branch: "B1", cadre: "B1-C1", reason: "组织关系转出本系统", removedOn: date("2024-03-01")), by: "op", commandID: "r1")
        // Rejoining may not overlap the old stint.
        let overlap = await refusal { try await ledger.execute(AddMember(branch: "B2", cadre: "B1-C1", addedOn: date("2024-02-01")), by: "op", commandID: "a3") }
        #expect(overlap?.code == .alreadyInABranch)
        try await ledger.execute(AddMember(branch: "B2", cadre: "B1-C1", addedOn: date("2024-03-01")), by: "op", commandID: "a4")
        // A branch with members cannot be dissolved; once empty it can, and nothing joins it afterwards.
        let full = await refusal { try await ledger.execute(DissolveBranch(branch: "B2", dissolvedOn: date("2024-04-01")), by: "op", commandID: "x1") }
        #expect(full?.code == .branchHasMembers)
        try await ledger.execute(DissolveBranch(branch: "B1", dissolvedOn: date("2024-04-01")), by: "op", commandID: "x2")
        try await register(ledger, "N1")
        try await member(ledger, "N1", joined: "1970-01-01", full: "1971-01-01")
        let dissolved = await refusal { try await ledger.execute(AddMember(branch: "B1", cadre: "N1", addedOn: date("2024-05-01")), by: "op", commandID: "a5") }
        #expect(dissolved?.code == .branchDissolved)
        // Not before joining the party.
        try await register(ledger, "N3")
        try await member(ledger, "N3", joined: "2024-06-01", full: "2024-06-01", on: "2024-06-02")
        let early = await refusal { try await ledger.execute(AddMember(branch: "B2", cadre: "N3", addedOn: date("2024-05-31")), by: "op", commandID: "a7") }
        #expect(early?.code == .notAPartyMember)
        #expect(early?.english == "cadre N3 joined the party on 2024-06-01, after 2024-05-31; branches are of party members")
        // Only party members join branches.
        try await register(ledger, "N2")
        let notMember = await refusal { try await ledger.execute(AddMember(branch: "B2", cadre: "N2", addedOn: date("2024-05-01")), by: "op", commandID: "a6") }
        #expect(notMember?.code == .notAPartyMember)
    }
}
