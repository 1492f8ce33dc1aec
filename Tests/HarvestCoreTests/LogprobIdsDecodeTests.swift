import HarvestCore
import Testing

/// `decodeIdsAndLogprobs` (the `kd` export's read path) gives exactly the ids and logprob bits of a full decode,
/// with token texts empty and `bytes` nil, and reports an unknown vocabulary index like the full decode.
@Suite struct LogprobIdsDecodeTests {
    static func blob(_ tokens: [TokenLogprob], offset: Int) throws -> (blob: [UInt8], ids: [Int?]) {
        let table = try LogprobTable(hlp1: LogprobCodec.encode(tokens))
        let entries = try table.keys.map { try LogprobCodec.VocabularyEntry(key: $0) }
        let blob = table.encode(vocabularyIndex: table.keys.indices.map { $0 + offset })
        let ids: [Int?] = Array(repeating: 12345, count: offset) + entries.map(\.tokenId)
        return (blob, ids)
    }

    @Test func sameIdsAndLogprobBitsAsTheFullDecode() throws {
        let values: [Double] = [Double(Float(-0.3172530531883240)), -0.0009114635, -0.1234567890123, 0, -0.0, -.infinity, .nan]
        var tokens: [TokenLogprob] = values.enumerated().map { i, v in
            TokenLogprob(token: "t\(i)", logprob: v, bytes: [116, 48 + UInt8(i)], tokenId: i % 3 == 0 ? nil : i,
                         top: [TopLogprob(token: "a\(i)", logprob: v - 1, tokenId: 1000 + i), TopLogprob(token: "t\(i)", logprob: v, tokenId: i % 3 == 0 ? nil : i)])
        }
        tokens += LogprobCodecTests.sample
        let (blob, ids) = try Self.blob(tokens, offset: 5)
        let back = try ids.withUnsafeBufferPointer { try LogprobCodec.decodeIdsAndLogprobs(blob, ids: $0) }
        #expect(back.count == tokens.count)
        for (b, t) in zip(back, tokens) {
            #expect(b.token.isEmpty && b.bytes == nil)
            #expect(b.tokenId == t.tokenId && b.logprob.bitPattern == t.logprob.bitPattern)
            #expect(b.top.map(\.tokenId) == t.top.map(\.tokenId))
            #expect(b.top.map(\.logprob.bitPattern) == t.top.map(\.logprob.bitPattern))
            #expect(b.top.allSatisfy { $0.token.isEmpty && $0.bytes == nil })
        }
    }

    @Test func unknownIndexIsReportedForAReload() throws {
        let tokens = [TokenLogprob(token: "x", logprob: -1, tokenId: 7, top: [TopLogprob(token: "x", logprob: -1, tokenId: 7)])]
        let (blob, ids) = try Self.blob(tokens, offset: 3)
        do {
            _ = try ids.dropLast().withUnsafeBufferPointer { try LogprobCodec.decodeIdsAndLogprobs(blob, ids: $0) }
            Issue.record("decoded with a vocabulary too short")
        } catch let error as LogprobCodec.DecodeError {
            #expect(error.missingVocabularyIndex == 3)
        }
        // An HLP1 blob is decoded whole.
        let whole = try LogprobCodec.decodeIdsAndLogprobs(LogprobCodec.encode(tokens), ids: UnsafeBufferPointer(start: nil, count: 0))
        #expect(whole == tokens)
    }
}
