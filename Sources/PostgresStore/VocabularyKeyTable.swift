/// Vocabulary entry keys (``LogprobTable/keys``: flags, token text, bytes, id) → the teacher's vocabulary index, as an
/// open-addressing hash table built for the commit path's lookups: a 128 × top-5 answer looks up ~640 keys among
/// tens of thousands, and with a `Dictionary` (SipHash, keys and values in separate arrays) those lookups were a
/// quarter of the client's CPU per stored answer, mostly cache misses.
///
/// A lookup hashes the key's first 32 bytes as four words (most keys fit: they are held inline, zero-padded), probes
/// `slots` (tag and entry number in one word: a slot whose tag differs is skipped without touching the entry), then
/// compares one 48-byte entry. Keys longer than 32 bytes also keep their bytes, compared in full. Never removes.
struct VocabularyKeyTable: Sendable {
    /// One key: its first 32 bytes, its length, its vocabulary index.
    private struct Entry: Sendable {
        var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64
        var length: Int
        var value: Int
    }

    /// 0 when empty, else `tag << 32 | (entry number + 1)`, the tag being the hash's high 32 bits.
    private var slots = [UInt64](repeating: 0, count: 64)
    private var entries: [Entry] = []
    /// The whole key of entries longer than 32 bytes.
    private var longKeys: [Int: [UInt8]] = [:]

    /// Keys held.
    var count: Int { entries.count }

    /// The index of `key`, nil when absent.
    func index(of key: [UInt8]) -> Int? {
        let (w, hash) = Self.words(key)
        let mask = slots.count - 1
        let tag = hash >> 32
        var s = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[s]
            if slot == 0 { return nil }
            if slot >> 32 == tag {
                let e = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                if matches(e, key, w) { return entries[e].value }
            }
            s = (s + 1) & mask
        }
    }

    /// Sets the index of `key` (a key already present keeps its first index).
    mutating func insert(_ key: [UInt8], _ value: Int) {
        let (w, hash) = Self.words(key)
        let mask = slots.count - 1
        let tag = hash >> 32
        var s = Int(truncatingIfNeeded: hash) & mask
        while slots[s] != 0 {
            if slots[s] >> 32 == tag, matches(Int(truncatingIfNeeded: slots[s] & 0xFFFF_FFFF) - 1, key, w) { return }
            s = (s + 1) & mask
        }
        let e = entries.count
        entries.append(Entry(w0: w.0, w1: w.1, w2: w.2, w3: w.3, length: key.count, value: value))
        if key.count > 32 { longKeys[e] = key }
        slots[s] = tag << 32 | UInt64(e + 1)
        if entries.count * 2 > slots.count { grow() }
    }

    /// Adds every key of `other` this table lacks.
    mutating func merge(_ other: VocabularyKeyTable) {
        for (e, entry) in other.entries.enumerated() {
            insert(other.key(e, entry), entry.value)
        }
    }

    private func matches(_ e: Int, _ key: [UInt8], _ w: (UInt64, UInt64, UInt64, UInt64)) -> Bool {
        let entry = entries[e]
        guard entry.length == key.count, entry.w0 == w.0, entry.w1 == w.1, entry.w2 == w.2, entry.w3 == w.3 else { return false }
        return key.count <= 32 || longKeys[e] == key
    }

    /// Entry `e`'s whole key.
    private func key(_ e: Int, _ entry: Entry) -> [UInt8] {
        if let long = longKeys[e] { return long }
        var words = (entry.w0, entry.w1, entry.w2, entry.w3)
        return withUnsafeBytes(of: &words) { Array($0.prefix(entry.length)) }
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (e, entry) in entries.enumerated() {
            let hash = Self.hash(key(e, entry), (entry.w0, entry.w1, entry.w2, entry.w3))
            var s = Int(truncatingIfNeeded: hash) & mask
            while slots[s] != 0 { s = (s + 1) & mask }
            slots[s] = (hash >> 32) << 32 | UInt64(e + 1)
        }
    }

    /// The key's first 32 bytes as four little-endian words (zero-padded) and its hash.
    private static func words(_ key: [UInt8]) -> ((UInt64, UInt64, UInt64, UInt64), UInt64) {
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &w) { raw in
            key.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(32))) }
        }
        return (w, hash(key, w))
    }

    /// A multiply-xorshift mix of the length, the four words and (for longer keys) the rest of the bytes.
    private static func hash(_ key: [UInt8], _ w: (UInt64, UInt64, UInt64, UInt64)) -> UInt64 {
        var h = UInt64(key.count) &* 0x9E37_79B9_7F4A_7C15
        func mix(_ v: UInt64) {
            h = (h ^ v) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        mix(w.0)
        mix(w.1)
        mix(w.2)
        mix(w.3)
        if key.count > 32 { for byte in key.dropFirst(32) { mix(UInt64(byte)) } }
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 31)
    }
}
