import SilverLedger

/// Values by string, found by the string's 64-bit fingerprint (a command id's
/// ``EventStore/fingerprint(ofCommand:)``, which the ledger computes once per
/// id for the store too; a stream's ``Swift/String/quickFingerprint``): a
/// look-up probes a table of fingerprints (open addressing, at most half full)
/// with no further hashing, and compares bytes only when fingerprints match.
/// Strings are equal here when their UTF-8 bytes are, as they are for the
/// store. Different strings with one fingerprint (rare, but a caller could
/// choose ids that collide) are chained, so every answer is exact. Built for a
/// batch: entries are added, never removed.
struct FingerprintTable<Value> {
    /// `entry` is 1 + the place in `entries` of the fingerprint's first entry; 0 marks a free slot.
    private struct Slot {
        var fingerprint: UInt64
        var entry: Int32
    }

    private struct Entry {
        var key: String
        var value: Value
        /// The place of the next entry with the same fingerprint, or -1.
        var next: Int32
    }

    private var slots: [Slot]
    private var entries: [Entry] = []
    /// 64 - log2(slots.count): a fingerprint's home is the top bits of its product with an odd constant.
    private var shift: Int
    /// Slots in use (distinct fingerprints).
    private var used = 0

    init(capacity: Int) {
        let size = FingerprintSlots.size(for: capacity)
        slots = [Slot](repeating: Slot(fingerprint: 0, entry: 0), count: size.count)
        shift = size.shift
        entries.reserveCapacity(capacity)
    }

    var count: Int { entries.count }

    /// The slot of `fingerprint`, or the free slot where it would go.
    private func slot(of fingerprint: UInt64) -> Int {
        let mask = slots.count - 1
        var i = FingerprintSlots.home(fingerprint, shift: shift)
        while slots[i].entry != 0 && slots[i].fingerprint != fingerprint { i = (i + 1) & mask }
        return i
    }

    /// The place in `entries` of `key`, or nil; and its fingerprint's slot.
    private func find(_ key: String, _ fingerprint: UInt64) -> (entry: Int?, slot: Int) {
        let s = slot(of: fingerprint)
        var e = Int(slots[s].entry) - 1
        while e >= 0 {
            if entries[e].key.hasSameUTF8(as: key) { return (e, s) }
            e = Int(entries[e].next)
        }
        return (nil, s)
    }

    /// The value of `key`, whose fingerprint is `fingerprint`.
    subscript(key: String, fingerprint fingerprint: UInt64) -> Value? {
        find(key, fingerprint).entry.map { entries[$0].value }
    }

    /// Adds `key` with `value` unless it is there; returns the value it had, if it was.
    @discardableResult
    mutating func insert(_ key: String, fingerprint: UInt64, _ value: Value) -> Value? {
        let (found, s) = find(key, fingerprint)
        if let found { return entries[found].value }
        append(key, fingerprint, value, at: s)
        return nil
    }

    /// Adds `key` with `value`, or combines `value` into the value it has.
    mutating func add(_ key: String, fingerprint: UInt64, _ value: Value, _ combine: (Value, Value) -> Value) {
        let (found, s) = find(key, fingerprint)
        if let found {
            entries[found].value = combine(entries[found].value, value)
        } else {
            append(key, fingerprint, value, at: s)
        }
    }

    /// Adds an entry at the head of the chain of slot `s` (free, or holding `fingerprint`).
    private mutating func append(_ key: String, _ fingerprint: UInt64, _ value: Value, at s: Int) {
        precondition(entries.count < Int32.max - 1, "more than \(Int32.max - 1) entries")
        entries.append(Entry(key: key, value: value, next: slots[s].entry - 1))
        if slots[s].entry == 0 { used += 1 }
        slots[s] = Slot(fingerprint: fingerprint, entry: Int32(entries.count))
        if used * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        shift -= 1
        let shift = shift
        // Each fingerprint is in one slot only, so its new place is the first free one from its home.
        slots = LinearProbing.rehash(slots, capacity: slots.count * 2, free: Slot(fingerprint: 0, entry: 0), isFree: { $0.entry == 0 },
                                     home: { FingerprintSlots.home($0.fingerprint, shift: shift) })
    }
}

/// What the domain's open-addressing tables on 64-bit fingerprints
/// (``FingerprintTable``, ``CadreTable``'s ids) share: a power-of-two number
/// of slots, at most half of them used, and a fingerprint's home slot.
enum FingerprintSlots {
    /// The slots for `capacity` entries (16 at least), and the table's shift
    /// (64 - log2 of the count).
    static func size(for capacity: Int) -> (count: Int, shift: Int) {
        var count = 16
        while count < 2 * capacity { count *= 2 }
        return (count, 64 - count.trailingZeroBitCount)
    }

    /// The home slot of `fingerprint` in a table of 2^(64 - shift) slots: the
    /// top bits of its product with an odd constant.
    @inline(__always)
    static func home(_ fingerprint: UInt64, shift: Int) -> Int {
        Int(truncatingIfNeeded: (fingerprint &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }
}

extension String {
    /// Whether the two strings have the same UTF-8 bytes (equal strings in
    /// Swift's sense may not: "K" and the Kelvin sign).
    @inline(__always)
    func hasSameUTF8(as other: String) -> Bool {
        // Strings with the same bits have the same bytes: the same inline
        // bytes (up to 15), or the same storage. Most keys found are such.
        if MemoryLayout<String>.size == 16,
           unsafeBitCast(self, to: (UInt64, UInt64).self) == unsafeBitCast(other, to: (UInt64, UInt64).self) { return true }
        // Strings that differ in Swift's sense differ in bytes: most keys passed over are such.
        guard self == other else { return false }
        var other = other
        return other.withUTF8 { hasUTF8(UnsafeRawBufferPointer($0)) }
    }

    /// The order of ids that are equal by their bytes (``hasSameUTF8(as:)``):
    /// Swift's order of strings, and strings Swift counts as equal but that
    /// differ in bytes in the order of their bytes.
    func precedesByBytes(_ other: String) -> Bool {
        if self < other { return true }
        return self == other && utf8.lexicographicallyPrecedes(other.utf8)
    }

    /// A 64-bit hash of the string's UTF-8, eight bytes at a time, for tables
    /// that live in one process (``FingerprintTable``): unlike
    /// ``EventStore/fingerprint(ofCommand:)``, nothing on disk depends on it.
    var quickFingerprint: UInt64 {
        var string = self
        return string.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            var h = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
            var i = 0
            while i + 8 <= bytes.count {
                h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
                i += 8
            }
            if i < bytes.count {
                var tail: UInt64 = 0
                for j in i..<bytes.count { tail |= UInt64(bytes[j]) << UInt64(8 * (j - i)) }
                h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
                h ^= h >> 29
            }
            return h
        }
    }
}
