import CurlTransport
import Foundation
import HarvestCore
import HarvestJSON
import HarvestKit
import MockTeacher
import PostgresStore
import SQLiteStore
import Testing

/// The daemon's limits on batches on both backends (BatchStepTests, AnthropicBatchTests): a file only when its worst
/// case fits the budget, the round limit when every batch expires or fails validation, and the Anthropic wire.
extension BatchConformanceTests {
    /// Steps until the sweep has no open batch and no pending job (or `seconds` pass).
    static func stepUntilSettled(_ c: BatchCoordinator, _ f: Fixture, budget: BatchBudget? = nil, seconds: Double = 120) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let outcome = try await c.step(sweepId: f.sweepId, budget: budget)
            if outcome.open == 0, try await f.store.jobStates(sweepId: f.sweepId)[.pending] ?? 0 == 0 || outcome.budgetBlocked { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Spend recorded for the sweep and what 0.5 × the list price × the stored answers' tokens comes to.
    static func spend(_ f: Fixture, input: Double, output: Double) async throws -> (spent: Double, expected: Double) {
        let stored = try f.store.responses(query: ResponseQuery(setName: "b", limit: 100_000, includeLogprobs: false))
        let expected = stored.reduce(0.0) { sum, r in
            sum + (Double(r.usage?.promptTokens ?? 0) * input + Double(r.usage?.completionTokens ?? 0) * output) * 0.5 / 1_000_000
        }
        return (try await f.store.sweepSpend()[f.sweepId] ?? 0, expected)
    }

    @Test(arguments: Backend.available)
    func aFileIsSubmittedOnlyWhenItsWorstCaseFitsTheBudget(_ backend: Backend) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.05
        let f = try await Fixture(backend, prompts: 40, faults: faults)
        _ = try await f.store.setPrices(teacher: f.teacher, inputPerMillion: 2, outputPerMillion: 8)
        let c = f.coordinator(BatchSettings(maxRequestsPerFile: 100, priceFactor: 0.5, pollSeconds: 0.05, maxPollSeconds: 0.2))
        let probe = BatchBudget(remaining: 0, inputPerMillion: 2, outputPerMillion: 8)
        let worst = try await f.store.pendingJobs(sweepId: f.sweepId, limit: 40).map { probe.worstCost($0, priceFactor: 0.5) }
        // Room for exactly the first 12 lines' worst case.
        let room = worst.prefix(12).reduce(0, +) + worst[12] / 2
        let first = try await c.step(sweepId: f.sweepId, budget: BatchBudget(remaining: room, inputPerMillion: 2, outputPerMillion: 8))
        #expect(first.recorded == 1 && first.budgetBlocked)
        let batch = try #require(try await f.store.batches(sweepId: f.sweepId).first)
        #expect(batch.requests == 12 && abs((batch.worstCost ?? 0) - worst.prefix(12).reduce(0, +)) < 1e-15)
        let nothing = try await c.step(sweepId: f.sweepId, budget: BatchBudget(remaining: worst[12] / 2, inputPerMillion: 2, outputPerMillion: 8))
        #expect(nothing.recorded == 0 && nothing.budgetBlocked)
        try await Self.stepUntilSettled(c, f, budget: BatchBudget(remaining: 0, inputPerMillion: 2, outputPerMillion: 8))
        #expect(f.mock.batchStats().submissionsPerCustomId.count == 12, "only the lines that fit were ever sent")
        let (spent, expected) = try await Self.spend(f, input: 2, output: 8)
        #expect(expected > 0 && abs(spent - expected) < 1e-12 && spent <= room, "spend at the batch price, within the budget")
        #expect(try await f.store.jobStates(sweepId: f.sweepId)[.done] == 12)
    }

