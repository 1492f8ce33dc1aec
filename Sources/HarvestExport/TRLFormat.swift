import HarvestCore
import HarvestJSON

/// `--format trl`: TRL's conversational prompt–completion rows,
/// `{"prompt":[system?, user…],"completion":[{"role":"assistant","content":…}]}`.
///
/// Reasoning and `--with-logprobs` behave as in ``OpenAIChatFormat``.
public struct TRLFormat: ExportFormat {
    /// `trl`.
    public let name = "trl"

    /// Reasoning inline by default: TRL renders `reasoning_content` only through chat templates that know it.
    public var defaultReasoning: ReasoningMode { .inline }

    /// Creates the format.
    public init() {}

    /// Writes one row.
    public func write(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        w.beginObject()
        w.key("prompt")
        w.beginArray()
        for m in row.messages { ExportFields.writeMessage(role: m.role, content: m.content, to: &w) }
        w.endArray()
        w.key("completion")
        w.beginArray()
        ExportFields.writeAssistantMessage(row.choice, mode: options.reasoning, to: &w)
        w.endArray()
        ExportFields.writeOptionalLogprobs(row.choice, options: options, to: &w)
        w.endObject()
    }
}
