/// What the open-addressing tables (the store's ``StreamMap`` and ``PendingTable``,
/// the ledger's `FingerprintTable`) share: entries in a power-of-two array of slots, each at the first free
/// slot from its home, and removal without markers of removed entries.
package enum LinearProbing {
    /// Removes the entry at `i` of `slots`: each later entry of its run that
    /// would no longer be found from its home moves back into the hole. Returns
    /// the slot left over, for the caller to mark free.
    package static func remove<Slot>(at i: Int, from slots: inout [Slot], isFree: (Slot) -> Bool, home: (Slot) -> Int) -> Int {
        let mask = slots.count - 1
        var hole = i
        var j = i
        while true {
            j = (j + 1) & mask
            if isFree(slots[j]) { return hole }
            let k = home(slots[j])
            // Whether j's home lies cyclically in (hole, j]: if not, j moves into the hole.
            let staysPut = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j)
            if !staysPut {
                slots[hole] = slots[j]
                hole = j
            }
        }
    }

    /// The entries of `old` placed in `capacity` slots (a power of two), the
    /// others `free`; `home` gives an entry's home in a table of that capacity.
    package static func rehash<Slot>(_ old: [Slot], capacity: Int, free: Slot, isFree: (Slot) -> Bool, home: (Slot) -> Int) -> [Slot] {
        var slots = [Slot](repeating: free, count: capacity)
        let mask = capacity - 1
        for slot in old where !isFree(slot) {
            var i = home(slot)
            while !isFree(slots[i]) { i = (i + 1) & mask }
            slots[i] = slot
        }
        return slots
    }
}
