import HarvestCore
import HarvestJSON

/// Drops responses whose `finish_reason` is one of ``drop`` (default `length` and `content_filter`).
/// Responses without a finish reason pass.
public struct FinishReasonFilter: ResponseFilter {
    /// Finish reasons that drop a response.
    public var drop: [String]

    /// Creates the filter.
    public init(drop: [String] = ["length", "content_filter"]) {
        self.drop = drop
    }

    /// `filter.finish_reason`.
    public var stage: String { CurationStage.finishReason }

    /// `{"drop":[...]}` (sorted).
    public var params: CurationParams {
        CurationParams(stage: stage, fields: [("drop", .array(Set(drop).sorted().map { .string($0) }))])
    }

    /// Marks a response whose finish reason is dropped.
    public func check(_ response: StoredResponse) -> CurationMark? {
        guard let reason = response.choice.finishReason, drop.contains(reason) else { return nil }
        return mark(response, "finish_reason is \"\(reason)\"", [("finish_reason", .string(reason))])
    }
}
