import HarvestCore
import HarvestJSON

/// Parses JSONL prompt files: `{"id","prompt"}` or `{"id","messages":[{"role","content"}]}`,
/// with optional `system` (string) and `metadata` (any JSON, kept as compact text).
struct JSONLPromptParser {
    var defaultSystem: String?
    /// Reference-answer settings (field names, default verifier).
    var reader = PromptFileReader()

    func parse(_ bytes: [UInt8], name: String) throws(ImportError) -> [PromptInput] {
        var out: [PromptInput] = []
        var lineNo = 0
        var start = 0
        let n = bytes.count
        while start <= n {
            var end = start
            while end < n, bytes[end] != 0x0A { end += 1 }
            lineNo += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = bytes[start..<lineEnd]
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                out.append(try parseLine(line, at: InputLocation(file: name, line: lineNo)))
            }
            start = end + 1
        }
        return out
    }

    private func parseLine(_ line: ArraySlice<UInt8>, at loc: InputLocation) throws(ImportError) -> PromptInput {
        guard String(validating: line, as: UTF8.self) != nil else { throw ImportError(loc, "the line is not valid UTF-8") }
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            throw ImportError(loc, "not valid JSON: \(error.message) at column \(error.offset + 1)")
        }
        guard case .object = value else {
            throw ImportError(loc, "expected a JSON object, found \(value.typeName)")
        }
        var messages: [ChatMessage] = []
        if let system = value["system"] {
            guard let s = system.stringValue else { throw ImportError(loc, field: "system", "expected a string, found \(system.typeName)") }
            messages.append(ChatMessage(role: "system", content: s))
        }
        switch (value["prompt"], value["messages"]) {
        case (nil, nil):
            throw ImportError(loc, field: "prompt", "missing: give \"prompt\" (a string) or \"messages\" (an array)")
        case (.some, .some):
            throw ImportError(loc, field: "messages", "give either \"prompt\" or \"messages\", not both")
        case (.some(let p), nil):
            guard let s = p.stringValue else { throw ImportError(loc, field: "prompt", "expected a string, found \(p.typeName)") }
            guard !s.isEmpty else { throw ImportError(loc, field: "prompt", "is empty") }
            messages.append(ChatMessage(role: "user", content: s))
        case (nil, .some(let m)):
            guard let items = m.arrayValue else { throw ImportError(loc, field: "messages", "expected an array, found \(m.typeName)") }
            guard !items.isEmpty else { throw ImportError(loc, field: "messages", "is empty") }
            for (i, item) in items.enumerated() {
                guard item.objectValue != nil else { throw ImportError(loc, field: "messages[\(i)]", "expected an object, found \(item.typeName)") }
                guard let role = item["role"]?.stringValue, !role.isEmpty else {
                    throw ImportError(loc, field: "messages[\(i)].role", "missing or not a string")
                }
                guard let content = item["content"]?.stringValue else {
                    throw ImportError(loc, field: "messages[\(i)].content", "missing or not a string")
                }
                messages.append(ChatMessage(role: role, content: content))
            }
            if reader.sft {
                guard messages.last?.role == "assistant", messages.count >= 2 else {
                    throw ImportError(loc, field: "messages[\(items.count - 1)].role",
                                      "with --sft the last message must be the \"assistant\" turn to score, after at least one other message")
                }
            } else {
                guard messages.last?.role == "user" else {
                    throw ImportError(loc, field: "messages[\(items.count - 1)].role", "the last message must be from \"user\" (the teacher answers it)")
                }
            }
        }
        if reader.sft, value["prompt"] != nil {
            throw ImportError(loc, field: "prompt", "with --sft give \"messages\" ending in the assistant turn to score")
        }
        if messages.first?.role != "system", let defaultSystem {
            messages.insert(ChatMessage(role: "system", content: defaultSystem), at: 0)
        }
        let id: String
        switch value["id"] {
        case nil, .some(.null): id = PromptFileReader.defaultId(messages)
        case .some(.string(let s)) where !s.isEmpty: id = s
        case .some(.number(let d)):
            // Exact: from the number's source text, never through a Double (ids above 2^53 stay distinct).
            guard d.isFinite, let exact = NumericPromptId.id(in: line, key: "id") else {
                throw ImportError(loc, field: "id", "expected a non-empty string or a finite number")
            }
            id = exact
        case .some(let other): throw ImportError(loc, field: "id", "expected a non-empty string or a number, found \(other.typeName)")
        }
        var metadata: String? = nil
        if let m = value["metadata"], !m.isNull { metadata = m.jsonString }
        let reference = value[reader.answerField].flatMap(ReferenceFields.text)
        var verifierName: String?
        if let v = value[reader.verifierField], !v.isNull {
            guard let s = v.stringValue else { throw ImportError(loc, field: reader.verifierField, "expected a string, found \(v.typeName)") }
            verifierName = s
        }
        let verifier = try ReferenceFields.check(reference: reference, verifier: verifierName, defaultVerifier: reader.defaultVerifier, at: loc,
                                                 answerField: reader.answerField, verifierField: reader.verifierField)
        return PromptInput(externalId: id, messages: messages, metadataJSON: metadata, source: loc, reference: reference, verifier: verifier)
    }
}
