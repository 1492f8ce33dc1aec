import HarvestCore
import HarvestJSON
import SQLiteStore

/// Turns the stored answers of a prompt set into a prompt set of sequences to score: per answer, its prompt's
/// conversation followed by the answer as the assistant turn (``ScoreForm``). A sweep with
/// ``SamplingParams/score`` over that set then asks the teacher for its top-k at every position; its jobs are keyed
/// like any job (the exact sequence is the prompt's content hash; mode and k are in the parameters).
///
/// Idempotent: a member's id is `PROMPT_ID#RESPONSE_ID` (the source prompt's id in the set, the stored answer's
/// row id), so building again adds only the answers stored since. Answers with empty content, answers of scoring
/// sweeps and (unless `includeDropped`) answers marked by curation are left out. Its metadata names the source:
/// `{"scored_response": ID, "source_set": "SET", "source_prompt": "PROMPT_ID"}`.
///
/// Works on either backend (``ScoringStore``): the same harvest gives the same members on SQLite and PostgreSQL.
public struct ScoringSetBuilder: Sendable {
    /// The store holding both sets (SQLite or PostgreSQL).
    public let store: any ScoringStore

    /// Creates a builder.
    public init(store: any ScoringStore) {
        self.store = store
    }

    /// What ``build(from:sweepId:into:includeDropped:)`` did.
    public struct Outcome: Sendable, Equatable {
        /// Answers read from the source.
        public var answers: Int
        /// Answers left out (empty content, scoring answers).
        public var skipped: Int
        /// The import into the target set.
        public var summary: ImportSummary
    }

    /// Adds the answers of `sourceSet` (only those of `sweepId` when given) to the set `target`, in one transaction.
    public func build(from sourceSet: String, sweepId: Int64? = nil, into target: String, includeDropped: Bool = false) async throws -> Outcome {
        guard try store.setExists(sourceSet) else { throw StoreError.unknownSet(sourceSet) }
        guard target != sourceSet else {
            throw StoreError.invalidInput("the scoring set must differ from the source set \"\(sourceSet)\" (give --into NAME)")
        }
        var prompts: [PromptInput] = []
        var answers = 0
        var skipped = 0
        var after: Int64 = 0
        while true {
            let page = try store.responses(query: ResponseQuery(setName: sourceSet, sweepId: sweepId, afterId: after, limit: 512,
                                                                includeLogprobs: false, excludeMarked: !includeDropped))
            guard let last = page.last else { break }
            after = last.id
            for r in page {
                answers += 1
                guard r.params.score == nil, !r.choice.content.isEmpty else {
                    skipped += 1
                    continue
                }
                let promptId = r.externalId ?? PromptHash.hex(PromptHash.hash(r.messages)).prefix(16).description
                var meta = JSONWriter(capacity: 96)
                meta.beginObject()
                meta.key("scored_response"); meta.int(Int(r.id))
                meta.key("source_set"); meta.string(sourceSet)
                meta.key("source_prompt"); meta.string(promptId)
                meta.endObject()
                prompts.append(PromptInput(externalId: "\(promptId)#\(r.id)",
                                           messages: r.messages + [ChatMessage(role: "assistant", content: r.choice.content)],
                                           metadataJSON: meta.string, source: InputLocation(file: "answers of \(sourceSet)", line: 0)))
            }
        }
        let summary = try await store.importPrompts(setName: target, prompts: prompts, sourceName: "answers of \(sourceSet)")
        return Outcome(answers: answers, skipped: skipped, summary: summary)
    }
}
