import SilverLedger
@_spi(Internals) import SilverLedgerStorage

/// The register's records (``DomainState/cadres``): each cadre's
/// ``CadreRecord`` by id, kept in the order the cadres were registered.
///
/// Read it as a dictionary (`cadres[id]`, `cadres.keys`, `cadres.values`,
/// `cadres.count`). The records live in an array beside a table of where each
/// one is, so that the rules can read a field of a record without copying the
/// whole record out first (a dictionary's value is copied whole when read: some
/// ten reference counts for a cadre's record, for each member a meeting names).
///
/// Ids are found by their ``Swift/String/quickFingerprint`` in a table of
/// their own (open addressing, at most half full), not through `Hasher`: the
/// rules look up every member a command names, and a rebuild every cadre an
/// event names. Two ids are the same cadre when their bytes are
/// (``Identifier``'s equality).
public struct CadreTable: Sendable, Equatable, Codable {
    /// Open addressing on the ids' fingerprints: `entry` is 1 + the id's place
    /// in ``keys``, ``values`` and `places`; 0 marks a free slot.
    private var slots: [Slot]
    /// 64 - log2(slots.count): a fingerprint's home is the top bits of its product with an odd constant.
    private var shift: Int
    /// The ids, in the order of ``values``.
    public private(set) var keys: [CadreID] = []
    /// The records, in the order the cadres were registered.
    public private(set) var values: [CadreRecord] = []
    /// Beside each record, the fields the rules read for every member a command names.
    private var places: [Place] = []

    public init() { self.init(capacity: 0) }

    private init(capacity: Int) {
        let size = FingerprintSlots.size(for: capacity)
        slots = [Slot](repeating: .free, count: size.count)
        shift = size.shift
    }

