import HarvestJSON

/// The `json` verifier: the first ```` ```json ```` (or plain ```` ``` ````) fence, else the whole visible answer, must
/// parse as JSON and satisfy the schema when one is given.
enum JSONAnswer {
    static func judge(_ buf: UnsafeBufferPointer<UInt8>, _ schema: JSONSchemaSubset?) -> Verification {
        let body = fenced(buf) ?? (0..<buf.count)
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[body]), as: UTF8.self)
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            return Verification(.noAnswer, extracted: nil, rule: nil, reason: "no JSON outside the reasoning")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(trimmed) } catch {
            return Verification(.wrong, extracted: trimmed, rule: .json, reason: "not valid JSON: \(error)")
        }
        guard let schema else { return Verification(.correct, extracted: trimmed, rule: .json, reason: "valid JSON") }
        if let v = schema.violation(of: value) {
            return Verification(.wrong, extracted: trimmed, rule: .json, reason: "does not match the schema: \(v)")
        }
        return Verification(.correct, extracted: trimmed, rule: .json, reason: "valid JSON matching the schema")
    }

    /// Contents of the first ```` ```json ```` fence, else of the first ```` ``` ```` fence.
    static func fenced(_ buf: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        guard let open = ByteSearch.find(buf, "```", from: 0) else { return nil }
        var start = open + 3
        while start < buf.count && buf[start] != 10 { start += 1 }
        guard let close = ByteSearch.find(buf, "```", from: start) else { return nil }
        return start..<close
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
