import HarvestCore
import Testing

/// `HLP2` index rewriting (`harvest db copy`): a blob moved to another vocabulary numbering decodes with that
/// vocabulary to the same tokens bit for bit, keeps every byte but its indices, and a broken blob or an unknown
/// index is refused; the relabeled form is the same under any numbering and differs when a logprob byte does.
@Suite struct LogprobReindexTests {
    /// Tokens over a few shared entries (so indices repeat), every value mode, a sampled token outside its top.
    static let tokens: [TokenLogprob] = {
        let values: [Double] = [Double(Float(-0.31725305)), -0.0009114635, -0.1234567890123, -.infinity, .nan, -0.0]
        var out: [TokenLogprob] = []
        for p in 0..<40 {
            let v = values[p % values.count]
            var top = (0..<5).map { k in TopLogprob(token: "t\((p + k) % 9)", logprob: v - Double(k), bytes: k == 2 ? [0xE2, 0x82] : nil, tokenId: (p + k) % 9) }
            if p % 7 == 3 { top.removeLast(2) }
            let sampled = p % 5 == 4 ? TopLogprob(token: "outside", logprob: -9.5, tokenId: 500) : top[p % top.count]
            out.append(TokenLogprob(token: sampled.token, logprob: sampled.logprob, bytes: sampled.bytes, tokenId: sampled.tokenId, top: top))
        }
        return out
    }()

    /// The `HLP2` blob of `tokens` under numbering `number(i)` for key i, and the vocabulary (index → entry).
    static func encoded(_ number: (Int) -> Int) throws -> (blob: [UInt8], keys: [Int: [UInt8]]) {
        let table = try LogprobTable(hlp1: LogprobCodec.encode(tokens))
        let indices = table.keys.indices.map(number)
        var keys: [Int: [UInt8]] = [:]
        for (i, key) in table.keys.enumerated() { keys[indices[i]] = key }
        return (table.encode(vocabularyIndex: indices), keys)
    }

    /// The relabeled form of `blob` with vocabulary `keys`, each entry labelled by a hash of its key.
    static func keyed(_ blob: [UInt8], _ keys: [Int: [UInt8]]) throws -> [UInt8] {
        let labels = keys.mapValues { key in key.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 } }
        var out: [UInt8] = []
        try LogprobCodec.appendRelabeledVersion2(blob, to: &out) { labels[$0] }
        return out
    }

    static func decode(_ blob: [UInt8], _ keys: [Int: [UInt8]]) throws -> [TokenLogprob] {
        let entries = try keys.mapValues { try LogprobCodec.VocabularyEntry(key: $0) }
        return try LogprobCodec.decode(blob) { entries[$0] }
    }

    @Test func aBlobMovedToAnotherNumberingReadsBackBitIdentical() throws {
        // Source: dense 0, 1, 2, … (SQLite); target: reversed and spread out, with indices of 1 to 3 varint bytes.
        let source = try Self.encoded { $0 }
        let count = source.keys.count
        let map: (Int) -> Int? = { i in i < count ? (count - 1 - i) * 9_001 + 5 : nil }
        let moved = try LogprobCodec.reindexVersion2(source.blob, map)
        var targetKeys: [Int: [UInt8]] = [:]
        for (i, key) in source.keys { targetKeys[map(i)!] = key }

        #expect(moved != source.blob)
        let back = try Self.decode(moved, targetKeys)
        // HLP1 byte equality compares token texts, bytes, ids and every logprob bit pattern (NaN, -0.0 included).
        #expect(LogprobCodec.encode(back) == LogprobCodec.encode(Self.tokens))
        // And back to the source's numbering: the very bytes it started from.
        let inverse = Dictionary(uniqueKeysWithValues: (0..<count).map { (map($0)!, $0) })
        #expect(try LogprobCodec.reindexVersion2(moved) { inverse[$0] } == source.blob)
    }

    @Test func theRelabeledFormIgnoresNumberingAndCatchesAChangedByte() throws {
        let a = try Self.encoded { $0 }
        let b = try Self.encoded { $0 * 3 + 70_000 }
        let keyedA = try Self.keyed(a.blob, a.keys), keyedB = try Self.keyed(b.blob, b.keys)
        #expect(a.blob != b.blob && keyedA == keyedB)

        // One logprob byte flipped (the last byte of the blob is a value's payload): the relabeled form differs.
        var corrupt = b.blob
        corrupt[corrupt.count - 1] ^= 0x01
        #expect(try Self.keyed(corrupt, b.keys) != keyedB)
        // Two entries' keys swapped in the vocabulary: differs too.
        var swapped = b.keys
        (swapped[70_000], swapped[70_003]) = (swapped[70_003], swapped[70_000])
        #expect(try Self.keyed(b.blob, swapped) != keyedB)
    }

    @Test func unknownIndicesAndBrokenBlobsAreRefused() throws {
        let source = try Self.encoded { $0 }
        let missing = try #require(source.keys.keys.max())
        do {
            _ = try LogprobCodec.reindexVersion2(source.blob) { $0 == missing ? nil : $0 }
            Issue.record("an unknown index was accepted")
        } catch {
            #expect(error.missingVocabularyIndex == missing)
        }
        #expect(throws: LogprobCodec.DecodeError.self) { try LogprobCodec.reindexVersion2(Array(source.blob.dropLast()), { $0 }) }
        #expect(throws: LogprobCodec.DecodeError.self) { try LogprobCodec.reindexVersion2(source.blob + [0], { $0 }) }
        #expect(throws: LogprobCodec.DecodeError.self) { try LogprobCodec.reindexVersion2(LogprobCodec.encode(Self.tokens), { $0 }) }
        #expect(throws: LogprobCodec.DecodeError.self) { try Self.keyed(Array(source.blob.prefix(40)), source.keys) }
        #expect(throws: LogprobCodec.DecodeError.self) { try Self.keyed(source.blob, source.keys.filter { $0.key != missing }) }
    }
}
