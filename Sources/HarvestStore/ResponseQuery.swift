/// A page request for ``SQLiteStore/responses(query:)``: keyset pagination by response id.
///
/// Read a whole selection with bounded memory by repeating the query with `afterId` set to the last
/// id of the previous page until a page comes back empty.
public struct ResponseQuery: Sendable, Equatable {
    /// Only responses to prompts of this set; `externalId` and `metadataJSON` come from its membership.
    public var setName: String?
    /// Only responses to jobs of this sweep. Without `setName`, ids and metadata come from the sweep's set.
    public var sweepId: Int64?
    /// Return responses with `id > afterId`.
    public var afterId: Int64
    /// Most rows per page.
    public var limit: Int
    /// Decode the stored logprobs (otherwise `choice.logprobs` is nil, which is much cheaper).
    public var includeLogprobs: Bool
    /// Leave out responses with a curation mark (`curation_marks`, or a `wrong`/`no_answer` verdict: the mark of
    /// `verify`): the rows curation dropped.
    public var excludeMarked: Bool
    /// With ``includeLogprobs``: false decodes only token ids and logprobs (every entry's `token` empty, `bytes`
    /// nil), several times cheaper, for readers that write neither (the `kd` export). Rows of scoring sweeps
    /// (`sampling.score`) are still decoded whole: their answer is found by its token texts. Default true.
    public var logprobTexts = true
    /// With ``includeLogprobs``: true reads token ids and logprobs into ``StoredResponse/logprobColumns`` (flat
    /// columns, no array per position) and leaves `choice.logprobs` nil, for readers that write nothing else of
    /// them (the `kd` export). Rows of scoring sweeps are still decoded whole into `choice.logprobs`. Default false.
    public var logprobColumns = false

    /// Creates a query.
    public init(setName: String? = nil, sweepId: Int64? = nil, afterId: Int64 = 0, limit: Int = 1000, includeLogprobs: Bool,
                excludeMarked: Bool = false) {
        self.setName = setName
        self.sweepId = sweepId
        self.afterId = afterId
        self.limit = limit
        self.includeLogprobs = includeLogprobs
        self.excludeMarked = excludeMarked
    }
}
