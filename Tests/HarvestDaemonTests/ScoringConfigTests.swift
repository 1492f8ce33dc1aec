import HarvestCore
import HarvestKit
import Testing
@testable import HarvestDaemon

/// `sampling.score` in a configured sweep: the daemon queues scoring runs like any other; a form the teacher's
/// endpoint cannot serve, or no k, is refused with the field path.
@Suite struct ScoringConfigTests {
    static func config(endpoint: String, sweepSampling: String) -> String {
        """
        {"teachers": [{"name": "t", "base_url": "http://127.0.0.1:8089/v1", "model": "m", "endpoint": "\(endpoint)",
                       "sampling": {"max_tokens": 256, "logprobs": 5}}],
         "sweeps": [{"name": "score-it", "prompt_set": "qa.scored", "teacher": "t", "sampling": \(sweepSampling)}]}
        """
    }

    @Test func aConfiguredScoringSweepPinsMaxTokens() throws {
        let c = try DaemonConfig.parse(Array(Self.config(endpoint: "completions", sweepSampling: #"{"score": "echo"}"#).utf8), file: "/x/h.json")
        let s = try #require(c.sweep(named: "score-it"))
        #expect(s.params.score == .echo && s.params.maxTokens == 1 && s.params.topLogprobs == 5)
        #expect(s.params.canonicalJSON.contains(#""score":"echo""#))
    }

    @Test func echoOnChatAndAnUnknownFormAreRefusedWithTheField() throws {
        #expect {
            try DaemonConfig.parse(Array(Self.config(endpoint: "chat", sweepSampling: #"{"score": "echo"}"#).utf8), file: "/x/h.json")
        } throws: { error in
            "\(error)".contains("sweeps[0].sampling.score") && "\(error)".contains("completions endpoint")
        }
        #expect {
            try DaemonConfig.parse(Array(Self.config(endpoint: "chat", sweepSampling: #"{"score": "logits"}"#).utf8), file: "/x/h.json")
        } throws: { error in
            "\(error)".contains("sweeps[0].sampling.score") && "\(error)".contains("prompt_logprobs")
        }
        let ok = try DaemonConfig.parse(Array(Self.config(endpoint: "chat", sweepSampling: #"{"score": "prompt_logprobs"}"#).utf8), file: "/x/h.json")
        #expect(ok.sweep(named: "score-it")?.params.score == .promptLogprobs)
    }
}
