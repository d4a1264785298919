// Embedding SilverLedger in a service: open a store, issue commands, answer a query.
// Run: swift run embedding-example [DIR]   (default: a new directory under /tmp)
import Foundation
import SilverLedger
import SilverLedgerDomain

let directory = CommandLine.arguments.dropFirst().first ?? NSTemporaryDirectory() + "silverledger-embedding-\(UUID().uuidString)"
let store = try EventStore.open(at: directory, types: Ledger.eventTypes)   // one writer per store: takes its lock
let ledger = try Ledger(store: store)                                        // the rules' state, rebuilt from the log
let day = { (text: String) in LedgerDate(text)! }

// Each command is checked against the records, then appended durably; the same command id sent again is recorded once.
try await ledger.execute(EstablishBranch(branch: "B0001", name: "省水利厅离退休干部第一党支部", type: .standalone,
                                         parentOrganisation: "省水利厅机关党委", establishedOn: day("2023-03-01")), by: "op-组织处", commandID: "b1")
for (id, name, full) in [("C0000001", "王建国", "1974-07-01"), ("C0000002", "李秀英", "1980-05-04"), ("C0000003", "张志强", "1976-12-01")] {
    try await ledger.execute(RegisterCadre(cadre: CadreID(id), name: name, category: .tuixiu, birthDate: day("1950-05-04"), formerLevel: .departmental,
                                           formerUnit: "省水利厅", retiredOn: day("2010-06-01"), residence: "杭州市西湖区", registeredOn: day("2023-03-02")),
                             by: "op-组织处", commandID: "reg-\(id)")
    try await ledger.execute(RecordPartyMembership(cadre: CadreID(id), joinedOn: day(full).adding(years: -1), fullMemberOn: day(full),
                                                   recordedOn: day("2023-03-02")), by: "op-组织处", commandID: "party-\(id)")
    try await ledger.execute(AddMember(branch: "B0001", cadre: CadreID(id), addedOn: day("2023-03-10")), by: "op-组织处", commandID: "add-\(id)")
}
try await ledger.execute(ElectOfficer(branch: "B0001", role: .secretary, cadre: "C0000001", electedOn: day("2023-04-01"),
                                      entitled: 3, present: 3, votesFor: 3), by: "op-组织处", commandID: "elect-2023")

// A command that breaks a rule writes nothing and says which rule, with the values, in English and Chinese.
do {
    try await ledger.execute(AwardMedal50(cadre: "C0000002", awardedOn: day("2024-07-01")), by: "op-干部处", commandID: "medal-C0000002")
} catch {
    print("refused:", error.code, error.english, "/", error.chinese)
}

// Queries read a view of the records: now, or as of a past position or time.
let view = try ledger.view()
for candidate in view.medalCandidates(by: day("2024-07-01")) { print("光荣在党50年 due:", candidate.name, candidate.reachesFiftyOn) }
if let leadership = view.leadership(of: "B0001") { print(try LedgerView.json(leadership)) }
try store.close()
print("store:", directory)
