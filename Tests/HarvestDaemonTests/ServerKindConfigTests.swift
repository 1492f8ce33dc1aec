import HarvestCore
import HarvestKit
import Testing
@testable import HarvestDaemon

/// `teachers[].server`: a sweep asking the teacher's server for what it cannot do (SGLang: prompt_logprobs; openai:
/// token ids) is refused with the sweep's field path; what it can do is queued as usual.
@Suite struct ServerKindConfigTests {
    static func config(server: String, sweepSampling: String) -> [UInt8] {
        Array("""
        {"teachers": [{"name": "t", "base_url": "http://127.0.0.1:8089/v1", "model": "m", "endpoint": "completions",
                       "server": "\(server)", "sampling": {"logprobs": 5}}],
         "sweeps": [{"name": "s", "prompt_set": "qa.scored", "teacher": "t", "sampling": \(sweepSampling)}]}
        """.utf8)
    }

    @Test func aSweepAsksOnlyWhatTheServerCanDo() throws {
        let ok = try DaemonConfig.parse(Self.config(server: "sglang", sweepSampling: #"{"score": "echo", "token_ids": true}"#), file: "/x/h.json")
        #expect(ok.teachers.first?.server == .sglang && ok.sweep(named: "s")?.params.score == .echo)
        #expect(throws: (any Error).self) {
            try DaemonConfig.parse(Self.config(server: "sglang", sweepSampling: #"{"score": "prompt_logprobs"}"#), file: "/x/h.json")
        }
        #expect {
            try DaemonConfig.parse(Self.config(server: "sglang", sweepSampling: #"{"score": "prompt_logprobs"}"#), file: "/x/h.json")
        } throws: { error in
            "\(error)".contains("/x/h.json") && "\(error)".contains("sweeps[0].sampling.score") && "\(error)".contains("SGLang")
        }
        #expect {
            try DaemonConfig.parse(Self.config(server: "openai", sweepSampling: #"{"token_ids": true}"#), file: "/x/h.json")
        } throws: { error in
            "\(error)".contains("sweeps[0].sampling.token_ids") && "\(error)".contains("no token ids")
        }
    }
}
