import HarvestJSON

/// Writes the `usage` member shared by both completion shapes.
enum UsageWriter {
    /// Writes `"usage":{"prompt_tokens":…,"completion_tokens":…,"total_tokens":…}`.
    static func write(prompt: Int, completion: Int, into w: inout JSONWriter) {
        w.key("usage"); w.beginObject()
        w.key("prompt_tokens"); w.int(prompt)
        w.key("completion_tokens"); w.int(completion)
        w.key("total_tokens"); w.int(prompt + completion)
        w.endObject()
    }
}
