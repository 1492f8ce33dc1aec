import HarvestCore
import HarvestJSON

/// `--format sharegpt`: LLaMA-Factory's ShareGPT layout,
/// `{"conversations":[{"from":"human","value":…},…,{"from":"gpt","value":…}],"system":…}`.
///
/// Roles map `user`→`human`, `assistant`→`gpt`, `tool`/`function`→`observation`; other roles are kept
/// as they are. All `system` messages (joined by a blank line) go to the top-level `system` key, which is `""`
/// when there is none (LLaMA-Factory treats `""` like a missing system prompt; a key on every line keeps one
/// schema for Arrow-based loaders). With ``ReasoningMode/field`` the final `gpt` turn carries
/// `reasoning_content`; with `--with-logprobs` the row gains a top-level `logprobs` array.
public struct ShareGPTFormat: ExportFormat {
    /// `sharegpt`.
    public let name = "sharegpt"

    /// LLaMA-Factory trains on the response text: reasoning inline as `<think>…</think>` by default.
    public var defaultReasoning: ReasoningMode { .inline }

    /// Creates the format.
    public init() {}

    /// The ShareGPT `from` tag for a chat role.
    public static func fromTag(_ role: String) -> String {
        switch role {
        case "user": "human"
        case "assistant": "gpt"
        case "tool", "function": "observation"
        default: role
        }
    }

    /// Writes one row.
    public func write(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        let (system, turns) = ExportFields.splitSystem(row.messages)
        w.beginObject()
        w.key("conversations")
        w.beginArray()
        for m in turns {
            w.beginObject()
            w.key("from"); w.string(Self.fromTag(m.role))
            w.key("value"); w.string(m.content)
            w.endObject()
        }
        w.beginObject()
        w.key("from"); w.string("gpt")
        w.key("value"); w.string(ExportFields.assistantText(row.choice, mode: options.reasoning))
        ExportFields.writeReasoningField(row.choice, mode: options.reasoning, to: &w)
        w.endObject()
        w.endArray()
        w.key("system"); w.string(system ?? "")
        ExportFields.writeOptionalLogprobs(row.choice, options: options, to: &w)
        w.endObject()
    }
}
