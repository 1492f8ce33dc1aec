import Dispatch
import Foundation
import HarvestCore
import HarvestCurate
import HarvestJSON
import HarvestVerify
import HarvestStore

/// The curation stage `verify`: judges each answer of a set against its prompt's reference and records the verdict
/// (`correct`, `wrong`, `unverifiable`, `no_answer`) with the extracted final answer. A `wrong` or `no_answer` verdict
/// is the answer's curation mark of stage `verify` (so exports leave it out unless `--include-dropped`; no second row
/// is written); nothing is deleted.
///
/// Incremental like the other stages: its `curation_progress` row holds the parameter fingerprint and the highest
/// response id judged, so a re-run only judges newer answers; a different default verifier starts over. No answer
/// above the store's settled id is judged (see ``Curator``).
public struct AnswerVerifierStage: Sendable {
    let store: any CurationStore
    /// Verifier kind for prompts that name none.
    public var defaultVerifier: VerifierKind
    /// Answers per page (one transaction each).
    public var pageSize: Int
    /// Threads judging a page (the verdicts do not depend on it).
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Creates the stage over `store`.
    public init(store: any CurationStore, defaultVerifier: VerifierKind = .math, pageSize: Int = 5000) {
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
    ///
    /// Three steps overlap, joined by bounded queues (two pages each, so memory stays flat whatever the set's size):
    /// a reader thread reads the next pages, this thread judges a page (on ``threads`` threads), and a writer thread
    /// commits the judged pages in order, one transaction each (verdicts, which are also the marks, progress, the run
    /// row). Progress moves with each committed page, so an interrupted run resumes after the last one. The verdicts
    /// and run row are the same as a page-by-page run's.
    public func run(setName: String, dryRun: Bool = false) throws -> VerificationReport {
        let started = Date().timeIntervalSince1970
        let fingerprint = params.fingerprint
        let progress = try store.curationProgress(setName: setName).first { $0.stage == VerificationRecord.stage }
        let resume = progress?.paramsFingerprint == fingerprint
        var afterId = resume ? progress!.lastResponseId : 0
        var report = VerificationReport(setName: setName, dryRun: dryRun)
        let config = JSONValue.array([.object([("stage", .string(VerificationRecord.stage)),
                                               ("params", (try? JSONValue.parse(params.canonicalJSON)) ?? .null)])]).jsonString
        let pages = BoundedQueue<Result<[VerificationInput], any Error>>(capacity: 2)
        let commits = BoundedQueue<(CurationCommit, VerificationReport)>(capacity: 2)
        let outcome = CommitOutcome()
        let ceiling = try store.settledResponseId() ?? Int64.max
        let reader = Self.startReader(store: store, setName: setName, afterId: afterId, ceiling: ceiling, pageSize: pageSize, into: pages)
        let writer = dryRun ? nil : Self.startWriter(store: store, from: commits, stopping: pages, outcome: outcome)
        var joined = false
        defer {
            // Leaving early (a read failed): stop both threads and wait for them (each semaphore is waited once).
            if !joined {
                commits.close()
                pages.close()
                reader.wait()
                writer?.wait()
            }
        }
        var first = true
        while let item = pages.take() {
            let page = try item.get()
            var commit = CurationCommit(setName: setName, config: config, startedAt: started,
                                        replaceStages: first && !resume && progress != nil ? [VerificationRecord.stage] : [])
            let judged = judge(page, fingerprint: fingerprint)
            for v in judged { report.newVerdicts[v.verdict, default: 0] += 1 }
            commit.verifications = judged
            report.examined += page.count
            if let last = page.last?.responseId { afterId = last }
            commit.progress = [CurationProgress(stage: VerificationRecord.stage, paramsFingerprint: fingerprint, lastResponseId: afterId)]
            let done = page.count < pageSize
            if done { commit.finishedAt = Date().timeIntervalSince1970 }
            first = false
            if !dryRun, !commits.put((commit, report)) { break }
            if done { break }
        }
        commits.close()
        pages.close()
        reader.wait()
        writer?.wait()
        joined = true
        if let error = outcome.error { throw error }
        report.runId = outcome.runId
        return report
    }

    /// Reads pages of up to `pageSize` answers after `afterId` and up to `ceiling` (the store's settled id) into `pages`
    /// until a short page (or an error, passed on), then closes `pages`. Returns a semaphore signalled when the thread ends.
    private static func startReader(store: any CurationStore, setName: String, afterId: Int64, ceiling: Int64, pageSize: Int,
                                    into pages: BoundedQueue<Result<[VerificationInput], any Error>>) -> DispatchSemaphore {
        let ended = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer {
                pages.close()
                ended.signal()
            }
            var after = afterId
            while true {
                do {
                    var page = try store.verificationInputs(setName: setName, afterId: after, limit: pageSize)
                    if let cut = page.firstIndex(where: { $0.responseId > ceiling }) { page.removeSubrange(cut...) }
                    guard pages.put(.success(page)), page.count == pageSize, let last = page.last?.responseId else { return }
                    after = last
                } catch {
                    pages.put(.failure(error))
                    return
                }
            }
        }
        return ended
    }

    /// Commits the judged pages of `commits` in order on its own thread: the first inserts the run row, the others
    /// update it (its `counts` are the report so far, with the run id). The first failure is kept in `outcome` and
    /// closes both queues, which stops the reader and the judging loop. Returns a semaphore signalled when it ends.
    private static func startWriter(store: any CurationStore, from commits: BoundedQueue<(CurationCommit, VerificationReport)>,
                                    stopping pages: BoundedQueue<Result<[VerificationInput], any Error>>,
                                    outcome: CommitOutcome) -> DispatchSemaphore {
        let ended = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { ended.signal() }
            var runId: Int64?
            while let item = commits.take() {
                var (commit, counts) = item
                commit.runId = runId
                counts.runId = runId
                commit.counts = counts.json(pretty: false)
                do {
                    runId = try store.commitCuration(commit)
                    outcome.committed(runId)
                } catch {
                    outcome.failed(error)
                    commits.close()
                    pages.close()
                    return
                }
            }
        }
        return ended
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
}

/// What the writer thread of a `verify` run reports back: the run id, or the first failure.
private final class CommitOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var id: Int64?
    private var failure: (any Error)?

    var runId: Int64? { lock.withLock { id } }
    var error: (any Error)? { lock.withLock { failure } }

    func committed(_ runId: Int64?) { lock.withLock { id = runId } }
    func failed(_ error: any Error) { lock.withLock { if failure == nil { failure = error } } }
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
