// silverledger-crash-child: a helper process for the lock and crash tests.
//
//   silverledger-crash-child hold DIR
//       Opens the store for writing, prints "ready <pid>" and sleeps until killed.
//   silverledger-crash-child append DIR [encrypted]
//       Opens the store (fsync per append, 256 KiB segments; with `encrypted`,
//       under the key of `crashEncryptionKey`), prints
//       "ready <pid> <nextPosition>", then appends batches of 1...50 records
//       forever, printing "ack <nextPosition>" after each append returns.
//
// Every record's payload is a deterministic function of its position, its
// batch's first position, its index in the batch and the batch's size (see
// `crashRecord`, which must match the copy in the test target's TestSupport.swift),
// so that the tests can check each record they read back on its own.

import Foundation
import SilverLedgerStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


func appendLE<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

func crashRecord(position: UInt64, batchFirst: UInt64, index: UInt32, count: UInt32) -> [UInt8] {
    var rng = SplitMix64(seed: position &* 0x2545_F491_4F6C_DD1D ^ 0x5EED)
    let fillerLength = Int(rng.next() % 256)
    var out: [UInt8] = []
    out.reserveCapacity(24 + fillerLength)
    appendLE(position, to: &out)
    appendLE(batchFirst, to: &out)
    appendLE(index, to: &out)
    appendLE(count, to: &out)
    if position % 4 == 0 {
        for i in 0..<fillerLength { out.append(UInt8(65 + (i + Int(position % 7)) % 23)) }
    } else {
        while out.count < 24 + fillerLength {
            let v = rng.next()
            for k in 0..<8 where out.count < 24 + fillerLength { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
        }
    }
    return out
}

/// Writes a line to stdout at once (one write(2), no buffering), so that the
/// parent has every acknowledgement made before the kill.
func say(_ line: String) {
    Foundation.FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fail(_ message: String) -> Never {
    Foundation.FileHandle.standardError.write(Data("silverledger-crash-child: \(message)\n".utf8))
    exit(1)
}

/// Opens the store; any error (a lock included) ends the child with a message.
func openStore(_ directory: String, options: LogOptions = LogOptions()) -> Log {
    do throws(StorageError) {
        return try Log.open(at: directory, options: options)
    } catch {
        fail("open: \(error)")
    }
}

/// The key of an encrypted crash store; must match `crashEncryptionKey` in the test target's TestSupport.swift.
func crashEncryptionKey() -> EncryptionKey {
    do throws(StorageError) {
        return try EncryptionKey(bytes: (0..<32).map { UInt8(0xC0 ^ $0) })
    } catch {
        fail("key: \(error)")
    }
}

let arguments = CommandLine.arguments
guard (3...4).contains(arguments.count), ["hold", "append"].contains(arguments[1]),
      arguments.count == 3 || (arguments[1] == "append" && arguments[3] == "encrypted") else {
    Foundation.FileHandle.standardError.write(Data("usage: silverledger-crash-child hold DIR | append DIR [encrypted]\n".utf8))
    exit(2)
}
let directory = arguments[2]

switch arguments[1] {
case "hold":
    let log = openStore(directory)
    say("ready \(getpid())")
    withExtendedLifetime(log) {
        while true { sleep(1000) }
    }

default:
    var options = LogOptions(durability: .fsyncPerAppend)
    options.segmentSize = 256 << 10
    if arguments.count == 4 { options.encryptionKey = crashEncryptionKey() }
    let log = openStore(directory, options: options)
    say("ready \(getpid()) \(log.nextPosition)")
    var generator = SystemRandomNumberGenerator()
    while true {
        let first = log.nextPosition
        let count = Int.random(in: 1...50, using: &generator)
        var batch = LogBatch()
        for i in 0..<count {
            batch.append(crashRecord(position: first + UInt64(i), batchFirst: first, index: UInt32(i), count: UInt32(count)))
        }
        let receipt: AppendReceipt
        do { receipt = try log.append(batch) } catch { fail("append at \(first): \(error)") }
        if receipt.firstPosition != first || receipt.count != count {
            fail("append at \(first) of \(count) records got \(receipt)")
        }
        say("ack \(receipt.firstPosition + UInt64(receipt.count))")
    }
}
