import HarvestCore
import HarvestJSON

/// `--format openai`: OpenAI fine-tuning / TRL conversational `messages` rows,
/// `{"messages":[system?, user…, {"role":"assistant","content":…}]}`.
///
/// Messages carry only keys OpenAI's fine-tuning accepts (`role`, `content`). Reasoning goes inline as
/// `<think>…</think>` by default, or is dropped; ``ReasoningMode/field`` is refused by ``ExportPlan/validate()``
/// (and written inline when the format is used without a plan). With `--with-logprobs` the row gains a top-level
/// `logprobs` array (OpenAI's `logprobs.content` shape, or `null`), which OpenAI's upload does not take.
public struct OpenAIChatFormat: ExportFormat {
    /// `openai`.
    public let name = "openai"

    /// Reasoning inline: OpenAI trains on `content` only.
    public var defaultReasoning: ReasoningMode { .inline }
    /// `inline` and `drop`: a `reasoning_content` key fails OpenAI's validation (`message_unrecognized_key`).
    public var reasoningModes: [ReasoningMode] { [.inline, .drop] }

    /// Creates the format.
    public init() {}

    /// Writes one row.
    public func write(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        w.beginObject()
        w.key("messages")
        w.beginArray()
        for m in row.messages { ExportFields.writeMessage(role: m.role, content: m.content, to: &w) }
        ExportFields.writeAssistantMessage(row.choice, mode: options.reasoning == .field ? .inline : options.reasoning, to: &w)
        w.endArray()
        ExportFields.writeOptionalLogprobs(row.choice, options: options, to: &w)
        w.endObject()
    }
}
