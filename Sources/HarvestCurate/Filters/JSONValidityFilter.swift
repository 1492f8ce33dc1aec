import HarvestCore
import HarvestJSON

/// When the prompt asks for JSON, the answer must be valid JSON. The prompt "asks for JSON" when its text
/// matches ``promptPattern`` (default `\bjson\b`, case-insensitive). The answer checked is, after removing a
/// leading `<think>…</think>` block: the body of the first ```` ```json ```` fence if there is one, else the body
/// of a fence that starts the answer, else the whole trimmed answer. It is parsed with HarvestJSON's parser.
public struct JSONValidityFilter: ResponseFilter {
    /// Prompt pattern that means "JSON was asked for".
    public let promptPattern: CompiledRegex
    /// Which messages are the prompt.
    public let promptText: PromptTextSource

    /// Compiles the prompt pattern (case-insensitive); an invalid one throws before anything runs.
    public init(promptPattern: String = "\\bjson\\b", promptText: PromptTextSource = .userMessages) throws(CurationError) {
        self.promptPattern = try CompiledRegex(promptPattern, stage: CurationStage.json + ".prompt_pattern", caseInsensitive: true)
        self.promptText = promptText
    }

    /// `filter.json`.
    public var stage: String { CurationStage.json }

    /// Pattern and prompt source.
    public var params: CurationParams {
        CurationParams(stage: stage, fields: [("prompt_pattern", .string(promptPattern.pattern)), ("prompt_text", .string(promptText.rawValue))])
    }

    /// The JSON candidate of an answer and where it came from (`fence` or `content`).
    public static func candidate(_ content: String) -> (text: Substring, source: String) {
        var answer = Substring(content)
        if let open = answer.range(of: "<think>"), answer[..<open.lowerBound].allSatisfy(\.isWhitespace),
           let close = answer.range(of: "</think>", range: open.upperBound..<answer.endIndex) {
            answer = answer[close.upperBound...]
        }
        if let fence = answer.range(of: "```json") ?? answer.range(of: "```JSON") {
            return (fenceBody(answer[fence.upperBound...]), "fence")
        }
        let trimmed = answer.trimmingWhitespace
        if trimmed.hasPrefix("```") {
            return (fenceBody(trimmed.dropFirst(3)), "fence")
        }
        return (trimmed, "content")
    }

    /// Text after the fence's info line up to the closing fence (or the end).
    private static func fenceBody(_ afterOpen: Substring) -> Substring {
        let body = afterOpen.firstIndex(of: "\n").map { afterOpen[afterOpen.index(after: $0)...] } ?? afterOpen[afterOpen.endIndex...]
        if let close = body.range(of: "```") { return body[..<close.lowerBound] }
        return body
    }

    /// Marks an answer that does not parse when the prompt asks for JSON.
    public func check(_ response: StoredResponse) -> CurationMark? {
        let prompt = promptText.text(of: response.messages)
        guard promptPattern.firstMatch(in: prompt) != nil else { return nil }
        let (text, source) = Self.candidate(response.choice.content)
        do {
            _ = try JSONValue.parse(Array(text.utf8))
            return nil
        } catch {
            return mark(response, "prompt asks for JSON but the answer (\(source)) is not valid JSON: \(error)",
                        [("error", .string(error.message)), ("offset", .number(Double(error.offset))), ("source", .string(source))])
        }
    }
}

extension Substring {
    /// Without leading and trailing whitespace and newlines.
    var trimmingWhitespace: Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
