/// What `harvest curate` writes and reads besides the corpus, whichever the backend: per-stage progress, the stored
/// dedup state (exact hashes, MinHash signatures), the marks a page already carries, the inputs of the `verify` and
/// `filter.pass_rate` stages, and the one write: a page of a curation run committed in one transaction
/// (``CurationCommit``: replaced stages, marks, verdicts, state, progress, the run row). `SQLiteStore` and
/// `PostgresStore` conform; the curation engine (HarvestKit's `Curator`, `AnswerVerifierStage`, `PassRateStage`) holds
/// `any CurationStore`.
///
/// Both backends give the same results for the same calls (rows in the same order; a prompt listed under several ids
/// of a set takes its lowest id in byte order). Calls block the calling thread until the database answered; errors
/// are the backend's typed errors (`StoreError.unknownSet` for a set that does not exist).
///
/// Concurrency: every ``commitCuration(_:)`` is atomic, and commits touching one set never interleave (SQLite: its
/// single writer; PostgreSQL: a transaction-scoped advisory lock per set). ``withCurationLock(setName:waiting:_:)``
/// additionally keeps two whole runs on one set apart where the backend can (see each backend's documentation).
public protocol CurationStore: CorpusReader {
    /// Per-stage progress of curation over set `setName`, by stage (byte order; empty before the first run).
    func curationProgress(setName: String) throws -> [CurationProgress]
    /// Stored exact hashes (`signatures: false`) or MinHash signatures (`signatures: true`) of set `setName` under the
    /// dedup parameters `fingerprint`, by target then owner id.
    func curationState(setName: String, fingerprint: String, signatures: Bool) throws -> [CurationStateEntry]
    /// Writes one step of a curation run in one transaction (see ``CurationCommit``) and returns the run id.
    /// Throws `StoreError.unknownSet` (nothing written).
    @discardableResult
    func commitCuration(_ commit: CurationCommit) throws -> Int64
    /// Stages that marked each response with `lower <= id <= upper` (`verify` for a `wrong`/`no_answer` verdict).
    func curationMarkStages(from lower: Int64, through upper: Int64) throws -> [Int64: [String]]
    /// Up to `limit` answers of set `setName` with `responses.id > afterId`, in id order, each with its prompt's
    /// reference and verifier in the set (a prompt listed under several ids takes its lowest id in byte order).
    func verificationInputs(setName: String, afterId: Int64, limit: Int) throws -> [VerificationInput]
    /// Every answer of set `setName` with its prompt's id, in response id order (each answer once).
    func answerPrompts(setName: String) throws -> [(responseId: Int64, promptId: Int64)]
    /// The marks of stage `stage` on the answers of set `setName`, by response id.
    func stageMarks(setName: String, stage: String) throws -> [Int64: CurationMarkRecord]
    /// Runs `body` while holding the curation lock of set `setName`, so that two `harvest curate` runs on one set
    /// take turns instead of interleaving their pages. When another run holds it, `waiting` is called once and the
    /// call waits for it. A backend without such a lock runs `body` at once (documented there).
    func withCurationLock<T>(setName: String, waiting: () -> Void, _ body: () throws -> T) throws -> T
}
