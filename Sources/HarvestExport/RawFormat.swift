import HarvestCore
import HarvestJSON

/// `--format raw`: everything stored for a row, for audits and custom converters.
///
/// Keys, always present and in this order: `id`, `job_id`, `prompt_id`, `prompt_hash`, `external_id`,
/// `metadata` (the set's metadata JSON as is), `messages`, `teacher` (`base_url`, `model`, `kind`), `params`
/// (canonical sampling-parameter JSON), `sample_index`, `model`, `response_id`, `completion`, `reasoning`,
/// `finish_reason`, `usage` (`prompt_tokens`, `completion_tokens`, `total_tokens`, `reasoning_tokens`),
/// `logprobs` (OpenAI `logprobs.content` shape), `received_at` (Unix seconds). Absent values are `null`.
/// ``ExportOptions`` do not apply: reasoning stays in its own field and logprobs are always included.
public struct RawFormat: ExportFormat {
    /// `raw`.
    public let name = "raw"
    /// Always reads logprobs.
    public var needsLogprobs: Bool { true }

    /// Creates the format.
    public init() {}

    /// Writes one row.
    public func write(_ row: StoredResponse, options: ExportOptions, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.int(Int(row.id))
        w.key("job_id"); w.int(Int(row.jobId))
        w.key("prompt_id"); w.int(Int(row.promptId))
        w.key("prompt_hash"); w.string(row.promptHash)
        w.key("external_id"); w.stringOrNull(row.externalId)
        w.key("metadata"); Self.writeRawJSON(row.metadataJSON, to: &w)
        w.key("messages"); ChatMessage.write(row.messages, to: &w)
        w.key("teacher")
        w.beginObject()
        w.key("base_url"); w.string(row.teacher.baseURL)
        w.key("model"); w.string(row.teacher.model)
        w.key("kind"); w.string(row.teacher.kind.rawValue)
        w.endObject()
        w.key("params"); w.raw(row.params.canonicalJSON)
        w.key("sample_index"); w.int(row.sampleIndex)
        w.key("model"); w.stringOrNull(row.model)
        w.key("response_id"); w.stringOrNull(row.responseId)
        w.key("completion"); w.string(row.choice.content)
        w.key("reasoning"); w.stringOrNull(row.choice.reasoning)
        w.key("finish_reason"); w.stringOrNull(row.choice.finishReason)
        w.key("usage")
        if let u = row.usage {
            w.beginObject()
            w.key("prompt_tokens"); Self.intOrNull(u.promptTokens, &w)
            w.key("completion_tokens"); Self.intOrNull(u.completionTokens, &w)
            w.key("total_tokens"); Self.intOrNull(u.totalTokens, &w)
            w.key("reasoning_tokens"); Self.intOrNull(u.reasoningTokens, &w)
            w.endObject()
        } else {
            w.null()
        }
        w.key("logprobs")
        if let lp = row.choice.logprobs { ExportFields.writeLogprobs(lp, to: &w) } else { w.null() }
        w.key("received_at"); w.double(row.receivedAt)
        w.endObject()
    }

    private static func intOrNull(_ v: Int?, _ w: inout JSONWriter) {
        if let v { w.int(v) } else { w.null() }
    }

    /// Writes stored JSON text as is when it parses and is on one line, re-serialized compactly when it
    /// spans lines, as a JSON string when it does not parse (so one bad value cannot break the JSONL line),
    /// and `null` when absent.
    static func writeRawJSON(_ text: String?, to w: inout JSONWriter) {
        guard let text, !text.isEmpty else { return w.null() }
        guard let value = try? JSONValue.parse(text) else { return w.string(text) }
        if text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) { w.value(value) } else { w.raw(text) }
    }
}
