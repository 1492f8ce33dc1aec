import HarvestCore
import HarvestJSON

/// `--format openai`: OpenAI fine-tuning / TRL `messages` rows,
/// `{"messages":[system?, user…, {"role":"assistant","content":…}]}`.
///
/// With ``ReasoningMode/field`` the assistant message carries `reasoning_content`; with `--with-logprobs`
/// the row gains a top-level `logprobs` array (OpenAI's `logprobs.content` shape).
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
        for m in row.messages {
            w.beginObject()
            w.key("role"); w.string(m.role)
            w.key("content"); w.string(m.content)
            w.endObject()
        }
        w.beginObject()
        w.key("role"); w.string("assistant")
        w.key("content"); w.string(ExportFields.assistantText(row.choice, mode: options.reasoning))
        if options.reasoning == .field, let r = row.choice.reasoning {
            w.key("reasoning_content"); w.string(r)
        }
        w.endObject()
        w.endArray()
        if options.withLogprobs, let lp = row.choice.logprobs {
            w.key("logprobs")
            ExportFields.writeLogprobs(lp, to: &w)
        }
        w.endObject()
    }
}
