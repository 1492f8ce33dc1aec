import HarvestCore
import HarvestJSON

/// How reasoning text is written into an export.
public enum ReasoningMode: String, Sendable, CaseIterable {
    /// Before the answer, wrapped as `<think>…</think>\n\n` (as DeepSeek-R1 distillations do).
    case inline
    /// In its own field next to the answer (`reasoning_content`).
    case field
    /// Left out.
    case drop
}

/// Options shared by every export format.
public struct ExportOptions: Sendable, Equatable {
    /// Add the teacher's token logprobs to each row.
    public var withLogprobs: Bool
    /// Where reasoning goes.
    public var reasoning: ReasoningMode

    /// Creates options.
    public init(withLogprobs: Bool = false, reasoning: ReasoningMode = .field) {
        self.withLogprobs = withLogprobs
        self.reasoning = reasoning
    }
}

/// One training-file layout: turns a stored response into one JSON object (one JSONL line).
public protocol ExportFormat: Sendable {
    /// The `--format` name.
    var name: String { get }
    /// Writes one row as a single JSON object into `writer` (no newline).
    func write(_ row: StoredResponse, options: ExportOptions, to writer: inout JSONWriter)
}

/// Writers shared by the formats.
public enum ExportFields {
    /// The assistant text for a row under the reasoning mode.
    public static func assistantText(_ choice: CompletionChoice, mode: ReasoningMode) -> String {
        if mode == .inline, let r = choice.reasoning, !r.isEmpty {
            return "<think>\n" + r + "\n</think>\n\n" + choice.content
        }
        return choice.content
    }

    /// Writes token logprobs as an array in OpenAI's `logprobs.content` shape:
    /// `[{"token","logprob","bytes"?,"token_id"?,"top_logprobs":[{"token","logprob","bytes"?,"token_id"?}]}]`.
    public static func writeLogprobs(_ tokens: [TokenLogprob], to w: inout JSONWriter) {
        w.beginArray()
        for t in tokens {
            w.beginObject()
            w.key("token"); w.string(t.token)
            w.key("logprob"); w.double(t.logprob)
            if let b = t.bytes { w.key("bytes"); w.intArray(b) }
            if let id = t.tokenId { w.key("token_id"); w.int(id) }
            w.key("top_logprobs")
            w.beginArray()
            for a in t.top {
                w.beginObject()
                w.key("token"); w.string(a.token)
                w.key("logprob"); w.double(a.logprob)
                if let b = a.bytes { w.key("bytes"); w.intArray(b) }
                if let id = a.tokenId { w.key("token_id"); w.int(id) }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
    }
}
