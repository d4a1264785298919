import Crypto
@_spi(Internals) import SilverLedgerStorage

/// A stream's name as the index keeps it: the first 128 bits of the SHA-256
/// of its UTF-8, so that no name is kept in memory (a collision, which would
/// merge two streams, cannot be made on purpose: it takes about 2^64 work).
struct StreamKey: Hashable, Sendable, CustomStringConvertible {
    var high: UInt64
    var low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init(_ name: String) {
        // Read in place (a native string's bytes are contiguous): a copy to
        // call `withUTF8` on would be a reference count taken and dropped.
        if let key = name.utf8.withContiguousStorageIfAvailable({ StreamKey(utf8: UnsafeRawBufferPointer($0)) }) {
            self = key
        } else {
            var name = name
            self = name.withUTF8 { StreamKey(utf8: UnsafeRawBufferPointer($0)) }
        }
    }

    /// The key of the stream whose name has these UTF-8 bytes.
    init(utf8 name: UnsafeRawBufferPointer) {
        var digest = SHA256()
        digest.update(bufferPointer: name)
        let bytes = digest.finalize()
        (high, low) = bytes.withUnsafeBytes { b in
            (UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }

    /// The 32 hex digits (the first 16 bytes of the SHA-256).
    var description: String {
        let h = String(high, radix: 16), l = String(low, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
    }
}

/// Streams by key, with each one's event count and last position: an
/// open-addressing table (linear probing) of 32-byte slots, at most 3/4 full;
/// a count of 0 marks a free slot (a stream has at least one event).
///
/// The keys are SHA-256 digests already, so a key's slot comes from its bits
/// with one multiplication, not from hashing it again. The bits are mixed with
/// a seed drawn at random for each new map first, so that no set of stream
/// names chosen in advance can crowd one part of the table. A map read back
/// from `store.index` keeps the seed it was saved with, and the file lists the
/// streams in the table's order: the map is refilled front to back, not at
/// random places in a table larger than the caches.
struct StreamMap: Sendable, Sequence {
    struct Entry: Sendable, Equatable {
        /// How many events the stream has (its next version).
        var count: UInt64
        /// The position of its last event.
        var last: UInt64
    }

    private struct Slot {
        var key: StreamKey
        var entry: Entry
    }

    private var slots: [Slot] = []
    /// The streams held.
    private(set) var count = 0
    /// 64 minus the base-2 logarithm of the slot count.
    private var shift: UInt64 = 64
    /// Mixed into every key's bits before its home is taken.
    let seed: UInt64

    /// An empty map with a random seed, or with `seed` (a map read back).
    init(seed: UInt64 = .random(in: .min ... .max)) { self.seed = seed }

    private func home(_ key: StreamKey) -> Int { Self.home(key, shift: shift, seed: seed) }

    private static func home(_ key: StreamKey, shift: UInt64, seed: UInt64) -> Int {
        Int(truncatingIfNeeded: ((key.low ^ seed) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Where the stream with this key is, if the map has it. Valid until the next insertion or removal.
    func slot(of key: StreamKey) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var i = home(key)
        while slots[i].entry.count != 0 {
            if slots[i].key == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The entry at a slot found by ``slot(of:)``.
    subscript(slot i: Int) -> Entry {
        get { slots[i].entry }
        set { slots[i].entry = newValue }
    }

    /// The entry of the stream with this key; nil removes it.
    subscript(key: StreamKey) -> Entry? {
        get { slot(of: key).map { slots[$0].entry } }
        set {
            precondition(newValue.map { $0.count > 0 } ?? true, "a stream in the map has at least one event")
            if let i = slot(of: key) {
                if let newValue { slots[i].entry = newValue } else { remove(at: i) }
            } else if let newValue {
                insert(key, newValue)
            }
        }
    }

    /// Sets the entry of `key`; returns the one it replaces, if any.
    mutating func updateValue(_ entry: Entry, forKey key: StreamKey) -> Entry? {
        precondition(entry.count > 0, "a stream in the map has at least one event")
        if let i = slot(of: key) {
            defer { slots[i].entry = entry }
            return slots[i].entry
        }
        insert(key, entry)
        return nil
    }

    /// Adds a stream the map does not have.
    mutating func insert(_ key: StreamKey, _ entry: Entry) {
        precondition(entry.count > 0, "a stream in the map has at least one event")
        if (count + 1) * 4 > slots.count * 3 { reserveCapacity(count + 1) }
        let mask = slots.count - 1
        var i = home(key)
        while slots[i].entry.count != 0 { i = (i + 1) & mask }
        slots[i] = Slot(key: key, entry: entry)
        count += 1
    }

    /// Removes the stream at slot `i`, moving back the slots after it that
    /// would otherwise no longer be found (no markers of removed slots).
    private mutating func remove(at i: Int) {
        let (shift, seed) = (shift, seed)
        let left = LinearProbing.remove(at: i, from: &slots, isFree: { $0.entry.count == 0 }, home: { Self.home($0.key, shift: shift, seed: seed) })
        slots[left].entry = Entry(count: 0, last: 0)
        count -= 1
    }

    /// Grows the table to hold `n` streams at most 3/4 full.
    mutating func reserveCapacity(_ n: Int) {
        var capacity = Swift.max(16, slots.count)
        while n * 4 > capacity * 3 { capacity *= 2 }
        guard capacity > slots.count else { return }
        let shift = UInt64(64 - capacity.trailingZeroBitCount)
        slots = LinearProbing.rehash(slots, capacity: capacity, free: Slot(key: StreamKey(high: 0, low: 0), entry: Entry(count: 0, last: 0)),
                                     isFree: { $0.entry.count == 0 }, home: { [seed] in Self.home($0.key, shift: shift, seed: seed) })
        self.shift = shift
    }

    /// The streams, in the table's order from its first free slot on, around
    /// the end and back: each stream comes after those between its home and
    /// its slot, so that a table of the same size and seed given them in this
    /// order puts each where it is here, front to back (a run that wraps past
    /// the end comes whole, its part at the end first).
    func makeIterator() -> some IteratorProtocol<(key: StreamKey, entry: Entry)> {
        let slots = slots
        let start = slots.firstIndex { $0.entry.count == 0 } ?? 0
        let mask = slots.count - 1
        return (start..<(start + slots.count)).lazy.map { slots[$0 & mask] }
            .filter { $0.entry.count != 0 }.map { (key: $0.key, entry: $0.entry) }.makeIterator()
    }
}

/// Where each stream's events are in the log, in 4 bytes per event and one
/// map entry of 32 bytes per stream (its key, its event count and its last
/// position; no allocation per stream): `previous[p]` links the event at
/// position `p` to the one before it in its stream.
struct StreamIndex: Sendable {
    typealias Entry = StreamMap.Entry
    typealias Slot = Int

    /// No event before this one in its stream.
    static let none = UInt64.max

    private(set) var streams = StreamMap()
    /// For each position, the position of the previous event of the same stream (or ``none``).
    private(set) var previous = Links()

    init() {}

    /// An index read back from a file; checks that every stream's links
    /// reach its first event in exactly its count and that they cover every position once.
    init(streams: StreamMap, previous: Links) throws(IndexCheckpointError) {
        // Each stream's links are followed from its last event, as many steps
        // as its count. A step waits for the link before it, and the links of
        // a large store are far larger than the caches: so `lanes` streams
        // are followed at once, a step of each in turn, each next link asked
        // for a round ahead, so that their misses overlap.
        struct Walk {
            var name: StreamKey
            var count: UInt64
            var step: UInt64 = 0
            var p: UInt64
        }
        let lanes = 16
        let end = UInt64(previous.count)
        // Advanced in the loop itself: with Swift 6.3.1 a local function that
        // captured this variable (of an opaque type) advanced a copy of it,
        // so it gave the first stream on every call.
        var pending = streams.makeIterator()
        var walks: [Walk] = []
        walks.reserveCapacity(lanes)
        var covered: UInt64 = 0
        var i = 0
        while true {
            if i == walks.count {
                // A round is done: new streams take the lanes left free, then the next round.
                while walks.count < lanes, let (name, entry) = pending.next() {
                    if entry.last < end { previous.prefetch(Int(entry.last)) }
                    walks.append(Walk(name: name, count: entry.count, p: entry.last))
                }
                if walks.isEmpty { break }
                i = 0
            }
            var w = walks[i]
            if w.step == w.count {
                guard w.p == Self.none else { throw IndexCheckpointError("stream \(w.name) has more events than its count \(w.count)") }
                covered += w.count
                walks.swapAt(i, walks.count - 1)
                walks.removeLast()
                continue
            }
            guard w.p < end else {
                throw IndexCheckpointError("stream \(w.name) links to position \(w.p) after \(w.step) of its \(w.count) events, outside the index")
            }
            w.p = previous[Int(w.p)]
            w.step += 1
            if w.p < end { previous.prefetch(Int(w.p)) }
            walks[i] = w
            i += 1
        }
        guard covered == UInt64(previous.count) else {
            throw IndexCheckpointError("the streams hold \(covered) events, the index covers \(previous.count) positions")
        }
        self.streams = streams
        self.previous = previous
    }

    /// An index taken as given (tests build inconsistent ones with it).
    init(unchecked streams: StreamMap, previous: Links) {
        self.streams = streams
        self.previous = previous
    }

    /// The number of positions indexed (the next position).
    var end: UInt64 { UInt64(previous.count) }

    /// Where `stream` is in the map and how many events it has (0 and nil if it has none).
    func find(_ stream: String) -> (slot: Slot?, count: UInt64) { find(StreamKey(stream)) }

    /// Where the stream with this key is in the map and how many events it has.
    func find(_ key: StreamKey) -> (slot: Slot?, count: UInt64) {
        guard let slot = streams.slot(of: key) else { return (nil, 0) }
        return (slot, streams[slot: slot].count)
    }

    /// Makes room for the positions up to `end` (exclusive); ``link(_:slot:positions:)`` fills them.
    mutating func extend(to end: UInt64) {
        previous.extend(to: Int(end))
    }

    /// Records `positions` (already made room for) as the next events of
    /// `stream`, found at `slot` by ``find(_:)`` with no insertion since.
    mutating func link(_ stream: String, slot: Slot?, positions: Range<UInt64>) {
        link(StreamKey(stream), slot: slot, positions: positions)
    }

    /// ``link(_:slot:positions:)`` for a stream known by its key.
    mutating func link(_ key: StreamKey, slot: Slot?, positions: Range<UInt64>) {
        guard !positions.isEmpty else { return }
        var last = slot.map { streams[slot: $0].last } ?? Self.none
        for p in positions {
            previous[Int(p)] = last
            last = p
        }
        if let slot {
            streams[slot: slot].count += UInt64(positions.count)
            streams[slot: slot].last = last
        } else {
            streams.insert(key, Entry(count: UInt64(positions.count), last: last))
        }
    }

    /// Appends one event at the end (rebuilding from the log); returns the version it gets.
    mutating func append(_ stream: String) -> UInt64 { append(StreamKey(stream)) }

    /// ``append(_:)`` for a stream known by its key.
    mutating func append(_ key: StreamKey) -> UInt64 {
        let position = end
        if let slot = streams.slot(of: key) {
            previous.append(streams[slot: slot].last)
            streams[slot: slot].last = position
            streams[slot: slot].count += 1
            return streams[slot: slot].count - 1
        }
        previous.append(Self.none)
        streams.insert(key, Entry(count: 1, last: position))
        return 0
    }

    /// Takes back the last `count` events of `stream` (an append that never reached the log).
    mutating func unlink(_ stream: String, count: UInt64) {
        let key = StreamKey(stream)
        guard count > 0, var entry = streams[key] else { return }
        for _ in 0..<count { entry.last = previous[Int(entry.last)] }
        entry.count -= count
        streams[key] = entry.count == 0 ? nil : entry
    }

    /// Drops the positions from `end` on (after ``unlink(_:count:)`` of their streams).
    mutating func truncate(to end: UInt64) {
        previous.removeLast(Int(self.end - end))
    }

    /// The version of the stream's last event, or nil if it has none.
    func version(of stream: String) -> UInt64? { version(of: StreamKey(stream)) }

    /// ``version(of:)`` for a stream known by its key.
    func version(of key: StreamKey) -> UInt64? {
        streams[key].map { $0.count - 1 }
    }

    /// The positions of the stream's events from `version` on that are below `limit`, in order.
    func positions(of stream: String, from version: UInt64, below limit: UInt64) -> [UInt64] {
        guard let entry = streams[StreamKey(stream)], version < entry.count else { return [] }
        var result: [UInt64] = []
        result.reserveCapacity(Int(entry.count - version))
        var p = entry.last
        for _ in version..<entry.count {
            if p < limit { result.append(p) }
            p = previous[Int(p)]
        }
        return result.reversed()
    }
}

/// For each position, the position of the previous event of its stream, in 4
/// bytes: the distance back to it (0: none), the rare distance of 2^32 - 1 or
/// more kept apart by position.
struct Links: Sendable {
    private var distances: [UInt32] = []
    private var far: [Int: UInt64] = [:]
    /// Distances from this one on are kept apart (`UInt32.max`; smaller in tests).
    private let farFrom: UInt32

    init(farFrom: UInt32 = .max) { self.farFrom = farFrom }

    /// The number of positions.
    var count: Int { distances.count }

    mutating func reserveCapacity(_ n: Int) { distances.reserveCapacity(n) }

    /// Starts loading the link of position `p` into the caches: asked for a
    /// step ahead when many links are followed at once. A hint only.
    func prefetch(_ p: Int) {
        distances.withUnsafeBufferPointer { SilverLedgerStorage.prefetch($0.baseAddress! + p) }
    }

    /// The previous position of `p`'s stream, or ``StreamIndex/none``.
    subscript(p: Int) -> UInt64 {
        get {
            let d = distances[p]
            if d == 0 { return StreamIndex.none }
            if d == farFrom { return far[p]! }
            return UInt64(p) - UInt64(d)
        }
        set {
            if distances[p] == farFrom { far[p] = nil }
            if newValue == StreamIndex.none {
                distances[p] = 0
            } else if UInt64(p) - newValue < UInt64(farFrom) {
                distances[p] = UInt32(UInt64(p) - newValue)
            } else {
                distances[p] = farFrom
                far[p] = newValue
            }
        }
    }

    /// Adds the next position, linked to `previous`.
    mutating func append(_ previous: UInt64) {
        distances.append(0)
        self[distances.count - 1] = previous
    }

    /// Adds positions up to `end` (exclusive), linked to none for now.
    mutating func extend(to end: Int) {
        distances.append(contentsOf: repeatElement(0, count: end - distances.count))
    }

    /// Drops the last `n` positions.
    mutating func removeLast(_ n: Int) {
        distances.removeLast(n)
        if !far.isEmpty { far = far.filter { $0.key < distances.count } }
    }
}
