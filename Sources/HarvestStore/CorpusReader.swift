import HarvestCore

/// What `harvest export`, `harvest inspect` and `harvest stats` read from a store, whichever the backend: stored
/// responses with their prompts, messages, set ids and logprobs (decoded against the teacher's vocabulary), the
/// curation marks and verdicts they filter on, and the export watermarks. `SQLiteStore` and `PostgresStore` conform;
/// the export driver and the commands hold `any CorpusReader`.
///
/// Both backends return the same rows in the same order for the same harvest (response id order; a prompt listed
/// under several ids of a set takes its lowest id in byte order), so exports are byte-identical. Calls block the
/// calling thread until the database answered; errors are the backend's typed errors
/// (`StoreError.unknownSet`/`unknownSweep` for names and ids that do not exist).
public protocol CorpusReader: AnyObject, Sendable {
    /// Where the store is, for messages: a file path or a PostgreSQL URL (never a password).
    var location: String { get }
    /// Local files of the store that an export must never overwrite (the SQLite file; none for PostgreSQL).
    var localFiles: [String] { get }

    /// Whether prompt set `name` exists.
    func setExists(_ name: String) throws -> Bool
    /// One page of responses with `id > query.afterId`, in id order (keyset pagination; see ``ResponseQuery``).
    func responses(query: ResponseQuery) throws -> [StoredResponse]
    /// Streams every response of `query` after `query.afterId` in id order, ``ResponsePages/next()`` returning
    /// pages of at most `query.limit` rows: a server-side cursor on PostgreSQL, keyset pages on SQLite. The
    /// caller closes it (also when abandoning it early).
    func openResponsePages(query: ResponseQuery) throws -> any ResponsePages
    /// The highest response id below which no answer can still appear (every writer that could add one has
    /// committed), nil when answers always become visible in id order (SQLite's single writer). An incremental
    /// export stops there, so that its watermark never passes an answer committed later.
    func settledResponseId() throws -> Int64?

    /// The ids a prompt has in prompt sets: `(set name, external id)` by set name, then id (byte order).
    func memberships(promptId: Int64) throws -> [(set: String, externalId: String)]
    /// Every curation mark of one response, in stage order.
    func marks(responseId: Int64) throws -> [CurationMarkRecord]
    /// The verdict of one response in each set that judged it, by set name.
    func verifications(responseId: Int64) throws -> [(setName: String, record: VerificationRecord)]
    /// Marks by stage over the responses of set `setName` (all responses when nil), leaving out `excludingStages`.
    func curationCounts(setName: String?, excludingStages: Set<String>) throws -> [String: Int]
    /// Responses of set `setName` (all when nil), and how many carry a mark of a stage not in `excludingStages`.
    func curationTotals(setName: String?, excludingStages: Set<String>) throws -> (responses: Int, dropped: Int)
    /// Verdict counts of set `setName` grouped by `teacher` (name), `sample` (sample index) or `all`.
    func verdictCounts(setName: String, by grouping: String) throws -> [VerdictCounts]
    /// Per prompt of set `setName`: verified answers (not `unverifiable`) and how many of them are correct.
    func passCounts(setName: String) throws -> [Int64: (correct: Int, judged: Int)]
    /// Response ids of set `setName` with verdict `verdict`.
    func responseIds(setName: String, verdict: String) throws -> Set<Int64>

    /// The `meta` value for `key` (e.g. `export.watermark.<name>`), or nil.
    func metaValue(_ key: String) throws -> String?
    /// Sets a `meta` value (the one write of the read path: an incremental export's watermark).
    func setMetaValue(_ key: String, _ value: String) throws
}

extension CorpusReader {
    /// Response `id` with its logprobs decoded, or nil when there is none.
    public func response(id: Int64) throws -> StoredResponse? {
        guard id > 0, let r = try responses(query: ResponseQuery(afterId: id - 1, limit: 1, includeLogprobs: true)).first, r.id == id else {
            return nil
        }
        return r
    }

    /// Marks by stage over the responses of set `setName` (all responses when nil).
    public func curationCounts(setName: String?) throws -> [String: Int] {
        try curationCounts(setName: setName, excludingStages: [])
    }

    /// Responses of set `setName` (all when nil), and how many of them carry a mark.
    public func curationTotals(setName: String?) throws -> (responses: Int, dropped: Int) {
        try curationTotals(setName: setName, excludingStages: [])
    }
}
