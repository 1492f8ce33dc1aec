import HarvestCore
import Testing

/// `HLP2`: an `HLP1` blob split into vocabulary keys and per-position values reads back bit-identical, in at most
/// 40 bytes per top-5 position when the teacher sends float32 values.
@Suite struct LogprobCodecVersion2Tests {
    /// Encodes `tokens` as `HLP2` with a vocabulary that maps key i to index `offset + i` and decodes it back.
    static func roundTrip(_ tokens: [TokenLogprob], offset: Int = 0) throws -> (back: [TokenLogprob], blob: [UInt8]) {
        let table = try LogprobTable(hlp1: LogprobCodec.encode(tokens))
        let entries = try table.keys.map { try LogprobCodec.VocabularyEntry(key: $0) }
        let blob = table.encode(vocabularyIndex: table.keys.indices.map { $0 + offset })
        #expect(LogprobCodec.isVersion2(blob))
        let back = try LogprobCodec.decode(blob) { i in i >= offset && i - offset < entries.count ? entries[i - offset] : nil }
        return (back, blob)
    }

    @Test func everyEdgeCaseReadsBackBitIdentical() throws {
        let (back, _) = try Self.roundTrip(LogprobCodecTests.sample, offset: 70_000)
        // Byte equality of the HLP1 encodings compares every logprob bit pattern (NaN payloads, -0.0 included).
        #expect(LogprobCodec.encode(back) == LogprobCodec.encode(LogprobCodecTests.sample))
        #expect(back[0].top[1].bytes == nil)
        #expect(back[0].top[2].bytes == [])
    }

    @Test func valueModesCoverFloat32ShortestTextAndDoubles() throws {
        // Float32 widened (vLLM, llama.cpp), float32 shortest text (OpenAI style), and full doubles.
        let values: [Double] = [Double(Float(-0.3172530531883240)), -0.0009114635, -3.1281633e-07, -0.1234567890123, -1e-300,
                                0, -0.0, -.infinity, .nan, Double(bitPattern: 0xFFF8_0000_0000_0001)]
        let tokens = values.enumerated().map { i, v in
            TokenLogprob(token: "t\(i)", logprob: v, tokenId: i, top: [TopLogprob(token: "a\(i)", logprob: v, tokenId: 1000 + i)])
        }
        let (back, _) = try Self.roundTrip(tokens)
        #expect(back.map(\.logprob.bitPattern) == values.map(\.bitPattern))
        #expect(back.map { $0.top[0].logprob.bitPattern } == values.map(\.bitPattern))
        #expect(back.map(\.tokenId) == Array(0..<values.count))
    }

    @Test func sampledTokenOutsideItsAlternativesIsKept() throws {
        let tokens = [
            TokenLogprob(token: "x", logprob: -2.5, top: [TopLogprob(token: "y", logprob: -0.1), TopLogprob(token: "x", logprob: -2.25)]),
            TokenLogprob(token: "z", logprob: -0.5, top: []),
            TokenLogprob(token: "z", logprob: -0.5, top: [TopLogprob(token: "z", logprob: -0.5), TopLogprob(token: "z", logprob: -0.5)]),
        ]
        let (back, _) = try Self.roundTrip(tokens)
        #expect(LogprobCodec.encode(back) == LogprobCodec.encode(tokens))
    }

    @Test func topFiveTakesAtMostFortyBytesPerPosition() throws {
        // A 49,152-token vocabulary: most indices need 3 varint bytes.
        var rng = SystemRandomNumberGenerator()
        var tokens: [TokenLogprob] = []
        for _ in 0..<2000 {
            var top: [TopLogprob] = []
            var lp = -Double.random(in: 0...0.5, using: &rng)
            for _ in 0..<5 {
                let id = Int.random(in: 0..<49_152, using: &rng)
                top.append(TopLogprob(token: "token_id:\(id)", logprob: Double(Float(lp)), tokenId: id))
                lp -= Double.random(in: 0...3, using: &rng)
            }
            let pick = top[Int.random(in: 0..<3, using: &rng)]
            tokens.append(TokenLogprob(token: pick.token, logprob: pick.logprob, tokenId: pick.tokenId, top: top))
        }
        let table = try LogprobTable(hlp1: LogprobCodec.encode(tokens))
        // Indices spread over the whole vocabulary, as a teacher's table is after many answers.
        let blob = table.encode(vocabularyIndex: table.keys.indices.map { 40_000 + $0 })
        let perPosition = Double(blob.count) / Double(tokens.count)
        #expect(perPosition <= 40, "\(perPosition) bytes per position")
    }

    @Test func unknownVocabularyIndexIsReportedForReload() throws {
        let table = try LogprobTable(hlp1: LogprobCodec.encode(LogprobCodecTests.sample))
        let blob = table.encode(vocabularyIndex: Array(table.keys.indices))
        do {
            _ = try LogprobCodec.decode(blob) { _ in nil }
            Issue.record("decoded without a vocabulary")
        } catch {
            #expect(error.missingVocabularyIndex == 0)
        }
        #expect(throws: LogprobCodec.DecodeError.self) { try LogprobCodec.decode(blob) }
    }

    @Test func truncatedBlobsThrow() throws {
        let table = try LogprobTable(hlp1: LogprobCodec.encode(LogprobCodecTests.sample))
        let entries = try table.keys.map { try LogprobCodec.VocabularyEntry(key: $0) }
        let blob = table.encode(vocabularyIndex: Array(table.keys.indices))
        for n in 0..<blob.count {
            #expect(throws: LogprobCodec.DecodeError.self, "prefix \(n)") {
                try LogprobCodec.decode(Array(blob[..<n])) { $0 < entries.count ? entries[$0] : nil }
            }
        }
        #expect(throws: LogprobCodec.DecodeError.self) { try LogprobCodec.decode(blob + [0]) { $0 < entries.count ? entries[$0] : nil } }
    }
}
