import HarvestCore
import HarvestKit
import SQLiteStore
import Synchronization
import Testing

/// A store whose commits are slow (a loaded disk), counting what it stored: the seam faulted here is the store's speed.
private final class SlowCommitStore: JobStore, Sendable {
    let inner: SQLiteStore
    let delayMs: Int
    let committed = Mutex(0)
    let onCommit: @Sendable (Int) -> Void
    init(_ inner: SQLiteStore, delayMs: Int, onCommit: @escaping @Sendable (Int) -> Void) {
        (self.inner, self.delayMs, self.onCommit) = (inner, delayMs, onCommit)
    }
    func claimJobs(sweepId: Int64, owner: String, limit: Int, leaseSeconds: Double) async throws -> [Job] {
        try await inner.claimJobs(sweepId: sweepId, owner: owner, limit: limit, leaseSeconds: leaseSeconds)
    }
    func recordFailure(_ attempt: AttemptRecord, final: Bool) async throws { try await inner.recordFailure(attempt, final: final) }
    func commitSuccess(_ attempt: AttemptRecord, response: ResponseRecord) async throws {
        onCommit(committed.withLock { $0 })
        try await Task.sleep(for: .milliseconds(delayMs))
        try await inner.commitSuccess(attempt, response: response)
        committed.withLock { $0 += 1 }
    }
    func release(jobIds: [Int64], owner: String) async throws { try await inner.release(jobIds: jobIds, owner: owner) }
    func renewLeases(jobIds: [Int64], owner: String, leaseSeconds: Double) async throws {
        try await inner.renewLeases(jobIds: jobIds, owner: owner, leaseSeconds: leaseSeconds)
    }
}

/// What a `kill -9` costs is bounded by the window: requests sent whose answers are not stored yet (in flight or
/// waiting for their commit) never exceed it, even though the runner claims ahead and the teacher answers at once.
@Suite struct UnsavedWindowTests {
    @Test func sentButNotStoredNeverExceedsTheWindow() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let sqlite = try SQLiteStore(path: dir.path("u.sqlite"))
        let prompts = (0..<60).map { i in
            PromptInput(externalId: "\(i)", messages: [ChatMessage(role: "user", content: "q \(i)")], source: InputLocation(file: "t", line: i + 1))
        }
        _ = try sqlite.importPrompts(setName: "s", prompts: prompts, sourceName: "t")
        let sweep = try sqlite.createSweep(name: "s", setName: "s", teacher: TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m"),
                                           params: SamplingParams(maxTokens: 8), samples: 1)
        let transport = ScriptedTransport([ValueRulesSweepTests.valid])
        let worst = Mutex(0)
        let window = 4
        let store = SlowCommitStore(sqlite, delayMs: 30) { committed in
            let unsaved = transport.sent.withLock { $0 } - committed
            worst.withLock { $0 = max($0, unsaved) }
        }
        let (pipeline, runner) = try pipelineRunner(store: store, url: "http://127.0.0.1:9/v1", model: "m", maxInFlight: window,
                                                    rescuePath: dir.path("rescue.jsonl"), transport: transport)
        defer { pipeline.shutdown() }
        let outcome = try await runner.run(sweepId: sweep.sweepId)
        #expect(outcome.counters.done == 60)
        #expect(transport.sent.withLock { $0 } == 60)
        // Commits take 30 ms and answers come at once: without the bound, every held job would be sent while the
        // first answers wait for their commit.
        #expect(worst.withLock { $0 } <= window, "sent but not stored: \(worst.withLock { $0 }), window \(window)")
        #expect(worst.withLock { $0 } >= 2, "the window was used")
    }
}
