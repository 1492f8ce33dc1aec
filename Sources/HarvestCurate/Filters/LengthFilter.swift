import HarvestCore
import HarvestJSON

/// Bounds on response length in completion tokens and in characters (each bound optional, inclusive).
/// Tokens are `usage.completion_tokens` when stored (this includes reasoning tokens on servers that count them
/// there), else the number of stored content logprobs; when neither is known the token bounds are not applied.
/// Characters are the answer content's user-perceived characters (reasoning not included).
public struct LengthFilter: ResponseFilter {
    /// Minimum completion tokens.
    public var minTokens: Int?
    /// Maximum completion tokens.
    public var maxTokens: Int?
    /// Minimum characters of content.
    public var minCharacters: Int?
    /// Maximum characters of content.
    public var maxCharacters: Int?

    /// Creates the filter; bounds must be ≥ 0 and min ≤ max.
    public init(minTokens: Int? = nil, maxTokens: Int? = nil, minCharacters: Int? = nil, maxCharacters: Int? = nil) throws(CurationError) {
        for (name, v) in [("min_tokens", minTokens), ("max_tokens", maxTokens), ("min_characters", minCharacters),
                          ("max_characters", maxCharacters)] {
            if let v, v < 0 { throw .parameter("filter.length.\(name)", "must be ≥ 0, got \(v)") }
        }
        if let lo = minTokens, let hi = maxTokens, lo > hi {
            throw .parameter("filter.length", "min_tokens \(lo) is above max_tokens \(hi)")
        }
        if let lo = minCharacters, let hi = maxCharacters, lo > hi {
            throw .parameter("filter.length", "min_characters \(lo) is above max_characters \(hi)")
        }
        self.minTokens = minTokens
        self.maxTokens = maxTokens
        self.minCharacters = minCharacters
        self.maxCharacters = maxCharacters
    }

    /// `filter.length`.
    public var stage: String { CurationStage.length }

    /// The bounds that are set.
    public var params: CurationParams {
        let fields: [(String, Int?)] = [("max_characters", maxCharacters), ("max_tokens", maxTokens),
                                        ("min_characters", minCharacters), ("min_tokens", minTokens)]
        return CurationParams(stage: stage, fields: fields.compactMap { k, v in v.map { (k, .number(Double($0))) } })
    }

    /// Completion tokens and where the count came from, if known.
    public static func tokens(of response: StoredResponse) -> (count: Int, source: String)? {
        if let n = response.usage?.completionTokens { return (n, "usage") }
        if let lp = response.choice.logprobs { return (lp.count, "logprobs") }
        return nil
    }

    /// Marks the first bound that fails (tokens before characters); the detail holds both measured values.
    public func check(_ response: StoredResponse) -> CurationMark? {
        let tokens = Self.tokens(of: response)
        let chars = minCharacters != nil || maxCharacters != nil ? response.choice.content.count : nil
        var reason: String?
        if let t = tokens {
            if let lo = minTokens, t.count < lo { reason = "\(t.count) completion tokens, below the minimum \(lo)" }
            else if let hi = maxTokens, t.count > hi { reason = "\(t.count) completion tokens, above the maximum \(hi)" }
        }
        if reason == nil, let c = chars {
            if let lo = minCharacters, c < lo { reason = "\(c) characters, below the minimum \(lo)" }
            else if let hi = maxCharacters, c > hi { reason = "\(c) characters, above the maximum \(hi)" }
        }
        guard let reason else { return nil }
        var detail: [(String, JSONValue)] = []
        if let t = tokens { detail += [("tokens", .number(Double(t.count))), ("tokens_source", .string(t.source))] }
        if let c = chars { detail.append(("characters", .number(Double(c)))) }
        return mark(response, reason, detail + params.boundsFields)
    }
}

extension CurationParams {
    /// The parameter object's members, for echoing limits in a mark's detail.
    var boundsFields: [(String, JSONValue)] {
        ((try? JSONValue.parse(canonicalJSON))?.objectValue) ?? []
    }
}
