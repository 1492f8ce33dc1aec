/// One curation mark as stored in `curation_marks`: why a response is dropped.
public struct CurationMarkRecord: Sendable, Hashable {
    /// `responses.id` of the marked row.
    public var responseId: Int64
    /// The stage that decided (`dedup.exact`, `filter.length`, ...).
    public var stage: String
    /// One human sentence.
    public var reason: String
    /// JSON object with the evidence.
    public var detail: String
    /// Fingerprint of the stage parameters that produced it.
    public var paramsFingerprint: String
    /// The curation run that wrote it (0 before it is stored).
    public var runId: Int64
    /// When it was written (Unix seconds; 0 before it is stored).
    public var createdAt: Double

    /// Creates a record.
    public init(responseId: Int64, stage: String, reason: String, detail: String, paramsFingerprint: String,
                runId: Int64 = 0, createdAt: Double = 0) {
        self.responseId = responseId
        self.stage = stage
        self.reason = reason
        self.detail = detail
        self.paramsFingerprint = paramsFingerprint
        self.runId = runId
        self.createdAt = createdAt
    }
}

/// One stored piece of dedup state: an exact hash or a MinHash signature of a kept prompt or response.
public struct CurationStateEntry: Sendable, Hashable {
    /// `prompt` (owner is a prompt id) or `response` (owner is a response id).
    public var target: String
    /// The prompt or response id that owns the entry.
    public var ownerId: Int64
    /// Hash (16 bytes) or signature bytes.
    public var bytes: [UInt8]
    /// Fingerprint of the dedup stage's parameters.
    public var paramsFingerprint: String

    /// Creates an entry.
    public init(target: String, ownerId: Int64, bytes: [UInt8], paramsFingerprint: String) {
        self.target = target
        self.ownerId = ownerId
        self.bytes = bytes
        self.paramsFingerprint = paramsFingerprint
    }
}

/// How far one stage has judged a set: every response with `id <= lastResponseId` under these parameters.
public struct CurationProgress: Sendable, Hashable {
    /// Stage name.
    public var stage: String
    /// Fingerprint of the parameters it ran with.
    public var paramsFingerprint: String
    /// Highest response id judged.
    public var lastResponseId: Int64

    /// Creates a progress record.
    public init(stage: String, paramsFingerprint: String, lastResponseId: Int64) {
        self.stage = stage
        self.paramsFingerprint = paramsFingerprint
        self.lastResponseId = lastResponseId
    }
}

/// One transaction of a curation run: optional replacement of stages, new marks, new state, progress and the run row.
public struct CurationCommit: Sendable {
    /// The prompt set curated.
    public var setName: String
    /// The run to update, or nil to insert a new run row (its id is returned).
    public var runId: Int64?
    /// JSON array of the canonical parameters of every stage (written when the run row is inserted).
    public var config: String
    /// When the run started.
    public var startedAt: Double
    /// Stages whose marks, hashes, signatures and progress for this set are deleted first.
    public var replaceStages: [String]
    /// Marks to insert (a mark of the same response and stage is replaced).
    public var marks: [CurationMarkRecord]
    /// Exact hashes to insert.
    public var hashes: [CurationStateEntry]
    /// Signatures to insert.
    public var signatures: [CurationStateEntry]
    /// Progress to record per stage.
    public var progress: [CurationProgress]
    /// JSON counts of the run so far.
    public var counts: String?
    /// Set on the last commit of a run.
    public var finishedAt: Double?
    /// Verdicts of the `verify` stage to insert (a verdict of the same set and response is replaced).
    public var verifications: [VerificationRecord] = []
    /// Single marks to delete, by stage: response ids (a stage that re-judges whole prompts, like `filter.pass_rate`,
    /// removes the marks of prompts back in range without replacing the stage).
    public var removeMarks: [String: [Int64]] = [:]

    /// Creates a commit.
    public init(setName: String, runId: Int64? = nil, config: String, startedAt: Double, replaceStages: [String] = [],
                marks: [CurationMarkRecord] = [], hashes: [CurationStateEntry] = [], signatures: [CurationStateEntry] = [],
                progress: [CurationProgress] = [], counts: String? = nil, finishedAt: Double? = nil) {
        self.setName = setName
        self.runId = runId
        self.config = config
        self.startedAt = startedAt
        self.replaceStages = replaceStages
        self.marks = marks
        self.hashes = hashes
        self.signatures = signatures
        self.progress = progress
        self.counts = counts
        self.finishedAt = finishedAt
    }
}
