import HarvestCore
import Testing

@Suite struct LogprobCodecTests {
    static let sample: [TokenLogprob] = [
        TokenLogprob(token: "Hello", logprob: -0.31725305, bytes: Array("Hello".utf8), tokenId: 9707, top: [
            TopLogprob(token: "Hello", logprob: -0.31725305, bytes: Array("Hello".utf8), tokenId: 9707),
            TopLogprob(token: "Hi", logprob: -1.3190403, bytes: nil, tokenId: nil),
            TopLogprob(token: "", logprob: -9999.0, bytes: [], tokenId: -1),
        ]),
        TokenLogprob(token: "-0", logprob: -0.0, bytes: nil, tokenId: Int.min),
        TokenLogprob(token: "nan", logprob: .nan, bytes: [], tokenId: Int.max),
        TokenLogprob(token: "payload", logprob: Double(bitPattern: 0x7FF0_0000_0000_0123), bytes: [0xFF, 0x00]),  // signalling NaN payload
        TokenLogprob(token: "neg-nan", logprob: Double(bitPattern: 0xFFF8_0000_0000_0001), tokenId: 0),
        TokenLogprob(token: "tiny", logprob: 1e-300, bytes: [0xE2]),
        TokenLogprob(token: "sub", logprob: -Double.leastNonzeroMagnitude),
        TokenLogprob(token: "inf", logprob: -.infinity, top: []),
        TokenLogprob(token: "中文😀\n\"", logprob: -2.5, bytes: Array("中文😀\n\"".utf8), tokenId: 151_645),
    ]

    @Test func roundTripIsBitExact() throws {
        let blob = LogprobCodec.encode(Self.sample)
        let back = try LogprobCodec.decode(blob)
        #expect(back == Self.sample)
        #expect(back.map(\.logprob.bitPattern) == Self.sample.map(\.logprob.bitPattern))
        #expect(back[1].logprob.sign == .minus)
        #expect(back[0].top[1].bytes == nil)
        #expect(back[0].top[2].bytes == [])
        #expect(back[3].logprob.bitPattern == 0x7FF0_0000_0000_0123)
    }

    @Test func emptyList() throws {
        let blob = LogprobCodec.encode([])
        #expect(blob == [0x48, 0x4C, 0x50, 0x01, 0x00])
        #expect(try LogprobCodec.decode(blob) == [])
    }

    @Test func bitExactEqualityDistinguishesZeros() {
        #expect(TokenLogprob(token: "a", logprob: 0.0) != TokenLogprob(token: "a", logprob: -0.0))
        #expect(TokenLogprob(token: "a", logprob: .nan) == TokenLogprob(token: "a", logprob: .nan))
        #expect(TokenLogprob(token: "a", logprob: 1, bytes: nil) != TokenLogprob(token: "a", logprob: 1, bytes: []))
    }

    @Test func bytesSameAsTokenAreStoredOnce() {
        let same = LogprobCodec.encode([TokenLogprob(token: "abcdefgh", logprob: 0, bytes: Array("abcdefgh".utf8))])
        let other = LogprobCodec.encode([TokenLogprob(token: "abcdefgh", logprob: 0, bytes: Array("abcdefgX".utf8))])
        #expect(other.count == same.count + 9)
    }

    @Test func everyTruncationIsAnError() {
        let blob = LogprobCodec.encode(Self.sample)
        for n in 0..<blob.count {
            #expect(throws: LogprobCodec.DecodeError.self, "prefix \(n)") { try LogprobCodec.decode(blob[..<n]) }
        }
    }

    @Test func corruptBlobs() {
        let valid = LogprobCodec.encode(Self.sample)
        let cases: [([UInt8], String)] = [
            ([], "bad magic"),
            (Array("HLP2".utf8) + [0], "bad magic"),
            (valid + [0], "trailing bytes"),
            ([0x48, 0x4C, 0x50, 0x01] + [UInt8](repeating: 0xFF, count: 11), "varint too long"),
            ([0x48, 0x4C, 0x50, 0x01, 0xFF, 0xFF, 0x03], "token count too large"),
            ([0x48, 0x4C, 0x50, 0x01, 0x01, 0x00, 0x7F], "token length too large"),
        ]
        for (blob, message) in cases {
            do {
                _ = try LogprobCodec.decode(blob)
                Issue.record("no error for \(blob)")
            } catch {
                #expect(error.message == message, "\(blob)")
                #expect(error.description.hasPrefix("corrupt logprobs blob: \(message) at byte"))
            }
        }
    }

    @Test func randomRoundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let tokens = (0..<Int.random(in: 0...40, using: &rng)).map { _ in
                TokenLogprob(
                    token: String(repeating: "é", count: Int.random(in: 0...3, using: &rng)),
                    logprob: Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng)),
                    bytes: Bool.random(using: &rng) ? nil : (0..<Int.random(in: 0...5, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
                    tokenId: Bool.random(using: &rng) ? nil : Int.random(in: .min ... .max, using: &rng),
                    top: (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                        TopLogprob(token: "t", logprob: Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng)),
                                   bytes: Bool.random(using: &rng) ? nil : [], tokenId: Bool.random(using: &rng) ? nil : -7)
                    })
            }
            #expect(try LogprobCodec.decode(LogprobCodec.encode(tokens)) == tokens)
        }
    }
}
