import Foundation
import HarvestCore
import PostgresStore
import SQLiteStore

/// The same harvest written into a SQLite file and into a PostgreSQL database: two prompt sets (a prompt listed
/// under several ids, ids whose byte order differs from a locale's, in a database whose default collation is not byte
/// order), two teachers whose answers commit interleaved (so PostgreSQL's vocabulary indices of one teacher are not
/// dense), answers with logprobs (ids, `bytes`, values that need float64, -0.0), without logprobs, with reasoning,
/// without usage; curation marks and verdicts. Each store gets the same calls in the same order, so ids agree.
final class TwinHarvest: @unchecked Sendable {
    let dir: URL
    let sqlite: SQLiteStore
    let database: PostgresTestDatabase
    let postgres: PostgresStore
    /// Sweep ids (equal in both stores): teacher A over set `s` (2 samples), teacher B over set `t` (1 sample).
    private(set) var sweepA: Int64 = 0
    private(set) var sweepB: Int64 = 0
    /// Response ids (equal in both stores), in commit order.
    private(set) var responseIds: [Int64] = []

    init() async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-twin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        sqlite = try SQLiteStore(path: dir.appendingPathComponent("twin.sqlite").path)
        // A locale-aware default collation ("a-dup" < "q3" < "Z-dup"), where harvest must still choose and order by bytes.
        database = try PostgresTestDatabase(icuLocale: "en-US")
        postgres = try PostgresStore(url: database.url)
        try await fill()
    }

    func cleanup() {
        sqlite.close()
        postgres.close()
        database.drop()
        try? FileManager.default.removeItem(at: dir)
    }

    static func prompt(_ i: Int) -> [ChatMessage] {
        var m = [ChatMessage(role: "user", content: "Question \(i): what is \(i) × \(i)? Answer with \"quotes\" and é.")]
        if i % 4 == 0 { m.insert(ChatMessage(role: "system", content: "Be brief."), at: 0) }
        return m
    }

    private func fill() async throws {
        var s = (0..<10).map { i in
            PromptInput(externalId: "q\(i)", messages: Self.prompt(i), metadataJSON: i % 3 == 0 ? "{\"topic\":\"math\",\"n\":\(i)}" : nil,
                        source: InputLocation(file: "s.jsonl", line: i + 1), reference: String(i * i), verifier: "math")
        }
        // Prompt 3 under two more ids of the set: its rows carry the lowest id in byte order ("Z-dup" < "a-dup" < "q3").
        s.append(PromptInput(externalId: "a-dup", messages: Self.prompt(3), source: InputLocation(file: "s.jsonl", line: 11)))
        s.append(PromptInput(externalId: "Z-dup", messages: Self.prompt(3), source: InputLocation(file: "s.jsonl", line: 12)))
        let t = [2, 5, 7, 9].map { i in
            PromptInput(externalId: "t-\(i)", messages: Self.prompt(i), source: InputLocation(file: "t.jsonl", line: i))
        }
        _ = try sqlite.importPrompts(setName: "s", prompts: s, sourceName: "s.jsonl")
        _ = try await postgres.importPrompts(setName: "s", prompts: s, sourceName: "s.jsonl")
        _ = try sqlite.importPrompts(setName: "t", prompts: t, sourceName: "t.jsonl")
        _ = try await postgres.importPrompts(setName: "t", prompts: t, sourceName: "t.jsonl")

        let teacherA = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "mock-teacher", name: "alpha")
        let teacherB = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "other-model", name: "beta")
        let paramsA = SamplingParams(maxTokens: 8, temperature: 0.7, seed: 3, topLogprobs: 3)
        let paramsB = SamplingParams(maxTokens: 8, temperature: 1, topLogprobs: 2)
        let a1 = try sqlite.createSweep(name: "a", setName: "s", teacher: teacherA, params: paramsA, samples: 2)
        let a2 = try await postgres.createSweep(name: "a", setName: "s", teacher: teacherA, params: paramsA, samples: 2)
        let b1 = try sqlite.createSweep(name: "b", setName: "t", teacher: teacherB, params: paramsB, samples: 1)
        let b2 = try await postgres.createSweep(name: "b", setName: "t", teacher: teacherB, params: paramsB, samples: 1)
        guard a1.sweepId == a2.sweepId, b1.sweepId == b2.sweepId else { throw TwinError("sweep ids differ") }
        sweepA = a1.sweepId
        sweepB = b1.sweepId

        let jobsA = try await claimAll(sweepA)
        let jobsB = try await claimAll(sweepB)
        // Interleave the two teachers' answers: B's vocabulary grows between A's.
        var order: [(Job, Job, Bool)] = []
        for i in 0..<max(jobsA.count, jobsB.count) {
            if i < jobsA.count { order.append((jobsA[i].0, jobsA[i].1, true)) }
            if i < jobsB.count { order.append((jobsB[i].0, jobsB[i].1, false)) }
        }
        for (n, (js, jp, isA)) in order.enumerated() {
            let started = 1_796_000_000.25 + Double(n) * 1.5
            let record = Self.response(n: n, job: js, withIds: isA, received: started + 0.75)
            try await sqlite.commitSuccess(AttemptRecord(jobId: js.id, startedAt: started, latencyMs: 750, httpStatus: 200, outcome: .success),
                                           response: record)
            var pgRecord = record
            pgRecord.jobId = jp.id
            try await postgres.commitSuccess(AttemptRecord(jobId: jp.id, startedAt: started, latencyMs: 750, httpStatus: 200, outcome: .success),
                                             response: pgRecord)
        }
        let ids = try sqlite.responses(query: ResponseQuery(limit: 10_000, includeLogprobs: false)).map(\.id)
        responseIds = ids
        try curate()
    }

    /// Claims every job of the sweep in both stores, paired by job key, in SQLite's job id order.
    private func claimAll(_ sweep: Int64) async throws -> [(Job, Job)] {
        var s: [Job] = [], p: [Job] = []
        while true {
            let page = try await sqlite.claimJobs(sweepId: sweep, owner: "twin", limit: 128, leaseSeconds: 3600)
            if page.isEmpty { break }
            s += page
        }
        while true {
            let page = try await postgres.claimJobs(sweepId: sweep, owner: "twin", limit: 128, leaseSeconds: 3600)
            if page.isEmpty { break }
            p += page
        }
        let byKey = Dictionary(uniqueKeysWithValues: p.map { ($0.key, $0) })
        return try s.sorted { $0.id < $1.id }.map { job in
            guard let twin = byKey[job.key] else { throw TwinError("job \(job.id) has no twin") }
            return (job, twin)
        }
    }

    /// Answer `n`: deterministic content, logprobs (none for every 7th), reasoning for every 3rd, no usage for every 5th.
    static func response(n: Int, job: Job, withIds: Bool, received: Double) -> ResponseRecord {
        let content = n % 6 == 1 ? "The answer is \\boxed{\(job.promptId * job.promptId)}." : "Answer \(n) to prompt \(job.promptId): \(n * 7) 🚀 \"ok\""
        var logprobs: [TokenLogprob]?
        if n % 7 != 3 {
            let values: [Double] = [-0.0, -0.125, -0.1, -1.0e-7, -2.5, -11.75, -0.333333333333333]
            logprobs = (0..<(4 + n % 5)).map { p in
                let top = (0..<(withIds ? 3 : 2)).map { (k: Int) -> TopLogprob in
                    let token: String = k == 0 ? " tok\(p)" : "alt\(p)_\(k)\(n % 3)"
                    let value: Double = values[(p + k + n) % values.count] - Double(k)
                    let bytes: [UInt8]? = p == 2 ? Array("tok\(p)".utf8) : nil
                    let id: Int = 100 + p * 10 + k + n % 3
                    return TopLogprob(token: token, logprob: value, bytes: bytes, tokenId: withIds ? id : nil)
                }
                return TokenLogprob(token: top[0].token, logprob: top[0].logprob, bytes: top[0].bytes, tokenId: top[0].tokenId, top: top)
            }
        }
        let choice = CompletionChoice(index: 0, content: content, reasoning: n % 3 == 0 ? "Let me think about \(n)…" : nil,
                                      finishReason: n % 4 == 2 ? "length" : "stop", logprobs: logprobs)
        let completion: Int = logprobs?.count ?? 9
        let usage: Usage? = n % 5 == 4 ? nil : Usage(promptTokens: 12 + n, completionTokens: completion, totalTokens: 21 + n)
        return ResponseRecord(jobId: job.id, choice: choice, usage: usage, model: withIds ? "mock-teacher" : "other-model-v2",
                              responseId: "chatcmpl-\(n)", receivedAt: received)
    }

    /// The same marks and verdicts in both stores, through each store's curation commit.
    private func curate() throws {
        let ids = responseIds
        // ids[1] answers set t (teacher B), ids[2] and ids[4] set s.
        let marks = [(ids[2], "dedup.exact", "same answer as an earlier one", "{\"kept\":\(ids[0])}"),
                     (ids[4], "filter.length", "too short", "{\"tokens\":3}"),
                     (ids[4], "dedup.near", "near duplicate", "{\"jaccard\":0.91}"),
                     (ids[1], "filter.length", "too short", "{\"tokens\":2}")]
        let verdicts = ids.enumerated().compactMap { i, id -> VerificationRecord? in
            guard i % 2 == 0, i < 20 else { return nil }
            let verdict = ["correct", "wrong", "correct", "no_answer", "unverifiable"][i / 2 % 5]
            return VerificationRecord(responseId: id, verdict: verdict, extracted: verdict == "no_answer" ? nil : "\(i)",
                                      rule: verdict == "no_answer" ? nil : "boxed", reason: "verdict \(verdict) for \(i)", verifier: "math",
                                      paramsFingerprint: "fp-verify")
        }
        var commit = CurationCommit(setName: "s", config: "[]", startedAt: 1_796_000_100,
                                    marks: marks.map { CurationMarkRecord(responseId: $0.0, stage: $0.1, reason: $0.2, detail: $0.3, paramsFingerprint: "fp") },
                                    finishedAt: 1_796_000_200)
        commit.verifications = verdicts
        let run = try sqlite.commitCuration(commit)
        let pgRun = try postgres.commitCuration(commit)
        guard run == pgRun else { throw TwinError("curation run ids differ: \(run), \(pgRun)") }
    }
}

struct TwinError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
