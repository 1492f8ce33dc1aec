import Foundation
import HarvestCore
import HarvestCurate
import HarvestJSON
import HarvestStore

/// Runs a curation configuration over one prompt set and records marks (never deletes).
///
/// Each stage remembers (per set) the fingerprint of its parameters and the highest response id it judged. A
/// stage with unchanged parameters only judges newer rows, against the stored hashes/signatures of everything
/// kept before; a stage with new parameters (or a new stage) starts over: its old marks and state are replaced.
/// Stages no longer configured lose their marks. Responses are read page by page (``pageSize``), and each page is
/// committed in one transaction (marks, new state, progress, run row), so an interrupted run resumes where it stopped.
/// A run judges no answer above the store's settled id (``CorpusReader/settledResponseId()``: on PostgreSQL, answers
/// of several daemons commit out of id order), so progress never passes an answer committed later.
///
/// Known limit: changing a filter does not re-run unchanged dedup stages over older rows, so a row the new filter
/// drops may remain the kept copy of a duplicate group; change the dedup parameters (or run `--no-exact` then
/// `--exact`) to recompute them.
public struct Curator: Sendable {
    let store: any CurationStore
    /// Responses per page.
    public var pageSize: Int

    /// Creates a curator over `store`.
    public init(store: any CurationStore, pageSize: Int = 2000) {
        self.store = store
        self.pageSize = max(1, pageSize)
    }

    /// Curates set `setName` with `config`. With `dryRun`, computes the same report and writes nothing.
    /// `keepingStages` are stages run by someone else (the `verify` stage): their marks and progress are left alone.
    /// Throws ``CurationError`` (bad stored state) and ``StoreError`` (unknown set, database).
    public func run(setName: String, config: CurationConfig, dryRun: Bool = false, keepingStages: Set<String> = []) throws -> CurationReport {
        let startedAt = Date().timeIntervalSince1970
        var plans = try CurationStagePlan.plans(config)
        let progress = Dictionary(try store.curationProgress(setName: setName).map { ($0.stage, $0) }, uniquingKeysWith: { a, _ in a })
        var replace: [String] = []
        for i in plans.indices {
            let resume = progress[plans[i].stage]?.paramsFingerprint == plans[i].fingerprint
            if resume { plans[i].lastId = progress[plans[i].stage]!.lastResponseId } else { replace.append(plans[i].stage) }
            try plans[i].loadState(store: store, setName: setName, resume: resume)
        }
        replace += progress.keys.filter { stage in !keepingStages.contains(stage) && !plans.contains { $0.stage == stage } }.sorted()
        let replaced = Set(replace)
        let before = try store.curationCounts(setName: setName)
        var report = CurationReport(setName: setName, dryRun: dryRun)
        report.removedMarks = before.filter { replaced.contains($0.key) }
        report.marksByStage = before.filter { !replaced.contains($0.key) }
        let totals = try store.curationTotals(setName: setName, excludingStages: replaced)
        report.responses = totals.responses
        report.dropped = totals.dropped
        let config = JSONValue.array(config.stageParams.map { p in
            .object([("stage", .string(p.stage)), ("params", (try? JSONValue.parse(p.canonicalJSON)) ?? .null)])
        }).jsonString
        let needLogprobs = plans.contains { $0.stage == CurationStage.logprob || $0.stage == CurationStage.length }
        var afterId = plans.map(\.lastId).min() ?? Int64.max
        let ceiling = try store.settledResponseId() ?? Int64.max
        var runId: Int64?
        var first = true
        while true {
            var page = afterId == Int64.max ? [] : try store.responses(query: ResponseQuery(
                setName: setName, afterId: afterId, limit: pageSize, includeLogprobs: needLogprobs))
            if let cut = page.firstIndex(where: { $0.id > ceiling }) { page.removeSubrange(cut...) }
            var commit = CurationCommit(setName: setName, runId: runId, config: config, startedAt: startedAt,
                                        replaceStages: first ? replace : [])
            if let lo = page.first?.id, let hi = page.last?.id {
                try curate(page, lo: lo, hi: hi, plans: &plans, replaced: replaced, commit: &commit, report: &report)
                afterId = hi
            }
            let last = page.count < pageSize
            commit.progress = plans.map { CurationProgress(stage: $0.stage, paramsFingerprint: $0.fingerprint, lastResponseId: $0.lastId) }
            if last { commit.finishedAt = Date().timeIntervalSince1970 }
            commit.counts = report.json(pretty: false)
            if !dryRun { runId = try store.commitCuration(commit) }
            report.runId = runId
            first = false
            if last { break }
        }
        return report
    }

    /// Runs every stage over the rows of one page it has not judged yet; adds marks and state to `commit`.
    private func curate(_ page: [StoredResponse], lo: Int64, hi: Int64, plans: inout [CurationStagePlan], replaced: Set<String>,
                        commit: inout CurationCommit, report: inout CurationReport) throws {
        var markCount = [Int64: Int]()
        for (id, stages) in try store.curationMarkStages(from: lo, through: hi) {
            let live = stages.filter { !replaced.contains($0) }.count
            if live > 0 { markCount[id] = live }
        }
        report.examined += page.count
        for i in plans.indices {
            let lastId = plans[i].lastId
            var due = page.filter { $0.id > lastId }
            if plans[i].isDedup { due = due.filter { markCount[$0.id] == nil } }
            plans[i].lastId = max(lastId, hi)
            guard !due.isEmpty else { continue }
            let result = plans[i].pipeline.run(due, state: &plans[i].state)
            for m in result.marks {
                if markCount[m.responseId] == nil { report.dropped += 1 }
                markCount[m.responseId, default: 0] += 1
                report.newMarks[m.stage, default: 0] += 1
                report.marksByStage[m.stage, default: 0] += 1
                commit.marks.append(CurationMarkRecord(responseId: m.responseId, stage: m.stage, reason: m.reason, detail: m.detail,
                                                       paramsFingerprint: plans[i].fingerprint))
            }
            let (hashes, signatures) = plans[i].entries(result.newState)
            commit.hashes += hashes
            commit.signatures += signatures
        }
    }
}
