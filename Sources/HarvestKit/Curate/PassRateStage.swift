import Foundation
import HarvestCurate
import HarvestJSON
import HarvestStore

/// The curation stage `filter.pass_rate`: marks every answer of a prompt whose pass rate over its samples (correct /
/// judged verdicts of the `verify` stage in this set) is outside a ``PassRateBand`` — e.g. [0.25, 0.75] keeps the
/// prompts the teacher solves in 1–3 of 4 samples. A prompt without a judged answer (no reference, or only
/// `unverifiable` answers) has no pass rate and is marked too. Marks, never deletes; each mark says the prompt's
/// rate and the bound it broke.
///
/// A new sample can move a prompt's rate, so every run re-judges every prompt of the set from the stored verdicts
/// (one aggregate query) and writes only the difference: marks of prompts that left the band, removals for prompts
/// that came back into it. A run with nothing new writes no mark.
public struct PassRateStage: Sendable {
    /// The stage name in `curation_marks` and `curation_progress`.
    public static let stage = "filter.pass_rate"
    let store: any CurationStore
    /// The band of pass rates kept.
    public let band: PassRateBand

    /// Creates the stage over `store`.
    public init(store: any CurationStore, band: PassRateBand) {
        self.store = store
        self.band = band
    }

    /// The stage's canonical parameters (`min`, `max`).
    public var params: CurationParams {
        CurationParams(stage: Self.stage, fields: [("min", .number(band.min)), ("max", .number(band.max))])
    }

    /// Re-judges every prompt of `setName` from the stored verdicts and updates the stage's marks. With `dryRun`,
    /// computes the report and writes nothing. Throws ``StoreError`` (unknown set, database).
    public func run(setName: String, dryRun: Bool = false) throws -> PassRateReport {
        let started = Date().timeIntervalSince1970
        let fingerprint = params.fingerprint
        let counts = try store.passCounts(setName: setName)
        let answers = try store.answerPrompts(setName: setName)
        let existing = try store.stageMarks(setName: setName, stage: Self.stage)
        var report = PassRateReport(setName: setName, dryRun: dryRun, band: band)
        var verdictOf: [Int64: (reason: String, detail: String)?] = [:]
        var commit = CurationCommit(setName: setName, config: JSONValue.array([.object([
            ("stage", .string(Self.stage)), ("params", (try? JSONValue.parse(params.canonicalJSON)) ?? .null),
        ])]).jsonString, startedAt: started)
        for (responseId, promptId) in answers {
            let judgement: (reason: String, detail: String)?
            if let cached = verdictOf[promptId] {
                judgement = cached
            } else {
                judgement = judge(counts[promptId])
                verdictOf[promptId] = judgement
                if counts[promptId] == nil { report.promptsWithoutVerdicts += 1 } else { report.promptsJudged += 1 }
                if judgement != nil { report.promptsOutside += 1 }
            }
            let old = existing[responseId]
            guard let judgement else {
                if old != nil { commit.removeMarks[Self.stage, default: []].append(responseId) }
                continue
            }
            report.marked += 1
            if old?.reason == judgement.reason && old?.detail == judgement.detail && old?.paramsFingerprint == fingerprint { continue }
            report.newMarks += 1
            commit.marks.append(CurationMarkRecord(responseId: responseId, stage: Self.stage, reason: judgement.reason,
                                                   detail: judgement.detail, paramsFingerprint: fingerprint))
        }
        report.removedMarks = commit.removeMarks[Self.stage]?.count ?? 0
        let lastId = answers.last?.responseId ?? 0
        commit.progress = [CurationProgress(stage: Self.stage, paramsFingerprint: fingerprint, lastResponseId: lastId)]
        commit.finishedAt = Date().timeIntervalSince1970
        commit.counts = report.json(pretty: false)
        if !dryRun { report.runId = try store.commitCuration(commit) }
        return report
    }

    /// Why a prompt with `counts` is out of the band, or nil when it is in.
    func judge(_ counts: (correct: Int, judged: Int)?) -> (reason: String, detail: String)? {
        let bounds: [(String, JSONValue)] = [("min", .number(band.min)), ("max", .number(band.max))]
        guard let c = counts, c.judged > 0 else {
            return ("no judged answer: pass rate unknown", JSONValue.object([("correct", .number(0)), ("judged", .number(0))] + bounds).jsonString)
        }
        if band.contains(correct: c.correct, judged: c.judged) { return nil }
        let rate = Double(c.correct) / Double(c.judged)
        let side = rate < band.min ? "below the minimum \(Self.text(band.min))" : "above the maximum \(Self.text(band.max))"
        return ("pass rate \(c.correct)/\(c.judged) = \(Self.text(rate)) \(side)", JSONValue.object([
            ("correct", .number(Double(c.correct))), ("judged", .number(Double(c.judged))), ("pass_rate", .number(rate)),
        ] + bounds).jsonString)
    }

    /// A rate with up to three decimals (`0.25`, `0.333`, `1`).
    static func text(_ x: Double) -> String {
        var s = String(format: "%.3f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

/// What a `filter.pass_rate` run did.
public struct PassRateReport: Sendable, Equatable {
    /// The prompt set.
    public var setName: String
    /// Nothing was written.
    public var dryRun: Bool
    /// The band applied.
    public var band: PassRateBand
    /// Prompts with answers and at least one judged verdict.
    public var promptsJudged = 0
    /// Prompts with answers but no judged verdict (marked: pass rate unknown).
    public var promptsWithoutVerdicts = 0
    /// Prompts outside the band, those without verdicts included.
    public var promptsOutside = 0
    /// Answers carrying the stage's mark after the run.
    public var marked = 0
    /// Marks written by this run (new, or with a changed rate).
    public var newMarks = 0
    /// Marks removed by this run (prompts back in the band).
    public var removedMarks = 0
    /// The run's id in `curation_runs` (nil for a dry run).
    public var runId: Int64?

    /// Creates an empty report.
    public init(setName: String, dryRun: Bool, band: PassRateBand) {
        self.setName = setName
        self.dryRun = dryRun
        self.band = band
    }

    /// One line for people.
    public func line() -> String {
        "\(PassRateStage.stage) [\(PassRateStage.text(band.min)), \(PassRateStage.text(band.max))]: \(promptsOutside) prompts outside "
            + "(\(promptsJudged) with verdicts, \(promptsWithoutVerdicts) without), \(marked) answers marked "
            + "(\(newMarks) new, \(removedMarks) removed)"
    }

    /// JSON: `set`, `dry_run`, `min`, `max`, `prompts_judged`, `prompts_without_verdicts`, `prompts_outside`, `marked`,
    /// `new_marks`, `removed_marks`, `run_id`.
    public func json(pretty: Bool = true) -> String {
        func n(_ x: Int) -> JSONValue { .number(Double(x)) }
        return JSONValue.object([
            ("set", .string(setName)), ("dry_run", .bool(dryRun)), ("min", .number(band.min)), ("max", .number(band.max)),
            ("prompts_judged", n(promptsJudged)), ("prompts_without_verdicts", n(promptsWithoutVerdicts)),
            ("prompts_outside", n(promptsOutside)), ("marked", n(marked)), ("new_marks", n(newMarks)),
            ("removed_marks", n(removedMarks)), ("run_id", runId.map { .number(Double($0)) } ?? .null),
        ]).jsonString
    }
}
