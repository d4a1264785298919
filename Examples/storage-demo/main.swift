// The storage demo: append batches to a fresh store, reopen it, read the
// records back, seek by time, and verify every batch. `swift run storage-demo [DIR]`.
import Foundation
import SilverLedgerStorage

let directory = CommandLine.arguments.dropFirst().first
    ?? FileManager.default.temporaryDirectory.appendingPathComponent("silverledger-demo-\(getpid())").path
try? FileManager.default.removeItem(atPath: directory)

func record(_ i: Int) -> [UInt8] {
    Array(#"{"type":"VisitLogged","cadre":"cadre-\#(i % 500)","kind":"节日慰问","channel":"inPerson","visitors":["staff-\#(i % 17)"],"notes":"走访慰问 #\#(i)"}"#.utf8)
}

let batches = 200, perBatch = 1000
var options = LogOptions(durability: .fsyncPerAppend)
options.segmentSize = 4 << 20

print("SilverLedger storage demo — store at \(directory)")
let start = Date()
do {
    let log = try Log.open(at: directory, options: options)
    var batch = LogBatch(byteCapacity: perBatch * 160)
    for b in 0..<batches {
        batch.removeAll()
        for r in 0..<perBatch { batch.append(record(b * perBatch + r)) }
        try log.append(batch)
    }
    let seconds = Date().timeIntervalSince(start)
    print("appended \(batches * perBatch) records in \(batches) durable batches: \(Int(Double(batches * perBatch) / seconds)) records/s")
    try log.close()
}

let log = try Log.open(at: directory, options: options)
print("reopened: \(log.nextPosition) records in \(log.segments.count) segments, chain head \(log.chainHead.prefix(16))…")
let cursor = try log.cursor(from: 0, verifyingChain: true)
var count: UInt64 = 0
while let batch = try cursor.nextBatch() {
    try batch.forEach { position, _, payload in
        guard Array(payload) == record(Int(position)) else { throw StorageError(.corrupted, "record \(position) differs") }
        count += 1
    }
}
print("read back \(count) records, every payload equal, chain checked")
if let middle = try log.cursor(from: log.nextPosition / 2).next() {
    let found = try log.position(atOrAfter: middle.timestamp)
    print("seek by time: first record at or after the timestamp of \(middle.position) is \(found)")
}
let report = try log.verify()
print("verify: \(report.segments) segments, \(report.batches) batches, \(report.records) records, "
    + "\(report.storedBytes) bytes stored for \(report.uncompressedBytes) uncompressed "
    + String(format: "(%.1fx)", Double(report.uncompressedBytes) / Double(max(1, report.storedBytes)))
    + " — \(report.isIntact ? "intact" : "DAMAGED")")
for problem in report.problems { print("  \(problem)") }
try log.close()
if CommandLine.arguments.count < 2 { try? FileManager.default.removeItem(atPath: directory) }
exit(report.isIntact ? 0 : 1)
