/// Why a request could not be built or a response could not be decoded.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is not JSON or not the expected shape (an HTML page, truncated JSON, a wrong type).
    /// `offset` is the byte where decoding stopped; `bodyPrefix` is the start of the body as printable text.
    case malformed(reason: String, offset: Int, bodyPrefix: String)
    /// The body is a well-formed completion whose values break the rules: a `NaN`/`Infinity` token (not valid
    /// JSON) or a positive logprob, or a `content`/`text` that is neither a string nor null.
    case invalidValue(reason: String, offset: Int, bodyPrefix: String)
    /// The server answered with an error object (`{"error":{"message":...,"type":...}}` and kin).
    case serverError(message: String, type: String?)
    /// The response parsed but holds no choices (`choices` missing, null or empty).
    case noChoices(bodyPrefix: String)
    /// The request cannot be expressed for this endpoint (e.g. a multi-turn conversation for `/completions`).
    case unsupported(reason: String)

    /// One line for people.
    public var description: String {
        switch self {
        case .malformed(let reason, let offset, let prefix):
            return "malformed response: \(reason) at byte \(offset); body starts: \(Self.quote(prefix))"
        case .invalidValue(let reason, let offset, let prefix):
            return "invalid value in the response: \(reason) at byte \(offset); body starts: \(Self.quote(prefix))"
        case .serverError(let message, let type):
            return "server error" + (type.map { " (\($0))" } ?? "") + ": \(message)"
        case .noChoices(let prefix):
            return "response has no choices; body starts: \(Self.quote(prefix))"
        case .unsupported(let reason):
            return "unsupported request: \(reason)"
        }
    }

    private static func quote(_ s: String) -> String { s.isEmpty ? "(empty body)" : "\"\(s)\"" }

    /// How many leading bytes of a body ``bodyPrefix(_:)`` shows.
    public static let bodyPrefixLimit = 200

    /// The first ``bodyPrefixLimit`` bytes of `body` as one printable line: invalid UTF-8 becomes
    /// U+FFFD, line breaks and tabs become spaces, other control characters become `·`, and a cut
    /// body ends with `…`.
    public static func bodyPrefix(_ body: some Collection<UInt8>) -> String {
        var bytes = Array(body.prefix(bodyPrefixLimit))
        let cut = body.count > bytes.count
        if cut {
            // Do not split a UTF-8 sequence at the cut.
            var lead = bytes.count - 1
            while lead > 0, bytes[lead] & 0xC0 == 0x80, bytes.count - lead < 4 { lead -= 1 }
            if lead >= 0 {
                let b = bytes[lead]
                let need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                if bytes.count - lead < need { bytes.removeSubrange(lead...) }
            }
        }
        var out = ""
        out.reserveCapacity(bytes.count + 3)
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D, 0x09: out.append(" ")
            case 0..<0x20, 0x7F: out.append("·")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return cut ? out + "…" : out
    }
}
