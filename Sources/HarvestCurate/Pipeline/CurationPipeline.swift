import HarvestCore
import HarvestJSON

/// Runs curation over batches of stored responses against the state of everything kept before. Deterministic.
///
/// Order: every filter and decontamination judge every response (a response can collect several marks); then
/// exact dedup (prompts, then responses) and near dedup (prompts, then responses) consider only responses without
/// marks so far, so a response dropped for another reason never becomes the kept copy of a group. Within a batch
/// rows are visited by ascending response id; a prompt is visited at its lowest surviving response id.
/// To re-run one stage with new parameters, run a pipeline with only that stage over the rows not marked by other
/// stages, from an empty state, in id order, and replace that stage's marks and stored entries.
public struct CurationPipeline: Sendable {
    /// The configuration.
    public let config: CurationConfig
    /// Near deduplicator (validated at init), when near dedup is on.
    public let nearDeduplicator: NearDeduplicator?

    /// Validates the configuration.
    public init(_ config: CurationConfig) throws(CurationError) {
        self.config = config
        nearDeduplicator = try config.nearDedup.map { (c) throws(CurationError) in try NearDeduplicator(c) }
    }

    /// Builds in-memory state from stored hashes and signatures (fails on a signature of the wrong length).
    public func makeState(_ stored: StoredCurationState = StoredCurationState()) throws(CurationError) -> CurationState {
        var state = CurationState()
        if let e = config.exactDedup {
            if e.target.includesPrompts { state.exactPrompts = ExactDeduplicator(normalizer: e.normalizer, kept: stored.promptHashes) }
            if e.target.includesResponses { state.exactResponses = ExactDeduplicator(normalizer: e.normalizer, kept: stored.responseHashes) }
        }
        if let near = nearDeduplicator {
            if near.config.target.includesPrompts { state.nearPrompts = try near.makeIndex(stored: stored.promptSignatures) }
            if near.config.target.includesResponses { state.nearResponses = try near.makeIndex(stored: stored.responseSignatures) }
        }
        return state
    }

    /// Curates one batch against `state` and adds what it keeps to `state`.
    public func run(_ batch: [StoredResponse], state: inout CurationState) -> CurationResult {
        let rows = batch.sorted { $0.id < $1.id }
        let filters = config.filters
        var marksByRow = Parallel.map(rows, width: Parallel.defaultWidth) { _, r in filters.compactMap { $0.check(r) } }
        var promptTexts = [Int64: String]()
        for r in rows where promptTexts[r.promptId] == nil { promptTexts[r.promptId] = config.promptText.text(of: r.messages) }

        if let d = config.decontaminator {
            var hits = [Int64: ContaminationHit?]()
            for (i, r) in rows.enumerated() {
                if hits[r.promptId] == nil { hits[r.promptId] = .some(d.check(promptTexts[r.promptId]!)) }
                if let hit = hits[r.promptId]! { marksByRow[i].append(DedupMarks.decontam(r.id, hit, n: d.n)) }
            }
        }

        var result = CurationResult()
        var alive: [StoredResponse] { zip(rows, marksByRow).filter { $0.1.isEmpty }.map(\.0) }
        var byId = [Int64: Int](minimumCapacity: rows.count)
        for (i, r) in rows.enumerated() { byId[r.id] = i }

        if state.exactPrompts != nil {
            let live = alive
            let outcome = state.exactPrompts!.deduplicate(promptItems(live, promptTexts))
            result.newState.promptHashes = outcome.kept
            let rowsOf = Dictionary(grouping: live, by: \.promptId)
            for dup in outcome.duplicates {
                for r in rowsOf[dup.id] ?? [] { marksByRow[byId[r.id]!].append(DedupMarks.exactPrompt(r, dup)) }
            }
        }
        if state.exactResponses != nil {
            let outcome = state.exactResponses!.deduplicate(alive.map { TextItem(id: $0.id, text: $0.choice.content) })
            result.newState.responseHashes = outcome.kept
            for dup in outcome.duplicates { marksByRow[byId[dup.id]!].append(DedupMarks.exactResponse(dup)) }
        }
        if let near = nearDeduplicator {
            if state.nearPrompts != nil {
                let live = alive
                let outcome = near.deduplicate(promptItems(live, promptTexts), index: &state.nearPrompts!)
                result.newState.promptSignatures = outcome.kept
                let rowsOf = Dictionary(grouping: live, by: \.promptId)
                for dup in outcome.duplicates {
                    for r in rowsOf[dup.id] ?? [] {
                        marksByRow[byId[r.id]!].append(DedupMarks.nearPrompt(r, dup, threshold: near.config.threshold))
                    }
                }
            }
            if state.nearResponses != nil {
                let outcome = near.deduplicate(alive.map { TextItem(id: $0.id, text: $0.choice.content) }, index: &state.nearResponses!)
                result.newState.responseSignatures = outcome.kept
                for dup in outcome.duplicates {
                    marksByRow[byId[dup.id]!].append(DedupMarks.nearResponse(dup, threshold: near.config.threshold))
                }
            }
        }
        for (r, marks) in zip(rows, marksByRow) {
            result.marks += marks
            if marks.isEmpty { result.keptResponseIds.append(r.id) }
        }
        return result
    }

