import Dispatch
import Foundation
import HarvestCore
import HarvestCurate
import HarvestJSON
import HarvestVerify
import SQLiteStore

/// The curation stage `verify`: judges each answer of a set against its prompt's reference and records the verdict
/// (`correct`, `wrong`, `unverifiable`, `no_answer`) with the extracted final answer. `wrong` and `no_answer` answers
/// also get a curation mark of stage `verify` (so exports leave them out unless `--include-dropped`); nothing is
/// deleted.
///
/// Incremental like the other stages: its `curation_progress` row holds the parameter fingerprint and the highest
/// response id judged, so a re-run only judges newer answers; a different default verifier starts over.
public struct AnswerVerifierStage: Sendable {
    let store: SQLiteStore
    /// Verifier kind for prompts that name none.
    public var defaultVerifier: VerifierKind
    /// Answers per page (one transaction each).
    public var pageSize: Int
    /// Threads judging a page (the verdicts do not depend on it).
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Creates the stage over `store`.
    public init(store: SQLiteStore, defaultVerifier: VerifierKind = .math, pageSize: Int = 5000) {
        self.store = store
        self.defaultVerifier = defaultVerifier
        self.pageSize = max(1, pageSize)
    }

    /// The stage's canonical parameters (`default_verifier`, `rules_version`).
    public var params: CurationParams {
        CurationParams(stage: VerificationRecord.stage, fields: [
            ("default_verifier", .string(defaultVerifier.rawValue)), ("rules_version", .number(1)),
        ])
    }

    /// Verifies the answers of `setName` not judged yet. With `dryRun`, computes the report and writes nothing.
    public func run(setName: String, dryRun: Bool = false) throws -> VerificationReport {
        let started = Date().timeIntervalSince1970
        let fingerprint = params.fingerprint
        let progress = try store.curationProgress(setName: setName).first { $0.stage == VerificationRecord.stage }
        let resume = progress?.paramsFingerprint == fingerprint
        var afterId = resume ? progress!.lastResponseId : 0
        var report = VerificationReport(setName: setName, dryRun: dryRun)
        let config = JSONValue.array([.object([("stage", .string(VerificationRecord.stage)),
                                               ("params", (try? JSONValue.parse(params.canonicalJSON)) ?? .null)])]).jsonString
        var runId: Int64?
        var first = true
        while true {
            let page = try store.verificationInputs(setName: setName, afterId: afterId, limit: pageSize)
            var commit = CurationCommit(setName: setName, runId: runId, config: config, startedAt: started,
                                        replaceStages: first && !resume && progress != nil ? [VerificationRecord.stage] : [])
            let judged = judge(page, fingerprint: fingerprint)
            for v in judged {
                report.newVerdicts[v.verdict, default: 0] += 1
                if v.verdict == Verdict.wrong.rawValue || v.verdict == Verdict.noAnswer.rawValue {
                    commit.marks.append(CurationMarkRecord(responseId: v.responseId, stage: VerificationRecord.stage,
                                                           reason: v.verdict == "wrong" ? "wrong final answer" : "no final answer",
                                                           detail: Self.detail(v), paramsFingerprint: fingerprint))
                }
            }
            commit.verifications = judged
            report.examined += page.count
            if let last = page.last?.responseId { afterId = last }
            commit.progress = [CurationProgress(stage: VerificationRecord.stage, paramsFingerprint: fingerprint, lastResponseId: afterId)]
            let done = page.count < pageSize
            if done { commit.finishedAt = Date().timeIntervalSince1970 }
            commit.counts = report.json(pretty: false)
            if !dryRun { runId = try store.commitCuration(commit) }
            report.runId = runId
            first = false
            if done { break }
        }
        return report
    }

    /// Verdicts of one page: references prepared once per prompt, then answers judged in chunks on ``threads``
    /// threads (results by index, so the order and the verdicts do not depend on the thread count). Writes nothing
    /// (public for `harvest-bench --scenario verify`).
    public func judge(_ page: [VerificationInput], fingerprint: String) -> [VerificationRecord] {
        var prepared: [Int64: PreparedReference] = [:]
        var refs = [PreparedReference]()
        refs.reserveCapacity(page.count)
        for input in page {
            if let p = prepared[input.promptId] { refs.append(p); continue }
            let kind = input.verifier.flatMap(VerifierKind.init(name:)) ?? defaultVerifier
            let ref = PreparedReference(kind: kind, reference: input.reference)
            prepared[input.promptId] = ref
            refs.append(ref)
        }
        let references = refs
        var out = [VerificationRecord?](repeating: nil, count: page.count)
        let chunks = max(1, min(threads, page.count / 256))
        let count = page.count
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (count * c / chunks)..<(count * (c + 1) / chunks) {
                    let v = AnswerVerifier.verify(content: page[i].content, against: references[i])
                    buffer[i] = VerificationRecord(responseId: page[i].responseId, verdict: v.verdict.rawValue, extracted: v.extracted,
                                                   rule: v.rule?.rawValue, reason: v.reason, verifier: references[i].kind.rawValue,
                                                   paramsFingerprint: fingerprint)
                }
            }
        }
        return out.map { $0! }
    }

    static func detail(_ v: VerificationRecord) -> String {
        JSONValue.object([
            ("verdict", .string(v.verdict)), ("extracted", v.extracted.map(JSONValue.string) ?? .null),
            ("rule", v.rule.map(JSONValue.string) ?? .null), ("verifier", .string(v.verifier)), ("reason", .string(v.reason)),
        ]).jsonString
    }
}

/// What a `verify` run did: answers judged and verdicts added.
public struct VerificationReport: Sendable, Equatable {
    /// The prompt set.
    public var setName: String
    /// Nothing was written.
    public var dryRun: Bool
    /// Answers judged in this run.
    public var examined = 0
    /// Verdicts added by this run.
    public var newVerdicts: [String: Int] = [:]
    /// The run's id in `curation_runs` (nil for a dry run).
    public var runId: Int64?

    /// Creates an empty report.
    public init(setName: String, dryRun: Bool) {
        self.setName = setName
        self.dryRun = dryRun
    }

    /// One line for people.
    public func line() -> String {
        let parts = Verdict.allCases.map { "\($0.rawValue) \(newVerdicts[$0.rawValue, default: 0])" }.joined(separator: ", ")
        return "verify: \(examined) answers judged in this run (\(parts))"
    }

    /// JSON: `set`, `dry_run`, `examined`, `new_verdicts`, `run_id`.
    public func json(pretty: Bool = true) -> String {
        JSONValue.object([
            ("set", .string(setName)), ("dry_run", .bool(dryRun)), ("examined", .number(Double(examined))),
            ("new_verdicts", .object(newVerdicts.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
            ("run_id", runId.map { .number(Double($0)) } ?? .null),
        ]).jsonString
    }
}
