import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import OpenAIWire

/// Per-answer CPU of the hot steps on one real mock answer: decoding into values then encoding the logprob
/// blob (the old path) against transcoding straight into the blob, plus UTF-8 validation.
enum DecodeScenario {
    static func run(maxTokens: Int, logprobs: Int?) async throws {
        let server = MockTeacherServer(MockTeacherConfiguration())
        let port = try server.start()
        defer { server.stop() }
        let generator = LoadGenerator(baseURL: "http://127.0.0.1:\(port)/v1", concurrency: 1, maxTokens: maxTokens, logprobs: logprobs)
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let response = try await transport.send(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions",
                                                            headers: [HTTPHeader("Content-Type", "application/json")],
                                                            body: generator.body(1)))
        let body = response.body
        func time(_ label: String, _ rounds: Int = 2000, _ work: () throws -> Void) rethrows {
            var best = Double.infinity
            for _ in 0..<5 {
                let start = ContinuousClock.now
                for _ in 0..<(rounds / 5) { try work() }
                best = min(best, seconds(ContinuousClock.now - start) / Double(rounds / 5))
            }
            print("  \(label.padding(toLength: 34, withPad: " ", startingAt: 0)) \(ProgressLine.fixed(best * 1e6, 1)) µs per answer")
        }
        print("  body          \(body.count) bytes")
        try time("decode values (via the HLP1 blob)") { _ = try ResponseDecoder.decode(body, kind: .chat) }
        try time("transcode into the HLP1 blob") { _ = try ResponseDecoder.decode(body, kind: .chat, encodeLogprobs: true) }
        let hlp1 = try ResponseDecoder.decode(body, kind: .chat, encodeLogprobs: true).choices[0].encodedLogprobs ?? []
        try time("split HLP1 for HLP2 (LogprobTable)") { _ = try LogprobTable(hlp1: hlp1) }
        let table = try LogprobTable(hlp1: hlp1)
        let hlp2 = table.encode(vocabularyIndex: Array(table.keys.indices))
        let positions = max(table.positionCount, 1)
        print("  blob sizes    HLP1 \(hlp1.count) bytes (\(hlp1.count / positions) per position), "
            + "HLP2 \(hlp2.count) bytes (\(ProgressLine.fixed(Double(hlp2.count) / Double(positions), 1)) per position, vocabulary not counted)")
        time("UTF-8 validation") { _ = UTF8Validation.firstInvalidOffset(body) }
    }
}
