import Foundation
import HarvestCore
import PostgresStore
import SQLiteStore
import Testing

/// How fast a collected provider batch is stored, on each backend: a recorded batch of 500 lines whose answers
/// (without logprobs, then with 128 positions × top-5 logprobs each) are applied in the output reader's chunks of 512.
/// Prints answers per second (no timing is asserted) and checks that every answer was stored once, with its logprobs
/// bit for bit.
@Suite(.serialized) struct BatchResultsBenchmark {
    static let jobs = 500

    /// A deterministic answer for `job` with 128 × top-5 logprobs over a 4,000-token vocabulary.
    static func answer(_ job: Job, withLogprobs: Bool) -> (AttemptRecord, ResponseRecord, [TokenLogprob]?) {
        var state = UInt64(job.id) &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let logprobs = (0..<128).map { _ -> TokenLogprob in
            let top = (0..<5).map { _ in
                let id = Int(next() % 4_000)
                return TopLogprob(token: "t\(id)", logprob: -Double(next() % 10_000) / 997, tokenId: id)
            }
            return TokenLogprob(token: top[0].token, logprob: top[0].logprob, tokenId: top[0].tokenId, top: top)
        }
        var choice = CompletionChoice(index: 0, content: "answer of job \(job.id)", finishReason: "stop")
        if withLogprobs {
            choice.encodedLogprobs = LogprobCodec.encode(logprobs)
            choice.encodedLogprobCount = logprobs.count
        }
        let now = Date().timeIntervalSince1970
        return (AttemptRecord(jobId: job.id, startedAt: now, latencyMs: 0, httpStatus: 200, outcome: .success, error: nil),
                ResponseRecord(jobId: job.id, choice: choice, usage: Usage(promptTokens: 20, completionTokens: 128, totalTokens: 148),
                               model: "mock-teacher", receivedAt: now),
                withLogprobs ? logprobs : nil)
    }

    @Test(arguments: Backend.available)
    func storingACollectedBatch(_ backend: Backend) async throws {
        let db = try QueueDatabase(backend)
        defer { db.cleanup() }
        let store = try db.open()
        _ = try await store.importPrompts(setName: "b", prompts: conformancePrompts(2 * Self.jobs), sourceName: "gen")
        let sweepId = try await store.createSweep(name: "b", setName: "b", teacher: conformanceTeacher("http://127.0.0.1:9/v1"),
                                                  params: conformanceParams, samples: 1).sweepId
        var lines: [String] = []
        for withLogprobs in [false, true] {
            let jobs = try await store.pendingJobs(sweepId: sweepId, limit: Self.jobs)
            #expect(jobs.count == Self.jobs)
            let batch = try await store.recordBatch(sweepId: sweepId, ref: "bench-\(withLogprobs)",
                                                    lines: jobs.map { (jobId: $0.id, customId: "c\($0.id)") },
                                                    bytes: 1, priceFactor: 0.5, worstCost: nil, wire: "openai")
            let made = jobs.map { Self.answer($0, withLogprobs: withLogprobs) }
            let results = made.map { BatchLineResult.answer(attempt: $0.0, response: $0.1) }
            let started = ContinuousClock.now
            var stored = 0
            for start in stride(from: 0, to: results.count, by: 512) {
                let chunk = Array(results[start..<min(results.count, start + 512)])
                stored += try await store.applyBatchResults(batchId: batch.id, results: chunk, maxAttempts: 5, priceFactor: 0.5).answered
            }
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            try await store.finishBatch(id: batch.id, roundLimit: nil)
            #expect(stored == Self.jobs)
            lines.append("\(withLogprobs ? "with 128 × top-5 logprobs" : "without logprobs"): \(String(format: "%.2f", seconds)) s = "
                         + "\(Int(Double(Self.jobs) / seconds)) answers/s")
            guard withLogprobs else { continue }
            let expected = Dictionary(uniqueKeysWithValues: made.map { ($0.0.jobId, $0.2) })
            let sample = try store.responses(query: ResponseQuery(setName: "b", limit: 2 * Self.jobs, includeLogprobs: true))
                .filter { expected[$0.jobId] != nil }.prefix(50)
            #expect(sample.count == 50 && sample.allSatisfy { $0.choice.logprobs == expected[$0.jobId] }, "logprobs stored bit for bit")
        }
        #expect(try await store.jobStates(sweepId: sweepId)[.done] == 2 * Self.jobs)
        print("batch results on \(backend.rawValue), \(Self.jobs) answers applied in chunks of 512: " + lines.joined(separator: "; "))
    }
}