    /// One item per prompt id among `rows`, ordered by its lowest response id.
    private func promptItems(_ rows: [StoredResponse], _ texts: [Int64: String]) -> [TextItem] {
        var first = [Int64: Int64]()
        for r in rows where first[r.promptId] == nil { first[r.promptId] = r.id }
        return first.map { TextItem(id: $0.key, text: texts[$0.key]!, order: $0.value) }
    }
}

/// Marks of the decontamination and dedup stages.
enum DedupMarks {
    static func decontam(_ id: Int64, _ hit: ContaminationHit, n: Int) -> CurationMark {
        CurationMark(responseId: id, stage: CurationStage.decontam,
                     reason: "prompt shares a \(n)-gram with eval set \(hit.evalSet) (line \(hit.evalLine)): \"\(hit.ngram)\"",
                     detail: DetailJSON.make([("eval_set", .string(hit.evalSet)), ("eval_line", .number(Double(hit.evalLine))),
                                              ("ngram", .string(hit.ngram)), ("n", .number(Double(n))),
                                              ("word_offset", .number(Double(hit.wordOffset)))]))
    }

    static func exactPrompt(_ r: StoredResponse, _ dup: ExactDuplicate) -> CurationMark {
        CurationMark(responseId: r.id, stage: CurationStage.exactDedup,
                     reason: "prompt \(dup.id) is an exact duplicate of prompt \(dup.matchedId)",
                     detail: DetailJSON.make([("target", .string("prompt")), ("prompt_id", .number(Double(dup.id))),
                                              ("matched_prompt_id", .number(Double(dup.matchedId))), ("hash", .string(dup.hash.hex))]))
    }

    static func exactResponse(_ dup: ExactDuplicate) -> CurationMark {
        CurationMark(responseId: dup.id, stage: CurationStage.exactDedup,
                     reason: "response is an exact duplicate of response \(dup.matchedId)",
                     detail: DetailJSON.make([("target", .string("response")), ("matched_response_id", .number(Double(dup.matchedId))),
                                              ("hash", .string(dup.hash.hex))]))
    }

    static func nearPrompt(_ r: StoredResponse, _ dup: NearDuplicate, threshold: Double) -> CurationMark {
        CurationMark(responseId: r.id, stage: CurationStage.nearDedup,
                     reason: "prompt \(dup.id) is a near duplicate of prompt \(dup.matchedId) "
                         + "(estimated Jaccard \(Num.text(dup.jaccard)) ≥ \(Num.text(threshold)))",
                     detail: DetailJSON.make([("target", .string("prompt")), ("prompt_id", .number(Double(dup.id))),
                                              ("matched_prompt_id", .number(Double(dup.matchedId))), ("jaccard", .number(dup.jaccard)),
                                              ("threshold", .number(threshold))]))
    }

    static func nearResponse(_ dup: NearDuplicate, threshold: Double) -> CurationMark {
        CurationMark(responseId: dup.id, stage: CurationStage.nearDedup,
                     reason: "response is a near duplicate of response \(dup.matchedId) "
                         + "(estimated Jaccard \(Num.text(dup.jaccard)) ≥ \(Num.text(threshold)))",
                     detail: DetailJSON.make([("target", .string("response")), ("matched_response_id", .number(Double(dup.matchedId))),
                                              ("jaccard", .number(dup.jaccard)), ("threshold", .number(threshold))]))
    }
}
