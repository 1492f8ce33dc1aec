import Foundation
import HarvestCore
import HarvestCurate
import HarvestExport
import HarvestKit
import PostgresStore
import SQLiteStore
import Testing

/// `harvest curate` on both backends: the same curation config (filters, exact and near dedup, decontamination,
/// verify, pass rate) over identical records in SQLite and PostgreSQL gives the same reports, the same marks,
/// verdicts, stored dedup state and progress, and byte-identical filtered exports: dry run, first run, a re-run with
/// nothing new, new answers judged incrementally against the stored state, changed parameters replacing a stage's
/// marks, a stage left out, and a run interrupted after some pages then resumed.
@Suite(.serialized) struct CurationParityTests {
    /// The full configuration; `near` and `refusals` vary between runs.
    static func spec(near: Double = 0.8, refusals: Bool = true, evalFile: String) -> CurationSpec {
        var s = CurationSpec()
        s.nearThreshold = near
        s.refusals = refusals
        s.dropFinishReasons = ["length"]
        s.minMeanLogprob = -1.4
        s.evalFiles = [evalFile]
        s.verify = true
        s.minPassRate = 0.25
        s.maxPassRate = 0.9
        return s
    }

    /// One `harvest curate` run on `store` (the stages in the command's order); the reports as JSON.
    static func curate(_ store: any CurationStore, _ spec: CurationSpec, dryRun: Bool = false, pageSize: Int = 7) throws -> String {
        let band = try spec.passRateBand()
        var keep: Set<String> = spec.verify ? [VerificationRecord.stage] : []
        if band != nil { keep.insert(PassRateStage.stage) }
        var out = try Curator(store: store, pageSize: pageSize).run(setName: "c", config: try spec.makeConfig(), dryRun: dryRun, keepingStages: keep)
            .json(pretty: false)
        guard spec.verify else { return out }
        var verify = AnswerVerifierStage(store: store, defaultVerifier: .math, pageSize: 10)
        verify.threads = 2
        out += "\n" + (try verify.run(setName: "c", dryRun: dryRun)).json(pretty: false)
        if let band { out += "\n" + (try PassRateStage(store: store, band: band).run(setName: "c", dryRun: dryRun)).json(pretty: false) }
        return out
    }

