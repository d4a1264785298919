@_spi(Internals) import SilverLedgerStorage

/// Which command ids the store has, and where each one's events are, in 16
/// bytes per command (about 21 with the table's free slots) and no string
/// kept: a written command is known by a 64-bit fingerprint of its id, with
/// its first position and event count packed into one word. Two ids may share
/// a fingerprint, so a match is confirmed by reading the command id of the
/// event at its first position (a read only a repeated command, or a rare
/// collision, costs). Commands being written are kept by their exact id,
/// found by the same fingerprint.
struct CommandIndex: Sendable {
    /// What the store knows of a command.
    enum Entry: Sendable {
        /// Written: the command's events are at `first..<first + count`.
        case done(first: UInt64, count: UInt32)
        /// Being written: resolved when the log has made it durable.
        case pending(PendingAppend)
    }

    /// The largest number of events one command may have (the count takes 24 bits).
    static let maxEvents = (1 << 24) - 1
    /// The largest first position a command may have (the position takes 40 bits).
    static let maxPosition: UInt64 = (1 << 40) - 1

    /// Open addressing with linear probing: `slots[2i]` is a fingerprint (0:
    /// empty), `slots[2i + 1]` the packed position and count.
    private var slots: [UInt64] = []
    /// Written commands held (fingerprints may repeat).
    private(set) var doneCount = 0
    /// The commands being written, by fingerprint (an id is hashed once per
    /// look-up, by ``fingerprint(_:)``); `pendingCollisions` holds, by id, the
    /// rare one whose fingerprint another pending command already has.
    private var pending = PendingTable()
    private var pendingCollisions: [String: PendingAppend] = [:]

    init() {}

    /// Every command known, pending ones included.
    var count: Int { doneCount + pending.count + pendingCollisions.count }

    /// The fingerprint of a command id: FNV-1a over its UTF-8, then a 64-bit
    /// finalizer so that close ids spread; never 0 (the empty slot). The same
    /// in every process (it is saved in `store.index`).
    static func fingerprint(_ id: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h == 0 ? 1 : h
    }

    /// The command with this id: pending (by its exact id), or written (a
    /// fingerprint match for which `isCommand(first)` confirms that the event
    /// at `first` belongs to this id).
    func entry(_ id: String, isCommand: (UInt64) throws(EventStoreError) -> Bool) throws(EventStoreError) -> Entry? {
        try entry(id, fingerprint: Self.fingerprint(id), isCommand: isCommand)
    }

    /// ``entry(_:isCommand:)`` for an id whose ``fingerprint(_:)`` is `fp`;
    /// the pending commands are not looked at if the caller knows the id is
    /// not among them (`mayBePending` false).
    func entry(_ id: String, fingerprint fp: UInt64, mayBePending: Bool = true,
               isCommand: (UInt64) throws(EventStoreError) -> Bool) throws(EventStoreError) -> Entry? {
        if mayBePending {
            if let p = pending.find(fp), p.id == id { return .pending(p.append) }
            if !pendingCollisions.isEmpty, let p = pendingCollisions[id] { return .pending(p) }
        }
        guard !slots.isEmpty else { return nil }
        let mask = slots.count / 2 - 1
        var i = Int(truncatingIfNeeded: fp) & mask
        while slots[2 * i] != 0 {
            if slots[2 * i] == fp {
                let (first, count) = Self.unpack(slots[2 * i + 1])
                if try isCommand(first) { return .done(first: first, count: count) }
            }
            i = (i + 1) & mask
        }
        return nil
    }

    /// For each id (with its fingerprint), whether the index has the command,
    /// as ``entry(_:fingerprint:mayBePending:isCommand:)`` finds it; an id
    /// whose match could not be confirmed (`isCommand` threw) counts as known.
    ///
    /// The index of a large store is far larger than the caches: each id's
    /// home slot is asked for some ids before it is probed, so that the misses
    /// overlap instead of following one another.
    func knows(_ ids: [String], fingerprints: [UInt64],
               isCommand: (String, UInt64) throws(EventStoreError) -> Bool) -> [Bool] {
        precondition(ids.count == fingerprints.count, "\(ids.count) command ids, \(fingerprints.count) fingerprints")
        let ahead = 8
        let mask = slots.count / 2 - 1
        return slots.withUnsafeBufferPointer { slots in
            @inline(__always) func prefetchHome(_ k: Int) {
                if k < fingerprints.count, !slots.isEmpty {
                    prefetch(slots.baseAddress! + 2 * (Int(truncatingIfNeeded: fingerprints[k]) & mask))
                }
            }
            for k in 0..<ahead { prefetchHome(k) }
            return ids.indices.map { k in
                prefetchHome(k + ahead)
                do {
                    return try entry(ids[k], fingerprint: fingerprints[k]) { (first) throws(EventStoreError) in try isCommand(ids[k], first) } != nil
                } catch {
                    return true
                }
            }
        }
    }

