import HarvestCore
import HarvestJSON

/// `--format openai`: OpenAI fine-tuning / TRL conversational `messages` rows,
/// `{"messages":[system?, user…, {"role":"assistant","content":…}]}`.
///
/// With ``ReasoningMode/field`` the assistant message carries `reasoning_content` (`""` when none); with
/// `--with-logprobs` the row gains a top-level `logprobs` array (OpenAI's `logprobs.content` shape, or `null`).
public struct OpenAIChatFormat: ExportFormat {
    /// `openai`.
    public let name = "openai"

    /// Creates the format.
    public init() {}

    /// Writes one row.
    public func write(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        w.beginObject()
        w.key("messages")
        w.beginArray()
        for m in row.messages { ExportFields.writeMessage(role: m.role, content: m.content, to: &w) }
        ExportFields.writeAssistantMessage(row.choice, mode: options.reasoning, to: &w)
        w.endArray()
        ExportFields.writeOptionalLogprobs(row.choice, options: options, to: &w)
        w.endObject()
    }
}