    @Test(arguments: Backend.available)
    func jobsThatEveryBatchExpiresOrRefusesFailAfterTheRoundLimit(_ backend: Backend) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.05
        faults.expire = 100  // every batch expires with a quarter of its lines done
        faults.expireFraction = 0.25
        let f = try await Fixture(backend, prompts: 40, faults: faults)
        try await Self.stepUntilSettled(f.coordinator(BatchSettings(maxRequestsPerFile: 40, pollSeconds: 0.05, maxPollSeconds: 0.2, maxRounds: 2)), f)
        let stats = f.mock.batchStats()
        #expect(stats.submissionsPerCustomId.values.allSatisfy { $0 <= 2 } && stats.batchesCreated == 2, "no third round: \(stats)")
        #expect(stats.answersPerCustomId.values.allSatisfy { $0 == 1 })
        let states = try await f.store.jobStates(sweepId: f.sweepId)
        let done = states[.done] ?? 0
        #expect(done == stats.answersPerCustomId.count && done > 0 && done < 40)
        #expect(states[.failed] == 40 - done && states[.pending] ?? 0 == 0 && states[.leased] ?? 0 == 0, "\(states)")

        var refusing = MockBatchFaults()
        refusing.stepSeconds = 0.05
        refusing.failValidation = 100
        let g = try await Fixture(backend, prompts: 30, faults: refusing)
        try await Self.stepUntilSettled(g.coordinator(BatchSettings(maxRequestsPerFile: 20, pollSeconds: 0.05, maxPollSeconds: 0.2, maxRounds: 3)), g)
        #expect(g.mock.batchStats().batchesCreated == 6, "two files, three rounds each")
        let refused = try await g.store.jobStates(sweepId: g.sweepId)
        #expect(refused[.failed] == 30 && refused[.pending] ?? 0 == 0 && refused[.leased] ?? 0 == 0, "\(refused)")
        #expect(try await g.store.openBatches(sweepId: g.sweepId).isEmpty)
    }

    @Test(arguments: Backend.available)
    func anthropicWireWithLineErrorsAnExpiredBatchAndThinking(_ backend: Backend) async throws {
        var faults = MockBatchFaults()
        faults.stepSeconds = 0.1
        faults.lineErrorRate = 0.1
        faults.expire = 1
        let f = try await Fixture(backend, prompts: 60, faults: faults)
        _ = try await f.store.setPrices(teacher: f.teacher, inputPerMillion: 3, outputPerMillion: 15)
        let thinking = SamplingParams(maxTokens: 8, extraBody: [("thinking", .object([("type", .string("enabled")), ("budget_tokens", .number(1024))]))])
        let sweep = try await f.store.createSweep(name: "t", setName: "b", teacher: f.teacher, params: thinking, samples: 1).sweepId
        let api = AnthropicBatchClient(transport: f.transport, baseURL: f.teacher.baseURL, apiKey: "k")
        let c = BatchCoordinator(store: f.store, api: api, settings: BatchSettings(maxRequestsPerFile: 25, priceFactor: 0.5, pollSeconds: 0.05,
                                                                                    maxPollSeconds: 0.2),
                                 maxAttempts: 5, stop: StopSignal())
        #expect(try await c.run(sweepId: sweep) == .finished(rounds: 2))
        let stats = f.mock.batchStats()
        #expect(stats.filesUploaded == 0 && stats.linesErrored > 0)
        #expect(stats.answersPerCustomId.count == 60 && stats.answersPerCustomId.values.allSatisfy { $0 == 1 })
        #expect(try await f.store.jobStates(sweepId: sweep)[.done] == 60)
        let batches = try await f.store.batches(sweepId: sweep)
        #expect(batches.allSatisfy { $0.wire == "anthropic" && $0.stage == .collected })
        #expect(batches.contains { $0.providerStatus == "expired" && $0.returned > 0 })
        let stored = try f.store.responses(query: ResponseQuery(sweepId: sweep, limit: 1_000, includeLogprobs: false))
        #expect(stored.count == 60 && stored.allSatisfy { $0.choice.reasoning?.hasPrefix("Mock reasoning for ") == true },
                "thinking blocks are stored as reasoning")
        let expected = stored.reduce(0.0) { sum, r in
            sum + (Double(r.usage?.promptTokens ?? 0) * 3 + Double(r.usage?.completionTokens ?? 0) * 15) * 0.5 / 1_000_000
        }
        let spent = try await f.store.sweepSpend()[sweep] ?? 0
        #expect(expected > 0 && abs(spent - expected) < 1e-12)
    }
}