    /// How many cadres are registered.
    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }

    /// The record of `id`, if registered; setting nil removes it (the last
    /// record registered takes its place in ``values``).
    public subscript(id: CadreID) -> CadreRecord? {
        get { index(of: id).map { values[$0] } }
        set {
            let fingerprint = id.rawValue.quickFingerprint
            let (found, s) = find(id, fingerprint)
            if let record = newValue {
                if let i = found {
                    values[i] = record
                    places[i] = Place(record)
                } else {
                    precondition(values.count < Int32.max - 1, "more than \(Int32.max - 1) cadres")
                    keys.append(id)
                    values.append(record)
                    places.append(Place(record))
                    slots[s] = Slot(fingerprint: fingerprint, entry: Int32(values.count))
                    if values.count * 2 > slots.count { grow() }
                }
            } else if let i = found {
                let hole = LinearProbing.remove(at: s, from: &slots, isFree: { $0.entry == 0 }, home: { FingerprintSlots.home($0.fingerprint, shift: shift) })
                slots[hole] = .free
                let last = values.count - 1
                if i != last {
                    // The last record moves into the removed one's place; its slot follows.
                    let moved = slot(of: keys[last], keys[last].rawValue.quickFingerprint)
                    slots[moved].entry = Int32(i + 1)
                    values.swapAt(i, last)
                    keys.swapAt(i, last)
                    places.swapAt(i, last)
                }
                values.removeLast()
                keys.removeLast()
                places.removeLast()
            }
        }
    }

    /// Where the record of `id` is in ``values``, if registered.
    public func index(of id: CadreID) -> Int? {
        find(id, id.rawValue.quickFingerprint).index
    }

    /// Where the record of `id` is in ``values``, if the cadre is registered
    /// on or before `date` and alive on it; nil if not, or not registered
    /// (the rules then find which, from the record).
    ///
    /// Read from the fields beside the record, not from the record: the rules
    /// ask this for every member a command names, and the records of a large
    /// register are not in the processor's caches.
    func living(_ id: CadreID, on date: LedgerDate) -> Int? {
        guard let i = index(of: id), places[i].isLiving(on: date.daysSinceEpoch) else { return nil }
        return i
    }

    /// Whether `id` is registered on or before `date`, alive on it, and a member
    /// of `branch` on it by the cadre's latest branch stint. False also when
    /// an earlier stint would have to be looked at: the rules then read the record.
    func isLivingMember(_ id: CadreID, of branch: BranchID, on date: LedgerDate) -> Bool {
        guard let i = index(of: id) else { return false }
        return places.withUnsafeBufferPointer { $0[i].isMember(of: branch, on: date.daysSinceEpoch) }
    }

    /// The first of the `count` cadres `id(0)` … `id(count - 1)` for which
    /// ``isLivingMember(_:of:on:)`` is false; nil if it is true for all.
    func firstNotLivingMember(_ count: Int, _ id: (Int) -> CadreID, of branch: BranchID, on date: LedgerDate) -> Int? {
        let day = date.daysSinceEpoch
        return first(count, id) { !$0.isMember(of: branch, on: day) }
    }

    /// The first of the `count` cadres `id(0)` … `id(count - 1)` for which
    /// ``living(_:on:)`` is nil; nil if none.
    func firstNotLiving(_ count: Int, _ id: (Int) -> CadreID, on date: LedgerDate) -> Int? {
        let day = date.daysSinceEpoch
        return first(count, id) { !$0.isLiving(on: day) }
    }

    /// The first of the `count` cadres `id(0)` … `id(count - 1)` that is not
    /// registered or whose fields fail `test`.
    ///
    /// A meeting or a study session names some ten cadres, each found in
    /// tables larger than the caches: their slots are asked for first, then
    /// the entries the slots name, and only then is each one checked, so that
    /// the cache misses of all of them overlap instead of following one another.
    @inline(__always)
    private func first(_ count: Int, _ id: (Int) -> CadreID, failing test: (Place) -> Bool) -> Int? {
        guard count > 1 else {
            guard count == 1 else { return nil }
            guard let i = index(of: id(0)), !test(places[i]) else { return 0 }
            return nil
        }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { prints in
            slots.withUnsafeBufferPointer { slots in
                keys.withUnsafeBufferPointer { keys in
                    places.withUnsafeBufferPointer { places in
                        for k in 0..<count {
                            prints[k] = id(k).rawValue.quickFingerprint
                            prefetch(slots.baseAddress! + FingerprintSlots.home(prints[k], shift: shift))
                        }
                        for k in 0..<count {
                            let entry = Int(slots[FingerprintSlots.home(prints[k], shift: shift)].entry)
                            if entry != 0 {
                                prefetch(keys.baseAddress! + (entry - 1))
                                prefetch(places.baseAddress! + (entry - 1))
                            }
                        }
                        for k in 0..<count {
                            guard let i = find(id(k), prints[k]).index, !test(places[i]) else { return k }
                        }
                        return nil
                    }
                }
            }
        }
    }

    /// Changes the record of `id`, if registered, in place.
    @inline(__always)
    mutating func update(_ id: CadreID, _ change: (inout CadreRecord) -> Void) {
        guard let i = index(of: id) else { return }
        change(&values[i])
        places[i] = Place(values[i])
    }

    /// ``update(_:_:)`` for a change that leaves the registration date, the
    /// death and the branch stints as they were (a visit, an honour, a care
    /// plan: most changes): the fields kept beside the record are not read
    /// again. Debug builds check that they are indeed unchanged.
    @inline(__always)
    mutating func updateDetails(_ id: CadreID, _ change: (inout CadreRecord) -> Void) {
        guard let i = index(of: id) else { return }
        change(&values[i])
        assert(places[i] == Place(values[i]), "cadre \(id): a change through updateDetails touched the registration, death or branch stints")
    }

    // MARK: The table of ids

    private struct Slot: Sendable {
        var fingerprint: UInt64
        var entry: Int32
        static let free = Slot(fingerprint: 0, entry: 0)
    }

    /// The place of `id` in ``values`` (nil if not registered), and its slot
    /// (or the free slot where it would go).
    private func find(_ id: CadreID, _ fingerprint: UInt64) -> (index: Int?, slot: Int) {
        slots.withUnsafeBufferPointer { slots in
            keys.withUnsafeBufferPointer { keys in
                let mask = slots.count - 1
                var s = FingerprintSlots.home(fingerprint, shift: shift)
                while slots[s].entry != 0 {
                    if slots[s].fingerprint == fingerprint {
                        let i = Int(slots[s].entry) - 1
                        if keys[i] == id { return (i, s) }
                    }
                    s = (s + 1) & mask
                }
                return (nil, s)
            }
        }
    }

    /// The slot of `id`, which is registered.
    private func slot(of id: CadreID, _ fingerprint: UInt64) -> Int {
        let (index, s) = find(id, fingerprint)
        precondition(index != nil, "cadre \(id) is not in the table of ids")
        return s
    }

    private mutating func grow() {
        shift -= 1
        let shift = shift
        // The fingerprints are kept in the slots, so growing hashes nothing again.
        slots = LinearProbing.rehash(slots, capacity: slots.count * 2, free: .free, isFree: { $0.entry == 0 },
                                     home: { FingerprintSlots.home($0.fingerprint, shift: shift) })
    }

    /// Copied from a record: the fields ``living(_:on:)`` and
    /// ``isLivingMember(_:of:on:)`` read, kept beside it so that they are read
    /// without the record. Set again whenever the record changes.
    private struct Place: Sendable, Equatable {
        /// The days since 1970-01-01 of the registration, and of the death (`Int32.max` if none).
        var registeredOn: Int32
        var diedOn: Int32
        /// The latest branch stint: its branch (nil if none), first day and end (exclusive; `Int32.max` while it lasts).
        var stintFrom: Int32
        var stintUntil: Int32
        var stintBranch: BranchID?

        init(_ record: CadreRecord) {
            registeredOn = record.registeredOn.daysSinceEpoch
            diedOn = record.diedOn?.daysSinceEpoch ?? .max
            if let stint = record.branchStints.last {
                stintFrom = stint.from.daysSinceEpoch
                stintUntil = stint.until?.daysSinceEpoch ?? .max
                stintBranch = stint.branch
            } else {
                stintFrom = .max
                stintUntil = .min
                stintBranch = nil
            }
        }

        func isLiving(on day: Int32) -> Bool { registeredOn <= day && day < diedOn }

        /// Alive on `day` and, by the latest stint, a member of `branch` on it.
        func isMember(of branch: BranchID, on day: Int32) -> Bool {
            isLiving(on: day) && stintFrom <= day && day < stintUntil && stintBranch == branch
        }
    }

    /// Equal when they hold the same records under the same ids, in any order.
    public static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && zip(a.keys, a.values).allSatisfy { id, record in b[id] == record }
    }

    // As a dictionary keyed by something other than a string encodes itself:
    // id, record, id, record, … (the shape snapshots had before this type).

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        self.init(capacity: (container.count ?? 0) / 2)
        keys.reserveCapacity((container.count ?? 0) / 2)
        values.reserveCapacity((container.count ?? 0) / 2)
        places.reserveCapacity((container.count ?? 0) / 2)
        while !container.isAtEnd {
            let id = try container.decode(CadreID.self)
            guard !container.isAtEnd else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "cadre \(id) has no record")
            }
            let record = try container.decode(CadreRecord.self)
            guard index(of: id) == nil else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "cadre \(id) appears twice")
            }
            self[id] = record
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for (id, record) in zip(keys, values) {
            try container.encode(id)
            try container.encode(record)
        }
    }
}
