import HarvestCore
import HarvestJSON

/// `--format kd`: logprob-level knowledge-distillation rows in the shape axolotl's KD dataset strategy reads
/// (`type: axolotl.integrations.kd.chat_template.load_legacy`, `logprobs_field: logprobs`):
///
/// ```json
/// {"messages":[system?, user…, {"role":"assistant","content":…}],
///  "logprobs":[[{"token":"token_id:9906","logprob":-0.01},…], …],
///  "temperature":0.7}
/// ```
///
/// `logprobs` has one entry per completion token, in completion order; each entry is that position's top-k
/// alternatives as the teacher sent them. `token` is `token_id:N` when the token id is stored, and the token
/// text otherwise (axolotl needs ids: ask vLLM with `return_tokens_as_token_ids`). A position without
/// alternatives (`top_logprobs: 0`) lists the sampled token alone. Rows without stored logprobs are skipped
/// (reason `no_logprobs`): axolotl rejects them, and an empty list would give Arrow loaders a null column type.
/// `temperature` is the sampling temperature sent (`null` when the request left it to the server).
/// Reasoning follows ``ExportOptions/reasoning`` as in ``OpenAIChatFormat``; the logprobs cover whatever the
/// teacher scored, so pair `--reasoning inline` with teachers whose logprobs include the reasoning tokens.
public struct KDFormat: ExportFormat {
    /// `kd`.
    public let name = "kd"
    /// Always reads logprobs.
    public var needsLogprobs: Bool { true }

    /// Creates the format.
    public init() {}

    /// The `token` value axolotl parses: `token_id:N` when the id is known, else the token text.
    public static func tokenKey(text: String, id: Int?) -> String {
        if let id { return "token_id:" + String(id) }
        return text
    }

    /// `no_logprobs` for rows stored without token logprobs.
    public func skipReason(_ row: StoredResponse, options: ExportOptions) -> String? {
        (row.choice.logprobs?.isEmpty ?? true) ? "no_logprobs" : nil
    }

    /// Writes one row (a row without logprobs gets `"logprobs":[]`; ``ExportPipeline`` skips such rows).
    public func write(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        w.beginObject()
        w.key("messages")
        w.beginArray()
        for m in row.messages { ExportFields.writeMessage(role: m.role, content: m.content, to: &w) }
        ExportFields.writeAssistantMessage(row.choice, mode: options.reasoning, to: &w)
        w.endArray()
        w.key("logprobs")
        w.beginArray()
        for t in row.choice.logprobs ?? [] {
            w.beginArray()
            if t.top.isEmpty {
                Self.writeEntry(token: t.token, id: t.tokenId, logprob: t.logprob, to: &w)
            } else {
                for a in t.top { Self.writeEntry(token: a.token, id: a.tokenId, logprob: a.logprob, to: &w) }
            }
            w.endArray()
        }
        w.endArray()
        w.key("temperature")
        if let t = row.params.temperature { w.double(t) } else { w.null() }
        w.endObject()
    }

    private static func writeEntry(token: String, id: Int?, logprob: Double, to w: inout JSONWriter) {
        w.beginObject()
        w.key(ascii: "token")
        if let id {
            w.string(ascii: "token_id:", id)
        } else {
            w.string(token)
        }
        w.key(ascii: "logprob"); w.double(logprob)
        w.endObject()
    }
}
