import HarvestJSON

/// The old flat sweep config (`{"teacher": {...}, "sampling": {...}, "concurrency": ...}`) is no longer read:
/// ``message(_:)`` says so and prints the same settings in the one config format (`teachers[]`/`sweeps[]`).
public enum FlatConfigMigration {
    /// The error text for a flat config: what changed and the equivalent new-format snippet.
    public static func message(_ root: JSONValue) -> String {
        "the flat config format (\"teacher\", \"sampling\", \"concurrency\" at the top level) is no longer read; "
            + "harvest has one config format with \"teachers\" and \"sweeps\" (docs/CONFIG.md). The same settings:\n"
            + snippet(root)
    }

    /// The new-format equivalent of a flat config.
    public static func snippet(_ root: JSONValue) -> String {
        let t = root["teacher"]
        func value(_ v: JSONValue?) -> String? { v.flatMap { $0.isNull ? nil : $0.jsonString } }
        var teacher: [String] = ["\"name\": \"main\""]
        teacher.append("\"base_url\": " + (value(t?["base_url"]) ?? "\"http://127.0.0.1:8000/v1\""))
        teacher.append("\"model\": " + (value(t?["model"]) ?? "\"MODEL\""))
        if let v = value(t?["endpoint"]) { teacher.append("\"endpoint\": \(v)") }
        if let v = value(t?["api_key_env"]) { teacher.append("\"api_key_env\": \(v)") }
        if let v = value(root["concurrency"]) { teacher.append("\"limits\": {\"max_in_flight\": \(v)}") }
        if let v = value(root["sampling"]) { teacher.append("\"sampling\": \(v)") }
        for (old, new) in [("max_attempts", "max_attempts"), ("connect_timeout_s", "connect_timeout"), ("total_timeout_s", "total_timeout")] {
            if let v = value(root[old]) { teacher.append("\"\(new)\": \(v)") }
        }
        var sweep = ["\"name\": \"main\"", "\"prompt_set\": \"SET\"", "\"teacher\": \"main\""]
        if let v = value(root["samples"]) { sweep.append("\"samples\": \(v)") }
        return "{\n  \"teachers\": [\n    {\n      " + teacher.joined(separator: ",\n      ") + "\n    }\n  ],\n"
            + "  \"sweeps\": [\n    {" + sweep.joined(separator: ", ") + "}\n  ]\n}"
    }
}
