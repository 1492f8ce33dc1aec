import Foundation
import HarvestCore
import HarvestJSON
import OpenAIWire
import Testing

/// A logprob-heavy chat response like vLLM sends: `tokens` tokens × `top` alternatives, each with a
/// `bytes` array and a float32 logprob printed as a 17-digit double.
func logprobHeavyBody(tokens: Int = 256, top: Int = 5, seed: UInt64 = 7) -> [UInt8] {
    var rng = SplitMix64(state: seed)
    // Average token length is chosen so that 256 tokens × top-5 give a ~140 KB body.
    let words = [" the", " student", " and", "ing", " models", " tokens", "\n\n", " (", " café", " 2024", " distillation",
                 " teacher", ".", " probability", " harvest", " logits", " Therefore", " answer", " is", " compute",
                 " implementation", " approximately"]
    var w = JSONWriter(capacity: 160_000)
    w.beginObject()
    w.key("id"); w.string("chatcmpl-bench")
    w.key("object"); w.string("chat.completion")
    w.key("created"); w.int(1_718_000_000)
    w.key("model"); w.string("Qwen/Qwen3-8B")
    w.key("choices"); w.beginArray(); w.beginObject()
    w.key("index"); w.int(0)
    var content = ""
    var entries: [(String, Double)] = []
    for _ in 0..<tokens {
        let t = words.randomElement(using: &rng)!
        content += t
        entries.append((t, Double(Float.random(in: -12...0, using: &rng))))
    }
    w.key("message"); w.beginObject()
    w.key("role"); w.string("assistant")
    w.key("content"); w.string(content)
    w.endObject()
    w.key("logprobs"); w.beginObject()
    w.key("content"); w.beginArray()
    for (t, lp) in entries {
        w.beginObject()
        w.key("token"); w.string(t)
        w.key("logprob"); w.double(lp)
        w.key("bytes"); w.intArray(Array(t.utf8))
        w.key("top_logprobs"); w.beginArray()
        for j in 0..<top {
            let alt = j == 0 ? t : words.randomElement(using: &rng)!
            w.beginObject()
            w.key("token"); w.string(alt)
            w.key("logprob"); w.double(j == 0 ? lp : Double(Float.random(in: -20...0, using: &rng)))
            w.key("bytes"); w.intArray(Array(alt.utf8))
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
    w.endArray()
    w.endObject()
    w.key("finish_reason"); w.string("length")
    w.endObject(); w.endArray()
    w.key("usage"); w.beginObject()
    w.key("prompt_tokens"); w.int(100); w.key("completion_tokens"); w.int(tokens); w.key("total_tokens"); w.int(100 + tokens)
    w.endObject()
    w.endObject()
    return w.bytes
}

@Suite struct DecodeBenchmarkTests {
    @Test func benchmarkBodyDecodes() throws {
        let body = logprobHeavyBody()
        let r = try ResponseDecoder.decode(body, kind: .chat)
        let lp = try #require(r.choices.first?.logprobs)
        #expect(lp.count == 256)
        #expect(lp.allSatisfy { $0.top.count == 5 && $0.bytes == Array($0.token.utf8) })
    }

    /// Decode throughput on a ~140 KB body. Runs only with HARVEST_BENCH=1 (build with `-c release`
    /// for meaningful figures); prints MB/s and ms per response, asserts nothing about time.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HARVEST_BENCH"] == "1"))
    func decodeThroughput() throws {
        let body = logprobHeavyBody()
        var sink = 0
        for _ in 0..<50 { sink &+= try ResponseDecoder.decode(body, kind: .chat).choices.count }
        let clock = ContinuousClock()
        var best = Duration.seconds(1_000)
        var total = Duration.zero
        let rounds = 400, perRound = 5
        for _ in 0..<rounds {
            let t = try clock.measure {
                for _ in 0..<perRound { sink &+= try ResponseDecoder.decode(body, kind: .chat).choices.count }
            }
            best = min(best, t)
            total += t
        }
        func perBody(_ d: Duration, _ n: Int) -> Double {
            (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18) / Double(n)
        }
        let bestSeconds = perBody(best, perRound)
        let meanSeconds = perBody(total, rounds * perRound)
        let mb = Double(body.count) / 1e6
        print(String(format: "decode %.1f KB: best %.3f ms (%.0f MB/s), mean %.3f ms (%.0f MB/s) [sink %d]",
                     Double(body.count) / 1e3, bestSeconds * 1e3, mb / bestSeconds, meanSeconds * 1e3, mb / meanSeconds, sink))

        // Reference: the same body through Foundation's JSONSerialization (tree building only).
        guard ProcessInfo.processInfo.environment["HARVEST_BENCH_REFERENCE"] != "0" else { return }
        let data = Data(body)
        let ref = try clock.measure { for _ in 0..<perRound { _ = try JSONSerialization.jsonObject(with: data) } }
        print(String(format: "JSONSerialization (reference): %.3f ms per body", perBody(ref, perRound) * 1e3))
    }
}