    /// Everything curation stored about set `c`, as text (marks without their creation time, which is the clock's).
    static func stored(_ store: any CurationStore) throws -> String {
        var lines: [String] = []
        let progress = try store.curationProgress(setName: "c")
        lines += progress.map { "progress \($0.stage) \($0.paramsFingerprint) \($0.lastResponseId)" }
        for p in progress where p.stage == CurationStage.exactDedup || p.stage == CurationStage.nearDedup {
            let entries = try store.curationState(setName: "c", fingerprint: p.paramsFingerprint, signatures: p.stage == CurationStage.nearDedup)
            lines += entries.map { "state \(p.stage) \($0.target) \($0.ownerId) \($0.bytes)" }
        }
        let ids = try store.responses(query: ResponseQuery(setName: "c", limit: 10_000, includeLogprobs: false)).map(\.id)
        for id in ids {
            lines += try store.marks(responseId: id).map { "mark \(id) \($0.stage) \($0.reason) \($0.detail) \($0.paramsFingerprint) run \($0.runId)" }
            lines += try store.verifications(responseId: id).map { "verdict \(id) \($0.setName) \($0.record)" }
        }
        for stage in [CurationStage.exactDedup, PassRateStage.stage] {
            lines += try store.stageMarks(setName: "c", stage: stage).sorted { $0.key < $1.key }.map { "stage \(stage) \($0.key) \($0.value.reason)" }
        }
        lines.append("counts \(try store.curationCounts(setName: "c").sorted { $0.key < $1.key })")
        let totals = try store.curationTotals(setName: "c")
        lines.append("totals \(totals.responses) \(totals.dropped)")
        lines.append("pass \(try store.passCounts(setName: "c").sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.correct)/\($0.value.judged)" })")
        return lines.joined(separator: "\n")
    }

    /// The filtered export (raw, with logprobs) and the best sample per prompt, from one store.
    static func exports(_ store: any CurationStore, _ dir: URL, _ tag: String) throws -> [Data] {
        var out: [Data] = []
        for (name, selection) in [("kept", ExportSelection(setName: "c")), ("best", ExportSelection(setName: "c", samples: .best))] {
            let path = dir.appendingPathComponent("\(name)-\(tag).jsonl").path
            _ = try Exporter(store: store).export(selection, plan: ExportPlan(format: RawFormat(), options: ExportOptions(withLogprobs: true),
                                                                             output: .file(path)))
            out.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        return out
    }

    /// Runs `step` on both stores and checks that its output, the stored curation state and the exports agree.
    @discardableResult
    static func both(_ twin: CurationTwin, _ label: String, _ step: (any CurationStore) throws -> String) throws -> String {
        let a = try step(twin.sqlite), b = try step(twin.postgres)
        #expect(a == b, "\(label): reports")
        let sa = try stored(twin.sqlite), sb = try stored(twin.postgres)
        #expect(sa == sb, "\(label): stored curation")
        if sa != sb {
            let left = sa.split(separator: "\n"), right = sb.split(separator: "\n")
            for (x, y) in zip(left, right) where x != y { Issue.record("\(label): first difference\n\(x)\n\(y)"); break }
        }
        let ea = try exports(twin.sqlite, twin.dir, "sqlite-\(label)"), eb = try exports(twin.postgres, twin.dir, "postgres-\(label)")
        #expect(ea == eb, "\(label): exports byte for byte")
        return a
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func everyStageMarksTheSameRowsOnBothBackends() async throws {
        let twin = try await CurationTwin()
        defer { twin.cleanup() }
        let spec = Self.spec(evalFile: twin.evalFile)
        let dry = try Self.both(twin, "dry") { try Self.curate($0, spec, dryRun: true) }
        #expect(dry.contains(#""dry_run":true"#))
        #expect(try twin.postgres.curationCounts(setName: "c").isEmpty, "a dry run writes nothing")
        let first = try Self.both(twin, "first") { try Self.curate($0, spec) }
        let counts = try twin.postgres.curationCounts(setName: "c")
        for stage in [CurationStage.exactDedup, CurationStage.nearDedup, CurationStage.decontam, CurationStage.finishReason,
                      CurationStage.refusal, CurationStage.logprob, VerificationRecord.stage, PassRateStage.stage] {
            #expect(counts[stage, default: 0] > 0, "\(stage) marked something: \(counts)\n\(first)")
        }
        // Prompt 3's answers are judged against Z-dup's reference (1000), prompt 5's against q21's (63): byte order.
        let inputs = try twin.postgres.verificationInputs(setName: "c", afterId: 0, limit: 1000)
        #expect(inputs.filter { $0.promptId == 4 }.allSatisfy { $0.reference == "1000" } && inputs.contains { $0.promptId == 4 })
        #expect(inputs.filter { $0.promptId == 6 }.allSatisfy { $0.reference == "63" })
        #expect(inputs == (try twin.sqlite.verificationInputs(setName: "c", afterId: 0, limit: 1000)))

        let again = try Self.both(twin, "again") { try Self.curate($0, spec) }
        #expect(again.contains(#""examined":0"#) && again.contains(#""new_marks":{}"#), "\(again)")
        // New answers: judged against the stored hashes and signatures of everything kept before.
        try await twin.addSweep("w2", samples: 2)
        let incremental = try Self.both(twin, "incremental") { try Self.curate($0, spec) }
        #expect(incremental.contains(#""examined":42"#), "\(incremental)")
        // Changed near-dedup threshold: that stage starts over; refusals left out: their marks go.
        let changed = try Self.both(twin, "changed") { try Self.curate($0, Self.spec(near: 0.6, refusals: false, evalFile: twin.evalFile)) }
        #expect(changed.contains(#""removed_marks":{"dedup.near":"#) && changed.contains(#""filter.refusal":"#), "\(changed)")
        #expect((try twin.postgres.curationCounts(setName: "c"))[CurationStage.refusal] == nil)
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func anInterruptedRunResumesAfterItsLastCommittedPage() async throws {
        let twin = try await CurationTwin()
        defer { twin.cleanup() }
        let spec = Self.spec(evalFile: twin.evalFile)
        // Each store fails its third page commit (as a killed process would stop there), then a new run resumes.
        try Self.both(twin, "interrupted") { store in
            let failing = FailingCommits(store, after: 2)
            #expect(throws: InterruptedCommit.self) { try Self.curate(failing, spec) }
            return try store.curationProgress(setName: "c").map { "\($0.stage) \($0.lastResponseId)" }.joined(separator: ", ")
        }
        let resumed = try Self.both(twin, "resumed") { try Self.curate($0, spec) }
        #expect(resumed.contains(#""examined":49"#), "14 of 63 answers were judged in the 2 committed pages of 7: \(resumed)")
        // The same end state as one uninterrupted run on a fresh copy.
        let fresh = try await CurationTwin()
        defer { fresh.cleanup() }
        _ = try Self.curate(fresh.postgres, spec)
        // (run ids differ: the interrupted run took one; the verdicts' fingerprints and marks do not)
        let withoutRuns = { (text: String) in text.replacingOccurrences(of: #"run \d+"#, with: "run", options: .regularExpression) }
        #expect(withoutRuns(try Self.stored(fresh.postgres)) == withoutRuns(try Self.stored(twin.postgres)))
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func theRunLockKeepsTwoRunsOnOneSetApart() async throws {
        let twin = try await CurationTwin()
        defer { twin.cleanup() }
        let other = try PostgresStore(url: twin.database.url)
        defer { other.close() }
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let waited = LockedFlag()
        Thread.detachNewThread {
            _ = try? twin.postgres.withCurationLock(setName: "c", waiting: {}) {
                holding.signal()
                release.wait()
            }
        }
        holding.wait()
        Thread.detachNewThread {
            _ = try? other.withCurationLock(setName: "c", waiting: { waited.set() }) { done.signal() }
        }
        // The second run waits (reported once) until the first releases the lock; another set is not held up.
        #expect(done.wait(timeout: .now() + 2) == .timedOut)
        #expect(try other.withCurationLock(setName: "other-set", waiting: { Issue.record("set other-set is not held") }) { true })
        release.signal()
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(waited.value)
    }
}

/// A flag set from another thread.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}
