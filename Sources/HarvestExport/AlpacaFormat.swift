import HarvestCore
import HarvestJSON

/// `--format alpaca`: LLaMA-Factory's Alpaca layout,
/// `{"instruction":…,"input":"","output":…,"system":…,"history":[[user, assistant],…]}`.
///
/// `instruction` is the last `user` message; `output` the teacher's answer. `system` holds all system messages
/// joined by a blank line (`""` when none); `history` holds the earlier turns as `[user, assistant]` pairs
/// (`[]` for single-turn prompts; a turn without its partner is paired with `""`). Both keys are on every line
/// so Arrow-based loaders (LLaMA-Factory reads through `datasets`) see one schema. Messages after the last user message (rare: tool results, an assistant prefill) go to `input`,
/// joined by a blank line. With ``ReasoningMode/field`` the row carries a top-level `reasoning_content`; with
/// `--with-logprobs` a top-level `logprobs` array.
public struct AlpacaFormat: ExportFormat {
    /// `alpaca`.
    public let name = "alpaca"

    /// LLaMA-Factory trains on the response text: reasoning inline as `<think>…</think>` by default.
    public var defaultReasoning: ReasoningMode { .inline }

    /// Creates the format.
    public init() {}

    /// Writes one row.
    public func write(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        let (system, turns) = ExportFields.splitSystem(row.messages)
        let last = turns.lastIndex { $0.role == "user" }
        let instruction = last.map { turns[$0].content } ?? ""
        let earlier = last.map { turns[..<$0] } ?? turns[...]
        let after = last.map { turns[($0 + 1)...] } ?? []
        let input = last == nil ? "" : after.map(\.content).joined(separator: "\n\n")

        w.beginObject()
        w.key("instruction"); w.string(instruction)
        w.key("input"); w.string(input)
        w.key("output"); w.string(ExportFields.assistantText(row.choice, mode: options.reasoning))
        ExportFields.writeReasoningField(row.choice, mode: options.reasoning, to: &w)
        w.key("system"); w.string(system ?? "")
        w.key("history")
        w.beginArray()
        for (q, a) in Self.pairs(earlier) {
            w.beginArray(); w.string(q); w.string(a); w.endArray()
        }
        w.endArray()
        ExportFields.writeOptionalLogprobs(row.choice, options: options, to: &w)
        w.endObject()
    }

    /// Pairs turns as `(user, assistant)`: a non-assistant turn opens a pair, the next assistant turn closes it;
    /// a missing partner is `""`.
    static func pairs(_ turns: ArraySlice<ChatMessage>) -> [(String, String)] {
        var out: [(String, String)] = []
        var open: String?
        for m in turns {
            if m.role == "assistant" {
                out.append((open ?? "", m.content))
                open = nil
            } else {
                if let q = open { out.append((q, "")) }
                open = m.content
            }
        }
        if let q = open { out.append((q, "")) }
        return out
    }
}
