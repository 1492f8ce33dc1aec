import Foundation
import HarvestCore
import HarvestKit
import PostgresStore
import SQLiteStore

/// Throughput of `harvest curate` on SQLite and, given `--db postgres://…` (a cluster where it may create and drop a
/// scratch database), on PostgreSQL: the same `answers` answers (4 samples per prompt, ~450 bytes of varied prose
/// each, one in ten an exact copy of the answer before, one in ten a near copy, the final answer in a form the `math`
/// verifier reads) stored through the paid path (claims and commits), then timed: the default pipeline (exact and
/// near dedup of prompts and responses), the `verify` stage, and a re-run of both (nothing new to judge).
/// `harvest-bench --scenario curate [--prompts 100000] [--db postgres://user@host:port/postgres]` (`--prompts` counts
/// answers).
enum CurateScenario {
    static func run(answers: Int, postgresURL: String?) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-bench-curate-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var backends: [(name: String, location: StoreLocation, drop: (() -> Void)?)] = [
            ("SQLite", .sqlite(path: dir.appendingPathComponent("bench.sqlite").path), nil),
        ]
        if let postgresURL {
            let (url, drop) = try scratchDatabase(postgresURL)
            backends.append(("PostgreSQL", try StoreLocation(parsing: url), drop))
        }
        for backend in backends {
            defer { backend.drop?() }
            let store = try StoreFactory.open(backend.location)
            defer { store.close() }
            let f = ProgressLine.fixed
            let t0 = ContinuousClock.now
            try await fill(store, prompts: max(1, answers / 4))
            print("  \(backend.name): filled \(answers) answers in \(f(seconds(ContinuousClock.now - t0), 1)) s")
            let config = try CurationSpec().makeConfig()
            let curator = Curator(store: store)
            var report: CurationReport?
            let dedup = try VerifyScenario.timed { report = try curator.run(setName: "bench", config: config, keepingStages: ["verify"]) }
            VerifyScenario.line("dedup", report?.examined ?? 0, dedup)
            print("                  marks \(report?.newMarks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") ?? "")")
            let stage = AnswerVerifierStage(store: store)
            var verified: VerificationReport?
            let verify = try VerifyScenario.timed { verified = try stage.run(setName: "bench") }
            VerifyScenario.line("verify", verified?.examined ?? 0, verify)
            print("                  verdicts \(verified?.newVerdicts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") ?? "")")
            let rerun = try VerifyScenario.timed {
                report = try curator.run(setName: "bench", config: config, keepingStages: ["verify"])
                verified = try stage.run(setName: "bench")
            }
            print("  re-run            \(f(rerun.wall, 2)) s judging \(report?.examined ?? -1) + \(verified?.examined ?? -1) answers")
            let both = dedup.wall + verify.wall
            print("RESULT backend=\(backend.name) answers=\(answers) dedup=\(Double(answers) / dedup.wall) verify=\(Double(answers) / verify.wall) "
                + "curate=\(Double(answers) / both) rerun=\(rerun.wall)")
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// A scratch database on the cluster of `url` (same server and user): its URL, and how to drop it.
    private static func scratchDatabase(_ url: String) throws -> (String, () -> Void) {
        let name = "harvest_bench_curate_\(getpid())"
        let admin = try PostgresConnection(url: PostgresURL(url))
        try admin.execute("DROP DATABASE IF EXISTS \(name)")
        try admin.execute("CREATE DATABASE \(name)")
        guard let scheme = url.range(of: "://") else { throw PostgresError.badURL(reason: url) }
        let end = url[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? url.endIndex
        let query = url[end...].firstIndex(of: "?") ?? url.endIndex
        let scratch = String(url[..<end]) + "/" + name + String(url[query...])
        return (scratch, { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
    }

    /// `prompts` prompts of set `bench` answered 4 times each through the store's claims and commits (128 at a time).
    private static func fill(_ store: any HarvestDatabase, prompts: Int) async throws {
        let inputs = (0..<prompts).map { p in
            PromptInput(externalId: "q\(p)", messages: [ChatMessage(role: "user", content: "Problem \(p): " + words(seed: UInt64(p) &* 7919, count: 24))],
                        source: InputLocation(file: "bench", line: p + 1), reference: String(p % 97))
        }
        _ = try await store.importPrompts(setName: "bench", prompts: inputs, sourceName: "bench")
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m", name: "t")
        let sweep = try await store.createSweep(name: "bench", setName: "bench", teacher: teacher, params: SamplingParams(maxTokens: 64), samples: 4)
        var n = 0
        var previous = ""
        while true {
            let jobs = try await store.claimJobs(sweepId: sweep.sweepId, owner: "bench", limit: 128, leaseSeconds: 3600)
            if jobs.isEmpty { break }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for job in jobs {
                    let content = n % 10 == 3 ? previous : answer(n: n, job: job)
                    previous = content
                    n += 1
                    group.addTask {
                        let choice = CompletionChoice(index: 0, content: content, finishReason: "stop")
                        try await store.commitSuccess(AttemptRecord(jobId: job.id, startedAt: 1, latencyMs: 1, httpStatus: 200, outcome: .success),
                                                      response: ResponseRecord(jobId: job.id, choice: choice, usage: Usage(completionTokens: 90), receivedAt: 2))
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// Answer `n` (to `job`): varied prose (every 10th repeats answer n-2's with one more word: a near copy; the
    /// caller makes every other 10th an exact copy of the answer before), the final answer right for 3 in 5.
    private static func answer(n: Int, job: Job) -> String {
        let base = n % 10 == 6 ? n - 2 : n
        let prose = words(seed: UInt64(base) &* 104_729 &+ 17, count: 64)
        let right = Int(job.promptId - 1) % 97
        return (n % 10 == 6 ? prose + " indeed" : prose) + ". So the answer is \\boxed{\(n % 5 < 3 ? right : right + 1)}."
    }

    /// `count` words of a 4,096-word vocabulary, drawn by SplitMix64 from `seed`.
    private static func words(seed: UInt64, count: Int) -> String {
        var state = seed
        var out: [String] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let w = Int(z % 4096)
            out.append(["al", "be", "co", "da", "el", "fi", "go", "ha"][w % 8] + String(w, radix: 36))
        }
        return out.joined(separator: " ")
    }
}
