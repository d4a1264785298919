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
    /// Where each cadre's record is in ``values``.
    private var slots: [CadreID: Int32] = [:]
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
        get { slots[id].map { values[Int($0)] } }
        set {
            if let record = newValue {
                if let i = slots[id] {
                    values[Int(i)] = record
                } else {
                    precondition(values.count < Int32.max, "more than \(Int32.max) cadres")
                    slots[id] = Int32(values.count)
                    keys.append(id)
                    values.append(record)
                }
            } else if let i = slots.removeValue(forKey: id).map(Int.init) {
                let last = values.count - 1
                if i != last {
                    values.swapAt(i, last)
                    keys.swapAt(i, last)
                    slots[keys[i]] = Int32(i)
                }
                values.removeLast()
                keys.removeLast()
            }
        }
    }

    /// Where the record of `id` is in ``values``, if registered.
    public func index(of id: CadreID) -> Int? {
        slots[id].map(Int.init)
    }

    /// Changes the record of `id`, if registered, in place.
    @inline(__always)
    mutating func update(_ id: CadreID, _ change: (inout CadreRecord) -> Void) {
        if let i = slots[id] { change(&values[Int(i)]) }
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
