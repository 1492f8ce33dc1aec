import HarvestJSON

/// One message of a chat conversation.
public struct ChatMessage: Sendable, Hashable {
    /// `system`, `user`, `assistant` (or any role the teacher accepts).
    public var role: String
    /// The message text.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// Serializes messages as a JSON array of `{"role","content"}` objects.
    public static func jsonArray(_ messages: [ChatMessage]) -> String {
        var w = JSONWriter(capacity: 256)
        write(messages, to: &w)
        return w.string
    }

    /// Writes messages as a JSON array into `writer`.
    public static func write(_ messages: [ChatMessage], to writer: inout JSONWriter) {
        writer.beginArray()
        for m in messages {
            writer.beginObject()
            writer.key("role")
            writer.string(m.role)
            writer.key("content")
            writer.string(m.content)
            writer.endObject()
        }
        writer.endArray()
    }

    /// Parses the output of ``jsonArray(_:)``.
    public static func parseArray(_ json: String) throws -> [ChatMessage] {
        guard case .array(let items) = try JSONValue.parse(json) else {
            throw JSONError("messages must be an array", offset: 0)
        }
        return try items.map { item in
            guard let role = item["role"]?.stringValue, let content = item["content"]?.stringValue else {
                throw JSONError("each message needs string role and content", offset: 0)
            }
            return ChatMessage(role: role, content: content)
        }
    }
}
