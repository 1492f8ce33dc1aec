import HarvestCore
import HarvestJSON

/// Requires reasoning: a non-blank `reasoning` field, or a `<think>` block with non-blank text in the content
/// (an unclosed `<think>` counts up to the end of the content).
public struct ReasoningRequiredFilter: ResponseFilter {
    /// Creates the filter.
    public init() {}

    /// `filter.reasoning`.
    public var stage: String { CurationStage.reasoning }

    /// No parameters.
    public var params: CurationParams { CurationParams(stage: stage, fields: [("require", .bool(true))]) }

    /// The text of the first `<think>` block of `content`, or nil when there is none.
    public static func thinkBlock(_ content: String) -> Substring? {
        guard let open = content.range(of: "<think>") else { return nil }
        let rest = content[open.upperBound...]
        if let close = rest.range(of: "</think>") { return rest[..<close.lowerBound] }
        return rest
    }

    /// Marks a response without reasoning.
    public func check(_ response: StoredResponse) -> CurationMark? {
        let field = response.choice.reasoning ?? ""
        if !isBlank(field) { return nil }
        let block = Self.thinkBlock(response.choice.content)
        if let block, !isBlank(block) { return nil }
        return mark(response, block == nil ? "no reasoning and no <think> block" : "no reasoning and an empty <think> block",
                    [("reasoning_characters", .number(Double(field.count))), ("think_block", .bool(block != nil))])
    }

    private func isBlank(_ s: some StringProtocol) -> Bool {
        s.unicodeScalars.allSatisfy(\.properties.isWhitespace)
    }
}
