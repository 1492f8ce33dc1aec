import Foundation
import HarvestCore
import PostgresStore
import SQLiteStore

/// The same answers written into a SQLite file and a PostgreSQL database for curation: set `c` of 21 prompts with
/// math references, 24 ids (prompt 3 listed again as `a-dup` and `Z-dup`, prompt 5 as `q21`, with other references:
/// the reference used is the lowest id's in byte order, `Z-dup` and `q21`, in a database whose collation orders
/// otherwise; prompt 20 repeats prompt 2's text but one word: a near duplicate), answered three times each: right, wrong, without an answer, refusals,
/// `length` cuts, repeated answers (exact duplicates) and answers one word apart (near duplicates), with logprobs.
/// Each store gets the same calls in the same order, so ids agree. ``addSweep(_:samples:)`` answers the set again
/// (new rows for incremental runs).
final class CurationTwin: @unchecked Sendable {
    let dir: URL
    let sqlite: SQLiteStore
    let database: PostgresTestDatabase
    let postgres: PostgresStore
    /// An eval file whose one item is prompt 7's question (decontamination marks it).
    let evalFile: String
    private var answered = 0

    init() async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-curation-twin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        sqlite = try SQLiteStore(path: dir.appendingPathComponent("twin.sqlite").path)
        database = try PostgresTestDatabase(icuLocale: "en-US")
        postgres = try PostgresStore(url: database.url)
        evalFile = dir.appendingPathComponent("eval.jsonl").path
        let eval = #"{"question":"\#(Self.question(7))"}"# + "\n"
        try Data(eval.utf8).write(to: URL(fileURLWithPath: evalFile))
        var prompts = (0..<22).map { i in
            PromptInput(externalId: "q\(i)", messages: [ChatMessage(role: "user", content: Self.question(i))],
                        source: InputLocation(file: "c.jsonl", line: i + 1), reference: String(i * 3), verifier: "math")
        }
        prompts.append(PromptInput(externalId: "a-dup", messages: [ChatMessage(role: "user", content: Self.question(3))],
                                   source: InputLocation(file: "c.jsonl", line: 23), reference: "9", verifier: "math"))
        prompts.append(PromptInput(externalId: "Z-dup", messages: [ChatMessage(role: "user", content: Self.question(3))],
                                   source: InputLocation(file: "c.jsonl", line: 24), reference: "1000", verifier: "math"))
        _ = try sqlite.importPrompts(setName: "c", prompts: prompts, sourceName: "c.jsonl")
        _ = try await postgres.importPrompts(setName: "c", prompts: prompts, sourceName: "c.jsonl")
        try await addSweep("w1", samples: 3)
    }

    func cleanup() {
        sqlite.close()
        postgres.close()
        database.drop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Prompt `i`'s question: words no other prompt shares 8 in a row (every third carries `i`); 20 is prompt 2's
    /// with one more word, 21 is prompt 5's.
    static func question(_ i: Int) -> String {
        switch i {
        case 20: return question(2) + " please"
        case 21: return question(5)
        default:
            let words = ["farmer", "counts", "goats", "triples", "writes", "total", "barn", "door", "visitor", "spring", "reads", "field",
                         "sheep", "river", "stone", "bridge", "market", "apples", "basket", "morning", "evening", "lantern", "window",
                         "garden", "orchard", "harvest", "wagon", "horse", "cart", "road", "village"]
            return "Problem \(i): " + (0..<16).map { k in words[(i * 13 + k * 7 + i * k) % words.count] + (k % 3 == 0 ? "\(i)" : "") }
                .joined(separator: " ")
        }
    }

    /// Sweep `name` over set `c` with `samples` samples, answered in both stores in the same order.
    func addSweep(_ name: String, samples: Int) async throws {
        let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "mock-teacher", name: "alpha")
        let params = SamplingParams(maxTokens: 64, temperature: name == "w1" ? 0.7 : 1.0, topLogprobs: 2)
        let a = try sqlite.createSweep(name: name, setName: "c", teacher: teacher, params: params, samples: samples)
        let b = try await postgres.createSweep(name: name, setName: "c", teacher: teacher, params: params, samples: samples)
        var s: [Job] = [], p: [Job] = []
        while true {
            let page = try await sqlite.claimJobs(sweepId: a.sweepId, owner: "twin", limit: 128, leaseSeconds: 3600)
            if page.isEmpty { break }
            s += page
        }
        while true {
            let page = try await postgres.claimJobs(sweepId: b.sweepId, owner: "twin", limit: 128, leaseSeconds: 3600)
            if page.isEmpty { break }
            p += page
        }
        let byKey = Dictionary(uniqueKeysWithValues: p.map { ($0.key, $0) })
        for job in s.sorted(by: { $0.id < $1.id }) {
            guard let twin = byKey[job.key] else { throw TwinError("job \(job.id) has no twin") }
            let n = answered
            answered += 1
            let record = Self.response(n: n, job: job)
            let attempt = { (id: Int64) in AttemptRecord(jobId: id, startedAt: 1_796_000_000 + Double(n), latencyMs: 5, httpStatus: 200, outcome: .success) }
            try await sqlite.commitSuccess(attempt(job.id), response: record)
            var pg = record
            pg.jobId = twin.id
            try await postgres.commitSuccess(attempt(twin.id), response: pg)
        }
    }

    /// Answer `n` to `job`: the kind of answer cycles through right, wrong, none, refusal, repeated, near-repeated.
    static func response(n: Int, job: Job) -> ResponseRecord {
        let p = job.promptId
        let content: String
        switch n % 9 {
        case 0, 4: content = "Tripling gives the total. The answer is \\boxed{\((p - 1) * 3)}."
        case 1: content = "The answer is \\boxed{\(p * 3 + 1)}."
        case 2: content = "I am not sure how to count the goats on this farm today."
        case 3: content = "I'm sorry, but I can't help with that."
        case 5: content = "The same answer for everyone: \\boxed{6}."
        case 6: content = "Let me think step by step about goats and barns and the spring visitors who read doors, so the total is \\boxed{\(n % 4)} here"
        case 7: content = "Let me think step by step about goats and barns and the spring visitors who read doors, so the total is \\boxed{\(n % 4)} there"
        default: content = "Final answer: \((p - 1) * 3)"
        }
        let logprobs = (0..<(3 + n % 4)).map { k in
            let v = -Double((n * 7 + k * 3) % 11) / 4
            return TokenLogprob(token: "t\(k)", logprob: v, bytes: nil, top: [TopLogprob(token: "t\(k)", logprob: v), TopLogprob(token: "u\(k)", logprob: v - 1)])
        }
        let choice = CompletionChoice(index: 0, content: content, reasoning: n % 5 == 0 ? "thinking about \(p)" : nil,
                                      finishReason: n % 10 == 8 ? "length" : "stop", logprobs: logprobs)
        return ResponseRecord(jobId: job.id, choice: choice, usage: Usage(promptTokens: 30, completionTokens: 3 + n % 4, totalTokens: 33 + n % 4),
                              model: "mock-teacher", responseId: "c-\(n)", receivedAt: 1_796_000_000.5 + Double(n))
    }
}
