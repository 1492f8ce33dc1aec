@testable import PostgresStore
import Testing

/// The commit path's key → vocabulary index table against a `Dictionary` holding the same keys: short keys (held
/// inline), keys of exactly 32 bytes, long ones (compared in full), keys that differ only in their last byte or in
/// trailing zeros, growth, merging.
@Suite struct VocabularyKeyTableTests {
    @Test func findsWhatADictionaryFinds() {
        var rng = SplitMix(seed: 7)
        var keys = Set<[UInt8]>()
        while keys.count < 20_000 {
            let length = [0, 1, 7, 8, 31, 32, 33, 40, 64, 200][Int(rng.next() % 10)]
            keys.insert((0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next() % 3) })
        }
        // Keys that differ only past the 32 inline bytes, or only by trailing zeros (same padded words, other length).
        let prefix = [UInt8](repeating: 9, count: 32)
        keys.formUnion([prefix + [1], prefix + [2], prefix + [1, 0], [5], [5, 0], [5, 0, 0], []])
        let ordered = Array(keys)
        var table = VocabularyKeyTable()
        var reference: [[UInt8]: Int] = [:]
        for (i, key) in ordered.enumerated() where i % 2 == 0 {
            table.insert(key, i)
            reference[key] = i
        }
        #expect(table.count == reference.count)
        for (i, key) in ordered.enumerated() {
            #expect(table.index(of: key) == reference[key], "key \(i) of length \(key.count)")
        }
        // A key inserted again keeps its first index.
        table.insert(ordered[0], -1)
        #expect(table.index(of: ordered[0]) == 0)
        #expect(table.count == reference.count)

        var other = VocabularyKeyTable()
        for (i, key) in ordered.enumerated() where i % 3 == 0 { other.insert(key, 1_000_000 + i) }
        table.merge(other)
        for (i, key) in ordered.enumerated() {
            let expected = i % 2 == 0 ? i : (i % 3 == 0 ? 1_000_000 + i : nil)
            #expect(table.index(of: key) == expected, "merged key \(i)")
        }
    }
}

/// A small deterministic generator.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
