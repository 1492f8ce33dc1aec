import CurlTransport
import Foundation
import HarvestCore
import HarvestJSON
import HarvestKit
import OpenAIWire
import SQLiteStore
import Testing

/// Opt-in: scores stored answers against a real llama.cpp teacher (`echo: true, logprobs: 5`) and checks every
/// stored position against a direct request of the same sequence. Runs when `HARVEST_REAL_TEACHER_URL` names the
/// teacher's base URL (e.g. `eval "$(../shared/teacher/real-teacher.sh start)"; HARVEST_REAL_TEACHER_URL=$TEACHER_BASE_URL
/// HARVEST_REAL_TEACHER_MODEL=$TEACHER_MODEL swift test --filter RealTeacherScoringTests`).
/// `HARVEST_REAL_TEACHER_SCORED` sets the answer count (default 200), `HARVEST_REAL_TEACHER_MAX_TOKENS` their length
/// (default 16). Recorded runs: docs/BENCHMARKS.md, *Scoring*.
@Suite struct RealTeacherScoringTests {
    static let env = ProcessInfo.processInfo.environment
    static let url = env["HARVEST_REAL_TEACHER_URL"]

    @Test(.enabled(if: url != nil, "set HARVEST_REAL_TEACHER_URL to run against a real teacher"))
    func storedAnswersScoredWithEchoEqualDirectRequests() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let count = Int(Self.env["HARVEST_REAL_TEACHER_SCORED"] ?? "") ?? 200
        let model = Self.env["HARVEST_REAL_TEACHER_MODEL"] ?? "smollm2-135m"
        let maxTokens = Int(Self.env["HARVEST_REAL_TEACHER_MAX_TOKENS"] ?? "") ?? 16
        let store = try SQLiteStore(path: dir.path("real-score.sqlite"))
        let prompts = (0..<count).map { i in
            PromptInput(externalId: "r\(i)", messages: [ChatMessage(role: "user", content: "Q: Give one fact about the number \(i).\nA:")],
                        source: InputLocation(file: "gen", line: i + 1))
        }
        _ = try store.importPrompts(setName: "real", prompts: prompts, sourceName: "gen")
        var spec = TeacherSpec(name: "real@completions", baseURLs: [Self.url!], model: model, endpoint: .completions,
                               limits: TeacherLimits(maxInFlight: 2))
        spec.sampling = SamplingParams(maxTokens: maxTokens, temperature: 0.7, seed: 3)
        let started = Date()
        let sampled = try await run(spec, set: "real", store: store, dir: dir)
        #expect(sampled.done == count && sampled.failed == 0)
        let sampleSeconds = Date().timeIntervalSince(started)

        _ = try await ScoringSetBuilder(store: store).build(from: "real", into: "real.scored")
        spec.sampling = SamplingParams(temperature: 0, topLogprobs: 5)
        spec.sampling.score = .echo
        try spec.sampling.prepareScoring(endpoint: .completions)
        let scoringStarted = Date()
        let scored = try await run(spec, set: "real.scored", store: store, dir: dir)
        let scoreSeconds = Date().timeIntervalSince(scoringStarted)
        #expect(scored.done == count && scored.failed == 0 && scored.missingLogprobs == 0)
        let again = try await run(spec, set: "real.scored", store: store, dir: dir)
        #expect(again.done == 0, "a re-run sends nothing")

        // Every stored position equals the same position of a direct request of the same sequence, bit for bit.
        let transport = try CurlTransport()
        defer { transport.shutdown() }
        let teacher = spec.endpointForJobs
        let rows = try store.responses(query: ResponseQuery(setName: "real.scored", limit: count + 1, includeLogprobs: true))
        #expect(rows.count == count)
        var positions = 0
        var mismatches: [String] = []
        for row in rows {
            let stored = try #require(row.choice.logprobs)
            var direct = teacher
            direct.baseURL = Self.url!
            let body = try RequestEncoder.body(messages: row.messages, teacher: direct, params: row.params, sampleIndex: 0)
            let response = try await transport.send(HTTPRequest(url: direct.requestURL, headers: RequestEncoder.headers(apiKey: nil), body: body))
            #expect(response.status == 200)
            let sent = try JSONValue.parse(response.body)
            let columns = try #require(sent["choices"]?.arrayValue?.first?["logprobs"])
            let tokens = try #require(columns["tokens"]?.arrayValue)
            let values = try #require(columns["token_logprobs"]?.arrayValue)
            let tops = try #require(columns["top_logprobs"]?.arrayValue)
            let promptCharacters = try RequestEncoder.scoringPrompt(row.messages).unicodeScalars.count
            let offsets = columns["text_offset"]?.arrayValue?.compactMap(\.intValue) ?? []
            #expect(stored.count == offsets.filter { $0 < promptCharacters }.count, "one position per prompt token, none for a generated one")
            for (i, s) in stored.enumerated() {
                positions += 1
                let top = tops[i].objectValue ?? []
                let same = s.token == tokens[i].stringValue && s.logprob.bitPattern == (values[i].doubleValue ?? .nan).bitPattern
                    && s.top.count == top.count
                    && zip(s.top, top).allSatisfy { $0.token == $1.0 && $0.logprob.bitPattern == $1.1.doubleValue?.bitPattern }
                if !same, mismatches.count < 5 { mismatches.append("response \(row.id) position \(i): stored \(s.token) \(s.logprob), sent \(tokens[i]) \(values[i])") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        let storage = try store.logprobStorageStats()
        print(String(format: "real teacher scoring: %d answers sampled in %.0f s; scored %d positions (echo, top-5) in %.0f s; all %d equal to direct requests: %@; storage of all blobs %.1f B/position",
                     count, sampleSeconds, positions, scoreSeconds, positions, mismatches.isEmpty ? "yes" : "no", storage.bytesPerPosition))
    }

    private func run(_ spec: TeacherSpec, set: String, store: SQLiteStore, dir: TempDir) async throws -> SweepCounters {
        let pipeline = try TeacherPipeline(spec: spec)
        defer { pipeline.shutdown() }
        let sweep = try store.createSweep(name: "\(set):\(spec.sampling.canonicalJSON)", setName: set, teacher: spec.endpointForJobs,
                                          params: spec.sampling, samples: 1)
        return try await pipeline.runner(store: store, session: SweepOptions(rescuePath: dir.path("rescue.jsonl"))).run(sweepId: sweep.sweepId).counters
    }
}
