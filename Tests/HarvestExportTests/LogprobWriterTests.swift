import Foundation
import HarvestCore
import HarvestExport
import HarvestJSON
import Testing

/// The logprob hot paths (`openai --with-logprobs`, `kd`) write through a raw scratch window and the own double
/// formatter; they must give the same bytes as writing each value through `JSONWriter` with `Double.description`.
@Suite("Logprob writers: same bytes as the value-by-value reference")
struct LogprobWriterTests {
    struct Mix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let texts: [String] = ["a", " the", "\"", "\\", "\n", "\t", "\u{01}", "é", "中文", "🐄", "", "token_id:5",
                                  String(repeating: "x", count: 40), String(repeating: "\"", count: 3000),
                                  String(repeating: "ab\n", count: 7000)]

    static func value(_ mix: inout Mix) -> Double {
        switch mix.below(8) {
        case 0: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: mix.next()) & 0x7FFF_FFFF | 0x8000_0000))
        case 1: return Double(bitPattern: mix.next())   // any double, NaN and infinities included
        case 2: return [-0.0, 0, -9999.0, -.infinity, .infinity, -1e-7, -0.0001, 1e-5][mix.below(8)]
        default: return -Double(mix.below(1_000_000)) / Double(1 + mix.below(100_000))
        }
    }

    static func entry(_ mix: inout Mix) -> TopLogprob {
        let text = texts[mix.below(texts.count)]
        let bytes: [UInt8]? = switch mix.below(4) {
        case 0: nil
        case 1: Array(text.utf8)
        case 2: (0..<mix.below(5)).map { _ in UInt8(truncatingIfNeeded: mix.next()) }
        default: Array(repeating: 255, count: mix.below(3) == 0 ? 5000 : 3)
        }
        let id: Int? = mix.below(5) == 0 ? nil : mix.below(3) == 0 ? -mix.below(10) : Int(truncatingIfNeeded: mix.next() >> UInt64(mix.below(64)))
        return TopLogprob(token: text, logprob: value(&mix), bytes: bytes, tokenId: id)
    }

    static func tokens(_ mix: inout Mix, count: Int) -> [TokenLogprob] {
        (0..<count).map { _ in
            let s = entry(&mix)
            let top = (0..<mix.below(7)).map { _ in entry(&mix) }
            return TokenLogprob(token: s.token, logprob: s.logprob, bytes: s.bytes, tokenId: s.tokenId, top: top)
        }
    }

    /// The writer as it was before the scratch window: one `JSONWriter` call per value, doubles by `description`.
    static func referenceDouble(_ d: Double, _ w: inout JSONWriter) {
        if d.isNaN { w.null() } else if d.isInfinite { w.raw(d < 0 ? "-9999.0" : "9999.0") } else { w.raw(d.description) }
    }

    static func referenceOpenAI(_ tokens: [TokenLogprob]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for t in tokens {
            w.beginObject()
            w.key("token"); w.string(t.token)
            w.key("logprob"); referenceDouble(t.logprob, &w)
            if let b = t.bytes { w.key("bytes"); w.raw("[" + b.map { String($0) }.joined(separator: ",") + "]") }
            if let id = t.tokenId { w.key("token_id"); w.int(id) }
            w.key("top_logprobs")
            w.beginArray()
            for a in t.top {
                w.beginObject()
                w.key("token"); w.string(a.token)
                w.key("logprob"); referenceDouble(a.logprob, &w)
                if let b = a.bytes { w.key("bytes"); w.raw("[" + b.map { String($0) }.joined(separator: ",") + "]") }
                if let id = a.tokenId { w.key("token_id"); w.int(id) }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        return w.string
    }

    static func referenceKD(_ lp: [TokenLogprob], k: Int, closing: ArraySlice<Int>) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("target_token_ids")
        w.beginArray()
        for t in lp {
            w.beginArray()
            if t.top.isEmpty { w.int(t.tokenId ?? 0) } else { for a in t.top.prefix(k) { w.int(a.tokenId ?? 0) } }
            w.endArray()
        }
        for id in closing {
            w.beginArray()
            for _ in 0..<max(k, 1) { w.int(id) }
            w.endArray()
        }
        w.endArray()
        w.key("logprobs")
        w.beginArray()
        for t in lp {
            w.beginArray()
            if t.top.isEmpty { referenceDouble(t.logprob, &w) } else { for a in t.top.prefix(k) { referenceDouble(a.logprob, &w) } }
            w.endArray()
        }
        let share = k > 1 ? -log(Double(k)) : 0
        for _ in closing {
            w.beginArray()
            for _ in 0..<max(k, 1) { referenceDouble(share, &w) }
            w.endArray()
        }
        w.endArray()
        return w.string
    }

    @Test func openAIMatchesReference() throws {
        var mix = Mix(state: 11)
        for round in 0..<300 {
            let lp = Self.tokens(&mix, count: round % 50 == 0 ? 0 : 1 + mix.below(round < 20 ? 400 : 40))
            var w = JSONWriter()
            w.beginObject()
            w.key("before"); w.int(1)
            w.key("logprobs"); ExportFields.writeLogprobs(lp, to: &w)
            w.key("after"); w.int(2)
            w.endObject()
            let expected = #"{"before":1,"logprobs":"# + Self.referenceOpenAI(lp) + #","after":2}"#
            #expect(w.string == expected, "round \(round)")
            if w.string != expected { return }
        }
    }

    @Test func kdCurrentMatchesReference() throws {
        var mix = Mix(state: 23)
        for round in 0..<300 {
            let lp = Self.tokens(&mix, count: 1 + mix.below(round < 20 ? 500 : 40))
            let closing = [[], [2], [2, 198], [7, 7, 7]][mix.below(4)]
            let format = KDFormat(closingTokenIds: closing, temperature: 0.5)
            var row = Fixtures.tokenIds
            row.choice = CompletionChoice(index: 0, content: "x", finishReason: "stop", logprobs: lp)
            var w = JSONWriter()
            format.write(row, options: ExportOptions(reasoning: .drop), to: &w)
            let k = KDFormat.uniformK(lp)
            let body = Self.referenceKD(lp, k: k, closing: format.appendedClosingIds(lp))
            #expect(w.string.contains(String(body.dropFirst()) + #","temperature":0.5}"#), "round \(round)")
        }
    }

    @Test func kdLegacyMatchesReference() throws {
        var mix = Mix(state: 31)
        for round in 0..<200 {
            let lp = Self.tokens(&mix, count: 1 + mix.below(round < 20 ? 500 : 40))
            var row = Fixtures.tokenIds
            row.choice = CompletionChoice(index: 0, content: "x", finishReason: "stop", logprobs: lp)
            var w = JSONWriter()
            KDFormat(shape: .legacy, temperature: 0.5).write(row, options: ExportOptions(reasoning: .drop), to: &w)
            var r = JSONWriter()
            r.beginArray()
            for t in lp {
                r.beginArray()
                let entries = t.top.isEmpty ? [TopLogprob(token: t.token, logprob: t.logprob, tokenId: t.tokenId)] : t.top
                for a in entries {
                    r.beginObject()
                    r.key("token"); r.string(KDFormat.tokenKey(text: a.token, id: a.tokenId))
                    r.key("logprob"); Self.referenceDouble(a.logprob, &r)
                    r.endObject()
                }
                r.endArray()
            }
            r.endArray()
            #expect(w.string.hasSuffix(#","logprobs":"# + r.string + #","temperature":0.5}"#), "round \(round)")
        }
    }
}
