import HarvestCore
import HarvestJSON

/// Writers shared by the formats.
public enum ExportFields {
    /// The assistant text for a row under the reasoning mode: with ``ReasoningMode/inline`` and non-empty
    /// reasoning, `<think>\n` + reasoning + `\n</think>\n\n` + answer; otherwise the answer alone.
    public static func assistantText(_ choice: CompletionChoice, mode: ReasoningMode) -> String {
        if mode == .inline, let r = choice.reasoning, !r.isEmpty {
            return "<think>\n" + r + "\n</think>\n\n" + choice.content
        }
        return choice.content
    }

    /// Writes `"reasoning_content": text` when the mode is ``ReasoningMode/field`` (`""` when the teacher gave
    /// none: a string on every line keeps one column type for Arrow-based loaders); nothing otherwise.
    public static func writeReasoningField(_ choice: CompletionChoice, mode: ReasoningMode, to w: inout JSONWriter) {
        guard mode == .field else { return }
        w.key("reasoning_content")
        w.string(choice.reasoning ?? "")
    }

    /// Writes `{"role":…,"content":…}`.
    public static func writeMessage(role: String, content: String, to w: inout JSONWriter) {
        w.beginObject()
        w.key("role"); w.string(role)
        w.key("content"); w.string(content)
        w.endObject()
    }

    /// Writes the teacher's answer as an assistant message: `{"role":"assistant","content":…}` plus
    /// `reasoning_content` under ``ReasoningMode/field``.
    public static func writeAssistantMessage(_ choice: CompletionChoice, mode: ReasoningMode, to w: inout JSONWriter) {
        w.beginObject()
        w.key("role"); w.string("assistant")
        w.key("content"); w.string(assistantText(choice, mode: mode))
        writeReasoningField(choice, mode: mode, to: &w)
        w.endObject()
    }

    /// Writes a top-level `"logprobs"` member when `options.withLogprobs` is set: the OpenAI
    /// `logprobs.content` array, or `null` when the row has none stored.
    public static func writeOptionalLogprobs(_ choice: CompletionChoice, options: ExportOptions, to w: inout JSONWriter) {
        guard options.withLogprobs else { return }
        w.key("logprobs")
        if let lp = choice.logprobs { writeLogprobs(lp, to: &w) } else { w.null() }
    }

    /// The prompt split into its system text (all `system` messages joined by a blank line, nil when none)
    /// and the remaining turns in order.
    public static func splitSystem(_ messages: [ChatMessage]) -> (system: String?, turns: [ChatMessage]) {
        var system: String?
        var turns: [ChatMessage] = []
        turns.reserveCapacity(messages.count)
        for m in messages {
            if m.role == "system" {
                system = system.map { $0 + "\n\n" + m.content } ?? m.content
            } else {
                turns.append(m)
            }
        }
        return (system, turns)
    }

    /// Writes token logprobs as an array in OpenAI's `logprobs.content` shape:
    /// `[{"token","logprob","bytes"?,"token_id"?,"top_logprobs":[{"token","logprob","bytes"?,"token_id"?}]}]`.
    public static func writeLogprobs(_ tokens: [TokenLogprob], to w: inout JSONWriter) {
        LogprobWriter.writeOpenAI(tokens, to: &w)
    }
}
