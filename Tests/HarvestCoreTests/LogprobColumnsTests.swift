import HarvestCore
import Testing

/// `decodeColumns` (the `kd` export's read path) gives the ids and logprob bits of a full decode in flat columns,
/// and reports an unknown vocabulary index like the full decode.
@Suite struct LogprobColumnsTests {
    @Test func sameIdsAndLogprobBitsAsTheFullDecode() throws {
        let values: [Double] = [Double(Float(-0.3172530531883240)), -0.0009114635, -0.1234567890123, 0, -0.0, -.infinity, .nan,
                                -Double.leastNonzeroMagnitude]
        var tokens: [TokenLogprob] = values.enumerated().map { i, v in
            TokenLogprob(token: "t\(i)", logprob: v, bytes: [116, 48 + UInt8(i)], tokenId: i % 3 == 0 ? nil : i,
                         top: i == 4 ? [] : [TopLogprob(token: "a\(i)", logprob: v - 1, tokenId: 1000 + i),
                                             TopLogprob(token: "t\(i)", logprob: v, tokenId: i % 3 == 0 ? nil : i)])
        }
        tokens += LogprobCodecTests.sample
        let (blob, ids) = try LogprobIdsDecodeTests.blob(tokens, offset: 5)
        let columns = try ids.withUnsafeBufferPointer { try LogprobCodec.decodeColumns(blob, ids: $0) }
        #expect(columns == LogprobColumns(tokens))
        #expect(columns.count == tokens.count)
        #expect(!columns.allHaveIds)
        for (p, t) in tokens.enumerated() {
            #expect(columns.sampledIds[p] == t.tokenId ?? 0)
            #expect(columns.sampledLogprobs[p].bitPattern == t.logprob.bitPattern)
            let range = columns.topStarts[p]..<columns.topStarts[p + 1]
            #expect(Array(columns.topIds[range]) == t.top.map { $0.tokenId ?? 0 })
            #expect(columns.topLogprobs[range].map(\.bitPattern) == t.top.map(\.logprob.bitPattern))
        }
        #expect(columns.maxTokenId == tokens.flatMap { [$0.tokenId ?? -1] + $0.top.map { $0.tokenId ?? -1 } }.max())
    }

    @Test func idsEverywhereAndUniformK() throws {
        let tokens = (0..<6).map { i in
            TokenLogprob(token: "x", logprob: -0.5, tokenId: i, top: (0..<(i == 3 ? 0 : 4 + i)).map { TopLogprob(token: "y", logprob: -Double($0), tokenId: 10 * i + $0) })
        }
        let (blob, ids) = try LogprobIdsDecodeTests.blob(tokens, offset: 0)
        let columns = try ids.withUnsafeBufferPointer { try LogprobCodec.decodeColumns(blob, ids: $0) }
        #expect(columns.allHaveIds)
        #expect(columns.uniformK == 1)   // position 3 has no alternatives: its sampled token alone
        #expect(columns.maxTokenId == 58)
        var changes: [Int] = []
        columns.topCountChanges { changes.append($0) }
        #expect(changes == [4, 5, 6, 0, 8, 9])
        #expect(LogprobColumns([]).uniformK == 0 && LogprobColumns([]).isEmpty)
    }

    @Test func unknownIndexIsReportedAndHLP1IsDecodedWhole() throws {
        let tokens = [TokenLogprob(token: "x", logprob: -1, tokenId: 7, top: [TopLogprob(token: "x", logprob: -1, tokenId: 7)])]
        let (blob, ids) = try LogprobIdsDecodeTests.blob(tokens, offset: 3)
        do {
            _ = try ids.dropLast().withUnsafeBufferPointer { try LogprobCodec.decodeColumns(blob, ids: $0) }
            Issue.record("decoded with a vocabulary too short")
        } catch let error as LogprobCodec.DecodeError {
            #expect(error.missingVocabularyIndex == 3)
        }
        let whole = try LogprobCodec.decodeColumns(LogprobCodec.encode(tokens), ids: UnsafeBufferPointer(start: nil, count: 0))
        #expect(whole == LogprobColumns(tokens))
        // Truncated and trailing bytes are refused.
        #expect(throws: LogprobCodec.DecodeError.self) {
            try ids.withUnsafeBufferPointer { try LogprobCodec.decodeColumns(Array(blob.dropLast()), ids: $0) }
        }
        #expect(throws: LogprobCodec.DecodeError.self) {
            try ids.withUnsafeBufferPointer { try LogprobCodec.decodeColumns(blob + [0], ids: $0) }
        }
    }
}