    /// Marks a command as being written.
    mutating func setPending(_ id: String, _ append: PendingAppend) {
        setPending(id, fingerprint: Self.fingerprint(id), append)
    }

    /// ``setPending(_:_:)`` for an id whose ``fingerprint(_:)`` is `fp`.
    mutating func setPending(_ id: String, fingerprint fp: UInt64, _ append: PendingAppend) {
        if !pending.set(fp, id: id, append) { pendingCollisions[id] = append }
    }

    /// ``setPending(_:fingerprint:_:)`` for an id known not to be pending
    /// (``entry(_:fingerprint:mayBePending:isCommand:)`` found nothing): one
    /// probe of the table, not two.
    mutating func setNewPending(_ id: String, fingerprint fp: UInt64, _ append: PendingAppend) {
        if !pending.insertAbsent(fp, id: id, append) { pendingCollisions[id] = append }
    }

    /// Whether no command is being written.
    var nonePending: Bool { pending.count == 0 && pendingCollisions.isEmpty }

    /// Forgets a command that was being written and never will be.
    mutating func removePending(_ id: String) {
        removePending(id, fingerprint: Self.fingerprint(id))
    }

    /// ``removePending(_:)`` for an id whose ``fingerprint(_:)`` is `fp`.
    mutating func removePending(_ id: String, fingerprint fp: UInt64) {
        if !pending.remove(fp, id: id), !pendingCollisions.isEmpty {
            pendingCollisions[id] = nil
        }
    }

    /// Records a command as written (it is no longer pending).
    mutating func setDone(_ id: String, first: UInt64, count: UInt32) {
        setDone(id, fingerprint: Self.fingerprint(id), first: first, count: count)
    }

    /// ``setDone(_:first:count:)`` for an id whose ``fingerprint(_:)`` is `fp`.
    mutating func setDone(_ id: String, fingerprint fp: UInt64, first: UInt64, count: UInt32) {
        removePending(id, fingerprint: fp)
        insertDone(fingerprint: fp, first: first, count: count)
    }

    /// Records the commands of one append (`parts`, all pending on it) as
    /// written. When they are the only commands pending, as they are unless
    /// appends overlap, the pending table is emptied at once rather than one
    /// command at a time.
    mutating func setDone(_ parts: [CommandsTicket.Part]) {
        if pendingCollisions.isEmpty && pending.count == parts.count {
            // Each part was made pending once and only the parts are: they are the whole table.
            pending.removeAll()
        } else {
            for i in parts.indices { removePending(parts[i].commandID, fingerprint: parts[i].fingerprint) }
        }
        reserve(doneCount + parts.count)
        for i in parts.indices {
            insertDone(fingerprint: parts[i].fingerprint, first: parts[i].positions.lowerBound, count: UInt32(parts[i].positions.count))
        }
    }

    /// Each written command (``doneCount`` of them), in the table's order, for
    /// `store.index`: read in place, since a list of them would take 24 bytes
    /// a command (540 MB for 22.6M commands) beside the file's own bytes.
    func forEachDone<E: Error>(_ body: (_ fingerprint: UInt64, _ first: UInt64, _ count: UInt32) throws(E) -> Void) throws(E) {
        for i in stride(from: 0, to: slots.count, by: 2) where slots[i] != 0 {
            let (first, count) = Self.unpack(slots[i + 1])
            try body(slots[i], first, count)
        }
    }

    /// Records a written command known by its fingerprint (read back from `store.index`).
    mutating func insertDone(fingerprint: UInt64, first: UInt64, count: UInt32) {
        precondition(first <= Self.maxPosition && Int(count) <= Self.maxEvents, "checked when the command was reserved")
        if (doneCount + 1) * 4 > slots.count / 2 * 3 { reserve(doneCount + 1) }
        let mask = slots.count / 2 - 1
        var i = Int(truncatingIfNeeded: fingerprint) & mask
        while slots[2 * i] != 0 { i = (i + 1) & mask }
        slots[2 * i] = fingerprint
        slots[2 * i + 1] = first << 24 | UInt64(count)
        doneCount += 1
    }

