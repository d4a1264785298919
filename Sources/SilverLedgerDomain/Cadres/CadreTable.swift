import SilverLedger

/// The register's records (``DomainState/cadres``): each cadre's
/// ``CadreRecord`` by id, kept in the order the cadres were registered.
///
/// Read it as a dictionary (`cadres[id]`, `cadres.keys`, `cadres.values`,
/// `cadres.count`). The records live in an array beside a table of where each
/// one is, so that the rules can read a field of a record without copying the
/// whole record out first (a dictionary's value is copied whole when read: some
/// ten reference counts for a cadre's record, for each member a meeting names).
public struct CadreTable: Sendable, Equatable, Codable {
    /// Where each cadre's record is in ``values``, with the fields the rules
    /// read for every member a command names.
    private var slots: [CadreID: Slot] = [:]
    /// The ids, in the order of ``values``.
    public private(set) var keys: [CadreID] = []
    /// The records, in the order the cadres were registered.
    public private(set) var values: [CadreRecord] = []

    public init() {}

    /// How many cadres are registered.
    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }

    /// The record of `id`, if registered; setting nil removes it (the last
    /// record registered takes its place in ``values``).
    public subscript(id: CadreID) -> CadreRecord? {
        get { slots[id].map { values[Int($0.index)] } }
        set {
            if let record = newValue {
                if let k = slots.index(forKey: id) {
                    let i = Int(slots.values[k].index)
                    values[i] = record
                    slots.values[k] = Slot(index: i, record)
                } else {
                    precondition(values.count < Int32.max, "more than \(Int32.max) cadres")
                    slots[id] = Slot(index: values.count, record)
                    keys.append(id)
                    values.append(record)
                }
            } else if let i = slots.removeValue(forKey: id).map({ Int($0.index) }) {
                let last = values.count - 1
                if i != last {
                    values.swapAt(i, last)
                    keys.swapAt(i, last)
                    slots[keys[i]]?.index = Int32(i)
                }
                values.removeLast()
                keys.removeLast()
            }
        }
    }

    /// Where the record of `id` is in ``values``, if registered.
    public func index(of id: CadreID) -> Int? {
        slots[id].map { Int($0.index) }
    }

    /// Where the record of `id` is in ``values``, if the cadre is registered
    /// on or before `date` and alive on it; nil if not, or not registered
    /// (the rules then find which, from the record).
    ///
    /// Read from the table of places alone, not from the record: the rules ask
    /// this for every member a command names, and the records of a large
    /// register are not in the processor's caches.
    func living(_ id: CadreID, on date: LedgerDate) -> Int? {
        guard let slot = slots[id], slot.isLiving(on: date.daysSinceEpoch) else { return nil }
        return Int(slot.index)
    }

    /// Whether `id` is registered on or before `date`, alive on it, and a member
    /// of `branch` on it by the cadre's latest branch stint. False also when
    /// an earlier stint would have to be looked at: the rules then read the record.
    func isLivingMember(_ id: CadreID, of branch: BranchID, on date: LedgerDate) -> Bool {
        guard let slot = slots[id] else { return false }
        let day = date.daysSinceEpoch
        return slot.isLiving(on: day) && slot.stintFrom <= day && day < slot.stintUntil && slot.stintBranch == branch
    }

    /// Changes the record of `id`, if registered, in place.
    @inline(__always)
    mutating func update(_ id: CadreID, _ change: (inout CadreRecord) -> Void) {
        guard let k = slots.index(forKey: id) else { return }
        let i = Int(slots.values[k].index)
        change(&values[i])
        slots.values[k] = Slot(index: i, values[i])
    }

    /// ``update(_:_:)`` for a change that leaves the registration date, the
    /// death and the branch stints as they were (a visit, an honour, a care
    /// plan: most changes): the fields kept beside the record's place are not
    /// read again. Debug builds check that they are indeed unchanged.
    @inline(__always)
    mutating func updateDetails(_ id: CadreID, _ change: (inout CadreRecord) -> Void) {
        guard let k = slots.index(forKey: id) else { return }
        let i = Int(slots.values[k].index)
        change(&values[i])
        assert(slots.values[k] == Slot(index: i, values[i]), "cadre \(id): a change through updateDetails touched the registration, death or branch stints")
    }

    /// A record's place in ``values`` and, copied from the record, the fields
    /// ``living(_:on:)`` and ``isLivingMember(_:of:on:)`` read: kept beside the
    /// place so that one look-up answers them. Set again whenever the record changes.
    private struct Slot: Sendable, Equatable {
        var index: Int32
        /// The days since 1970-01-01 of the registration, and of the death (`Int32.max` if none).
        var registeredOn: Int32
        var diedOn: Int32
        /// The latest branch stint: its branch (nil if none), first day and end (exclusive; `Int32.max` while it lasts).
        var stintFrom: Int32
        var stintUntil: Int32
        var stintBranch: BranchID?

        init(index: Int, _ record: CadreRecord) {
            self.index = Int32(index)
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
    }

    /// Equal when they hold the same records under the same ids, in any order.
    public static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && zip(a.keys, a.values).allSatisfy { id, record in b[id] == record }
    }

    // As a dictionary keyed by something other than a string encodes itself:
    // id, record, id, record, … (the shape snapshots had before this type).

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        if let count = container.count {
            slots.reserveCapacity(count / 2)
            keys.reserveCapacity(count / 2)
            values.reserveCapacity(count / 2)
        }
        while !container.isAtEnd {
            let id = try container.decode(CadreID.self)
            guard !container.isAtEnd else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "cadre \(id) has no record")
            }
            let record = try container.decode(CadreRecord.self)
            guard slots[id] == nil else {
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
