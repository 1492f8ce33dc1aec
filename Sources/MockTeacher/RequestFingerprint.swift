import HarvestCore
import HarvestCrypto
import HarvestJSON

/// The identity of a completion job as the mock sees it: lowercase hex SHA-256 of a canonical
/// JSON object built from the request's `model`, `messages`, `prompt`, `seed`, `max_tokens`
/// (or `max_completion_tokens`) and `temperature` (absent members as `null`; numbers that are
/// whole written as integers). Key order and whitespace in the request do not matter.
public enum RequestFingerprint {
    /// The fingerprint of a parsed request body.
    public static func of(request json: JSONValue) -> String {
        hex(digest(of: json))
    }

    /// The fingerprint of a raw request body, or nil if it is not valid JSON.
    public static func of(requestBody bytes: some Collection<UInt8>) -> String? {
        guard let json = try? JSONValue.parse(bytes) else { return nil }
        return of(request: json)
    }

    /// The SHA-256 digest of the canonical content.
    static func digest(of json: JSONValue) -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        for key in ["model", "messages", "prompt", "seed"] {
            writer.key(key)
            writer.value(json[key] ?? .null)
        }
        writer.key("max_tokens")
        let maxTokens = json["max_tokens"].flatMap { $0.isNull ? nil : $0 } ?? json["max_completion_tokens"] ?? .null
        writer.value(maxTokens)
        writer.key("temperature")
        writer.value(json["temperature"] ?? .null)
        writer.endObject()
        return SHA256.digest(writer.bytes)
    }

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first 8 digest bytes as a big-endian integer (the answer seed).
    static func seed(of digest: [UInt8]) -> UInt64 {
        digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
