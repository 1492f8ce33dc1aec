import Foundation
import HarvestCore
import HarvestKit
import HarvestVerify
import SQLiteStore
import Testing

/// The pipelined `verify` stage (reader thread, judging threads, writer thread) writes exactly what a serial,
/// one-page run writes, and an incremental run (answers arriving between runs) ends where a single run does: same
/// verdicts, extracted answers, rules, reasons and marks, over a set mixing every verifier kind and verdict.
@Suite(.serialized) struct VerifyPipelineTests {
    static let teacher = TeacherEndpoint(baseURL: "http://127.0.0.1:9/v1", model: "m", name: "t")
    static let prompts = 60
    static let samples = 4

    /// Reference and verifier of prompt `p`: six kinds in turn (the last without a reference).
    static func reference(_ p: Int) -> (String?, String?) {
        switch p % 6 {
        case 0: return ("\\frac{\(p % 5 + 1)}{2}", nil)
        case 1: return ("B", "choice")
        case 2: return ("Paris", "exact")
        case 3: return ("[0-9]+", "regex")
        case 4: return (#"{"type": "object", "required": ["a"]}"#, "json")
        default: return (nil, nil)
        }
    }

    /// The answer of prompt `p`, sample `s`: right, wrong, without an answer, or with it only inside `<think>`.
    static func content(_ p: Int, _ s: Int) -> String {
        let n = p % 5 + 1
        switch (p % 6, s) {
        case (0, 0), (5, 0): return "Working: 3 + 4 = 7. So the answer is $\\boxed{\\frac{\(n)}{2}}$."
        case (0, 1), (5, 1): return "The final answer is \(Double(n) / 2) cm."
        case (0, 2), (5, 2): return "<think>maybe \(n)/2</think>I could not finish."
        case (0, _), (5, _): return "Answer: \(n + 1)/2"
        case (1, 0): return "Answer: B"
        case (1, 1): return "I pick (C) after all."
        case (1, 2): return "the letter is b"
        case (1, _): return "No idea."
        case (2, 0): return "Answer: paris."
        case (2, 1): return "Answer: Lyon"
        case (2, 2): return "<think>Paris</think>"
        case (2, _): return "Paris"
        case (3, 0): return "Answer: 123"
        case (3, 1): return "Answer: 12a"
        case (3, _): return "\(p)"
        case (4, 0): return "```json\n{\"a\": \(p)}\n```"
        case (4, 1): return "{\"b\": 2}"
        case (4, 2): return "not json at all"
        default: return "{\"a\": \"x\", \"c\": [1, 2]}"
        }
    }

    /// A store with the mixed set and one sweep of 4 samples; answers committed for the jobs `answered` selects.
    static func store(_ dir: TempDir, _ name: String, answered: (Job) -> Bool = { _ in true }) async throws -> (SQLiteStore, Int64) {
        let store = try SQLiteStore(path: dir.path(name))
        let inputs = (0..<prompts).map { p in
            let (reference, verifier) = reference(p)
            return PromptInput(externalId: "p\(p)", messages: [ChatMessage(role: "user", content: "question \(p)")],
                               source: InputLocation(file: "mixed", line: p + 1), reference: reference, verifier: verifier)
        }
        _ = try store.importPrompts(setName: "s", prompts: inputs, sourceName: "mixed")
        let sweep = try store.createSweep(name: "w", setName: "s", teacher: teacher, params: SamplingParams(maxTokens: 64), samples: samples)
        try await answer(store, sweep: sweep.sweepId, where: answered)
        return (store, sweep.sweepId)
    }

    /// Commits an answer for every pending job `select` picks (others are handed back).
    static func answer(_ store: SQLiteStore, sweep: Int64, where select: (Job) -> Bool) async throws {
        let jobs = try await store.claimJobs(sweepId: sweep, owner: "t", limit: 10_000, leaseSeconds: 60)
        for job in jobs where select(job) {
            let p = Int(job.messages[0].content.dropFirst("question ".count))!
            let text = content(p, job.sampleIndex)
            try await store.commitSuccess(AttemptRecord(jobId: job.id, startedAt: 1, latencyMs: 1, httpStatus: 200, outcome: .success),
                                          response: ResponseRecord(jobId: job.id, choice: CompletionChoice(index: 0, content: text, finishReason: "stop"),
                                                                   usage: Usage(completionTokens: text.count), receivedAt: 2))
        }
        try await store.release(jobIds: jobs.filter { !select($0) }.map(\.id), owner: "t")
    }

    /// Verdict and mark rows by prompt and sample (response ids differ between stores), without times and run ids.
    /// The `verify` marks are read through the store (a `wrong`/`no_answer` verdict is the mark).
    static func rows(_ dir: TempDir, _ name: String) throws -> (verdicts: [String], marks: [String]) {
        let db = try SQLiteDatabase(path: dir.path(name), mode: .readOnly)
        let who = "(SELECT p.external_id || '/' || j.sample_index FROM responses r JOIN jobs j ON j.id = r.job_id "
            + "JOIN set_members p ON p.prompt_id = j.prompt_id WHERE r.id = x.response_id)"
        let names = try db.with("SELECT x.id, \(who.replacingOccurrences(of: "x.response_id", with: "x.id")) FROM responses x") { s in
            var out: [Int64: String] = [:]
            while try s.step() { out[s.int64(0)] = s.string(1) }
            return out
        }
        let store = try SQLiteStore(path: dir.path(name))
        defer { store.close() }
        var verdicts: [String] = [], marks: [String] = []
        for (id, who) in names {
            for (set, v) in try store.verifications(responseId: id) {
                verdicts.append([who, set, v.verdict, v.extracted ?? "∅", v.rule ?? "∅", v.reason, v.verifier, v.paramsFingerprint].joined(separator: " | "))
            }
            for m in try store.marks(responseId: id) {
                marks.append([who, m.stage, m.reason, m.detail, m.paramsFingerprint].joined(separator: " | "))
            }
        }
        return (verdicts.sorted(), marks.sorted())
    }

    /// The stage's stored verdicts are what ``AnswerVerifier`` says for each answer, one at a time (a serial
    /// reference computed here, without the stage), and exactly the `wrong`/`no_answer` answers carry a `verify` mark.
    @Test func storedVerdictsMatchASerialReference() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (store, _) = try await Self.store(dir, "fast.sqlite")
        defer { store.close() }
        var stage = AnswerVerifierStage(store: store, pageSize: 13)
        stage.threads = 3
        _ = try stage.run(setName: "s")
        let inputs = try store.verificationInputs(setName: "s", afterId: 0, limit: 100_000)
        #expect(inputs.count == Self.prompts * Self.samples)
        var marked = 0
        for input in inputs {
            let kind = input.verifier.flatMap(VerifierKind.init(name:)) ?? .math
            let expected = AnswerVerifier.verify(content: input.content, against: PreparedReference(kind: kind, reference: input.reference))
            let stored = try #require(try store.verifications(responseId: input.responseId).first?.record)
            #expect(stored.verdict == expected.verdict.rawValue && stored.extracted == expected.extracted
                    && stored.rule == expected.rule?.rawValue && stored.reason == expected.reason && stored.verifier == kind.rawValue,
                    "response \(input.responseId): \(input.content)")
            let marks = try store.marks(responseId: input.responseId).filter { $0.stage == VerificationRecord.stage }
            let dropped = expected.verdict == .wrong || expected.verdict == .noAnswer
            #expect(marks.count == (dropped ? 1 : 0))
            if dropped { marked += 1 }
        }
        #expect(marked > 0 && marked < inputs.count)
        #expect(try store.curationCounts(setName: "s")[VerificationRecord.stage] == marked)
        #expect(try store.curationTotals(setName: "s").dropped == marked)
        #expect(try store.stageMarks(setName: "s", stage: VerificationRecord.stage).count == marked)
        let kept = try store.responses(query: ResponseQuery(setName: "s", afterId: 0, limit: 100_000, includeLogprobs: false, excludeMarked: true))
        #expect(kept.count == inputs.count - marked, "exports leave the marked answers out")
    }

    @Test func pipelinedRunWritesWhatASerialRunWrites() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (serialStore, _) = try await Self.store(dir, "serial.sqlite")
        var serial = AnswerVerifierStage(store: serialStore, pageSize: 100_000)
        serial.threads = 1
        let one = try serial.run(setName: "s")
        serialStore.close()

        let (parallelStore, _) = try await Self.store(dir, "parallel.sqlite")
        var parallel = AnswerVerifierStage(store: parallelStore, pageSize: 7)
        parallel.threads = 4
        let many = try parallel.run(setName: "s")
        let again = try parallel.run(setName: "s")
        parallelStore.close()

        #expect(one.examined == Self.prompts * Self.samples && many.examined == one.examined)
        #expect(many.newVerdicts == one.newVerdicts)
        #expect(Set(one.newVerdicts.keys) == ["correct", "wrong", "unverifiable", "no_answer"], "every verdict occurs")
        #expect(again.examined == 0 && again.newVerdicts.isEmpty, "a re-run with nothing new judges nothing")
        let a = try Self.rows(dir, "serial.sqlite"), b = try Self.rows(dir, "parallel.sqlite")
        #expect(a.verdicts.count == Self.prompts * Self.samples && a.verdicts == b.verdicts)
        #expect(a.marks.count == (one.newVerdicts["wrong"] ?? 0) + (one.newVerdicts["no_answer"] ?? 0) && a.marks == b.marks)
    }

    @Test func incrementalRunsEndWhereOneRunDoes() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let (whole, _) = try await Self.store(dir, "whole.sqlite")
        _ = try AnswerVerifierStage(store: whole, pageSize: 9).run(setName: "s")
        whole.close()

        // Samples 0 and 1 first, then the rest: the second run judges only the new answers.
        let (store, sweep) = try await Self.store(dir, "steps.sqlite") { $0.sampleIndex < 2 }
        let stage = AnswerVerifierStage(store: store, pageSize: 9)
        let first = try stage.run(setName: "s")
        try await Self.answer(store, sweep: sweep) { _ in true }
        let second = try stage.run(setName: "s")
        store.close()
        #expect(first.examined == Self.prompts * 2 && second.examined == Self.prompts * 2)
        let a = try Self.rows(dir, "whole.sqlite"), b = try Self.rows(dir, "steps.sqlite")
        #expect(a.verdicts == b.verdicts && a.marks == b.marks)
    }
}
