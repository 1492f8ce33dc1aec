import HarvestJSON

/// OpenAI-style error bodies: `{"error":{"message":…,"type":…,"param":…,"code":…}}`.
enum ErrorBody {
    /// Writes an error object into `w` (which must be empty).
    static func write(message: String, type: String, param: String? = nil, code: String? = nil,
                      into w: inout JSONWriter) {
        w.beginObject()
        w.key("error"); w.beginObject()
        w.key("message"); w.string(message)
        w.key("type"); w.string(type)
        w.key("param"); w.stringOrNull(param)
        w.key("code"); w.stringOrNull(code)
        w.endObject()
        w.endObject()
    }
}
