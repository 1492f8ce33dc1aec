import HarvestCore

/// What building a scoring set needs of a store (`harvest score SET --into NAME`, `ScoringSetBuilder` in
/// HarvestKit): whether the source set exists, its stored answers page by page (with the prompt's id in the set and
/// its messages, leaving out curated answers on request), and an all-or-nothing import of the sequences to score.
///
/// Both backends meet it with the methods they already have, with the same rules (``CorpusReader`` for the reads:
/// the same rows in the same order, a prompt listed under several ids taking its lowest id in byte order;
/// ``SetupStore`` for the import), so the same harvest gives the same scoring set on SQLite and PostgreSQL.
/// Scoring it (`--run`) is an ordinary foreground sweep over the new set.
public protocol ScoringStore: Sendable {
    /// Whether prompt set `name` exists.
    func setExists(_ name: String) throws -> Bool
    /// One page of responses with `id > query.afterId`, in id order (keyset pagination; see ``ResponseQuery``).
    func responses(query: ResponseQuery) throws -> [StoredResponse]
    /// Imports prompts into set `setName` (created when missing) in one all-or-nothing transaction; a re-import is a
    /// no-op, an id of the set with other messages is refused (`StoreError.conflict`, nothing written).
    func importPrompts(setName: String, prompts: [PromptInput], sourceName: String) async throws -> ImportSummary
}