    /// Grows the table to hold `n` written commands at most 3/4 full.
    mutating func reserve(_ n: Int) {
        var capacity = max(16, slots.count / 2)
        while n * 4 > capacity * 3 { capacity *= 2 }
        guard capacity > slots.count / 2 else { return }
        let old = slots
        slots = [UInt64](repeating: 0, count: capacity * 2)
        let mask = capacity - 1
        for j in stride(from: 0, to: old.count, by: 2) where old[j] != 0 {
            var i = Int(truncatingIfNeeded: old[j]) & mask
            while slots[2 * i] != 0 { i = (i + 1) & mask }
            slots[2 * i] = old[j]
            slots[2 * i + 1] = old[j + 1]
        }
    }

    private static func unpack(_ packed: UInt64) -> (first: UInt64, count: UInt32) {
        (packed >> 24, UInt32(packed & 0xFF_FFFF))
    }
}

/// The commands being written, by fingerprint: an open-addressing table
/// (linear probing) on the fingerprint's own bits, which are mixed already,
/// so that a batch of a thousand commands, marked pending and then written,
/// costs no hashing; at most 3/4 full, a fingerprint of 0 marking a free slot.
struct PendingTable: Sendable {
    private struct Slot {
        var fingerprint: UInt64 = 0
        var id = ""
        var append: PendingAppend?
    }

    private var slots: [Slot] = []
    /// The commands held.
    private(set) var count = 0

    init() {}

    private func slot(of fingerprint: UInt64) -> Int? {
        guard count > 0 else { return nil }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: fingerprint) & mask
        while slots[i].fingerprint != 0 {
            if slots[i].fingerprint == fingerprint { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The command with this fingerprint, if one is held.
    func find(_ fingerprint: UInt64) -> (id: String, append: PendingAppend)? {
        slot(of: fingerprint).map { (slots[$0].id, slots[$0].append!) }
    }

    /// Holds the command `id` under its fingerprint, or replaces what it is
    /// pending on; false if another id holds the fingerprint (nothing is changed).
    mutating func set(_ fingerprint: UInt64, id: String, _ append: PendingAppend) -> Bool {
        precondition(fingerprint != 0, "a fingerprint is never 0")
        if let i = slot(of: fingerprint) {
            guard slots[i].id == id else { return false }
            slots[i].append = append
            return true
        }
        // No slot has the fingerprint: the insertion cannot be refused.
        return insertAbsent(fingerprint, id: id, append)
    }

    /// Holds the command `id`, which the table does not hold, under its
    /// fingerprint; false if another id holds the fingerprint (nothing is changed).
    mutating func insertAbsent(_ fingerprint: UInt64, id: String, _ append: PendingAppend) -> Bool {
        precondition(fingerprint != 0, "a fingerprint is never 0")
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: fingerprint) & mask
        while slots[i].fingerprint != 0 {
            if slots[i].fingerprint == fingerprint { return false }
            i = (i + 1) & mask
        }
        slots[i] = Slot(fingerprint: fingerprint, id: id, append: append)
        count += 1
        return true
    }

    /// Removes the command `id` if it holds its fingerprint; whether it did. The
    /// slots after it that would no longer be found move back (no markers).
    mutating func remove(_ fingerprint: UInt64, id: String) -> Bool {
        guard let i = slot(of: fingerprint), slots[i].id == id else { return false }
        let mask = slots.count - 1
        let left = LinearProbing.remove(at: i, from: &slots, isFree: { $0.fingerprint == 0 },
                                        home: { Int(truncatingIfNeeded: $0.fingerprint) & mask })
        slots[left] = Slot()
        count -= 1
        return true
    }

    /// Removes every command, keeping the table's room.
    mutating func removeAll() {
        guard count > 0 else { return }
        for i in slots.indices where slots[i].fingerprint != 0 { slots[i] = Slot() }
        count = 0
    }

    private mutating func grow() {
        let capacity = Swift.max(16, slots.count * 2)
        slots = LinearProbing.rehash(slots, capacity: capacity, free: Slot(), isFree: { $0.fingerprint == 0 },
                                     home: { Int(truncatingIfNeeded: $0.fingerprint) & (capacity - 1) })
    }
}
