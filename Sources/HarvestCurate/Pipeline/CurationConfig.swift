import HarvestJSON

/// Which curation stages run, with their parameters. Defaults: no filters, no decontamination, exact dedup of
/// prompts and responses, near dedup of prompts and responses (``NearDedupConfig`` defaults), prompt text from
/// user messages.
public struct CurationConfig: Sendable {
    /// Which messages are "the prompt" for decontamination and prompt dedup.
    public var promptText: PromptTextSource
    /// Response filters, run in this order (every filter sees every response).
    public var filters: [any ResponseFilter]
    /// Eval-set n-gram index, or nil to skip decontamination.
    public var decontaminator: Decontaminator?
    /// Exact dedup, or nil to skip.
    public var exactDedup: ExactDedupConfig?
    /// Near dedup, or nil to skip.
    public var nearDedup: NearDedupConfig?

    /// Creates a configuration.
    public init(promptText: PromptTextSource = .userMessages, filters: [any ResponseFilter] = [],
                decontaminator: Decontaminator? = nil, exactDedup: ExactDedupConfig? = ExactDedupConfig(),
                nearDedup: NearDedupConfig? = NearDedupConfig()) {
        self.promptText = promptText
        self.filters = filters
        self.decontaminator = decontaminator
        self.exactDedup = exactDedup
        self.nearDedup = nearDedup
    }

    /// Canonical parameters of every active stage, in run order. Prompt-level stages include `prompt_text`.
    public var stageParams: [CurationParams] {
        var out = filters.map(\.params)
        let prompt: (String, JSONValue) = ("prompt_text", .string(promptText.rawValue))
        if let d = decontaminator { out.append(d.params.adding(prompt)) }
        if let e = exactDedup { out.append(e.target.includesPrompts ? e.params.adding(prompt) : e.params) }
        if let n = nearDedup { out.append(n.target.includesPrompts ? n.params.adding(prompt) : n.params) }
        return out
    }
}

extension CurationParams {
    /// The same parameters with one more field.
    public func adding(_ field: (String, JSONValue)) -> CurationParams {
        let members = ((try? JSONValue.parse(canonicalJSON))?.objectValue) ?? []
        return CurationParams(stage: stage, fields: members.filter { $0.0 != field.0 } + [field])
    }
}

/// Curation state in its storable form: hashes and signatures of kept rows (prompt entries are keyed by prompt id,
/// response entries by response id). Load it from the store to build a ``CurationState``; a run returns the new
/// entries in the same form.
public struct StoredCurationState: Sendable, Hashable {
    /// Exact hashes of kept prompts.
    public var promptHashes: [KeptHash]
    /// Exact hashes of kept responses.
    public var responseHashes: [KeptHash]
    /// MinHash signatures of kept prompts.
    public var promptSignatures: [KeptSignature]
    /// MinHash signatures of kept responses.
    public var responseSignatures: [KeptSignature]

    /// Creates a stored state.
    public init(promptHashes: [KeptHash] = [], responseHashes: [KeptHash] = [], promptSignatures: [KeptSignature] = [],
                responseSignatures: [KeptSignature] = []) {
        self.promptHashes = promptHashes
        self.responseHashes = responseHashes
        self.promptSignatures = promptSignatures
        self.responseSignatures = responseSignatures
    }

    /// Whether there is nothing in it.
    public var isEmpty: Bool {
        promptHashes.isEmpty && responseHashes.isEmpty && promptSignatures.isEmpty && responseSignatures.isEmpty
    }
}

/// In-memory curation state: exact-hash maps and LSH indexes of everything kept so far. Built by
/// ``CurationPipeline/makeState(_:)``; each run checks against it and adds what it keeps.
public struct CurationState: Sendable {
    /// Kept prompt hashes (hash → prompt id).
    public var exactPrompts: ExactDeduplicator?
    /// Kept response hashes (hash → response id).
    public var exactResponses: ExactDeduplicator?
    /// LSH index of kept prompt signatures (ids are prompt ids).
    public var nearPrompts: LSHIndex?
    /// LSH index of kept response signatures (ids are response ids).
    public var nearResponses: LSHIndex?
}

/// The outcome of one run: every mark, the rows kept, and the new state entries to persist.
public struct CurationResult: Sendable {
    /// Marks, ordered by response id, then stage run order.
    public var marks: [CurationMark] = []
    /// Response ids without any mark, ascending.
    public var keptResponseIds: [Int64] = []
    /// Hashes and signatures of newly kept prompts and responses.
    public var newState = StoredCurationState()
}
