import HarvestCore
import OpenAIWire
import Testing

/// Truncated and corrupted bodies must give a result or a WireError, never a crash.
@Suite struct RobustnessTests {
    static let names = ["openai_chat_logprobs.json", "vllm_chat_token_ids.json", "llamacpp_chat.json", "llamacpp_completions.json",
                        "deepseek_chat.json", "vllm_reasoning.json"]

    @Test func everyTruncationFailsCleanly() throws {
        for name in Self.names {
            let body = try fixture(name)
            let kind: EndpointKind = name.contains("completions") ? .completions : .chat
            for n in 0..<body.count {
                let prefix = Array(body[..<n])
                // Only trailing whitespace can be dropped without losing the document.
                if prefix.count < body.count, body[n...].allSatisfy({ $0 == 0x0A || $0 == 0x20 }) { continue }
                guard let e = decodeError(prefix, kind) else {
                    Issue.record("\(name) truncated to \(n) bytes decoded without error")
                    continue
                }
                if case .malformed(_, let offset, _) = e { #expect(offset <= n) }
            }
        }
    }

    @Test func randomCorruptionNeverCrashes() throws {
        var rng = SplitMix64(state: 42)
        let interesting: [UInt8] = Array("{}[],:\"\\0123456789-.eEnulltrfaNI \n".utf8) + [0x00, 0xFF, 0xC3]
        for name in Self.names {
            let body = try fixture(name)
            for _ in 0..<300 {
                var b = body
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<b.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: b[i] = interesting.randomElement(using: &rng)!
                    case 1: b.remove(at: i)
                    default: b.insert(interesting.randomElement(using: &rng)!, at: i)
                    }
                }
                _ = decodeError(b, .chat)
                _ = decodeError(b, .completions)
            }
        }
    }
}
