/// One curation decision about one response: which stage dropped it, why, and the measured evidence.
/// A response without marks is kept.
public struct CurationMark: Sendable, Hashable, CustomStringConvertible {
    /// `responses.id` of the marked row.
    public var responseId: Int64
    /// The stage that decided (see ``CurationStage``).
    public var stage: String
    /// One human sentence: what was measured against what limit.
    public var reason: String
    /// JSON object with the measured value, the limit, the matched id or n-gram.
    public var detail: String

    /// Creates a mark.
    public init(responseId: Int64, stage: String, reason: String, detail: String) {
        self.responseId = responseId
        self.stage = stage
        self.reason = reason
        self.detail = detail
    }

    /// `#id stage: reason detail`.
    public var description: String { "#\(responseId) \(stage): \(reason) \(detail)" }
}

/// Stage names used in marks and parameters.
public enum CurationStage {
    /// Exact duplicate of a kept prompt or response (normalized text hash).
    public static let exactDedup = "dedup.exact"
    /// Near duplicate (MinHash-LSH estimated Jaccard at or above the threshold).
    public static let nearDedup = "dedup.near"
    /// Prompt shares a word n-gram with an eval set.
    public static let decontam = "decontam"
    /// `finish_reason` is one of the dropped values.
    public static let finishReason = "filter.finish_reason"
    /// Response token or character count outside bounds.
    public static let length = "filter.length"
    /// Response matches a refusal phrase or pattern.
    public static let refusal = "filter.refusal"
    /// Too large a fraction of repeated word n-grams.
    public static let repetition = "filter.repetition"
    /// Mean token log-probability below the limit.
    public static let logprob = "filter.logprob"
    /// Required pattern missing or forbidden pattern present.
    public static let regex = "filter.regex"
    /// No reasoning where reasoning is required.
    public static let reasoning = "filter.reasoning"
    /// Not valid JSON where the prompt asked for JSON.
    public static let json = "filter.json"
}
