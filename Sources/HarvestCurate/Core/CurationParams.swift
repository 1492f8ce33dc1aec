import HarvestCore
import HarvestCrypto
import HarvestJSON

/// The parameters of one curation stage as canonical JSON: keys sorted, compact, integers without a fraction.
/// Equal parameters give byte-equal JSON, so a store can replace a stage's marks (and signatures) when it changes.
public struct CurationParams: Sendable, Hashable, CustomStringConvertible {
    /// The stage these parameters configure (`dedup.near`, `filter.length`, ...).
    public var stage: String
    /// Canonical JSON object of the parameters.
    public var canonicalJSON: String

    /// Builds canonical JSON from fields; nested objects are sorted too. Later duplicates of a key are dropped.
    public init(stage: String, fields: [(String, JSONValue)]) {
        self.stage = stage
        var w = JSONWriter(capacity: 128)
        Self.write(.object(fields), to: &w)
        canonicalJSON = w.string
    }

    /// Hex SHA-256 of the canonical JSON (a short key for a column).
    public var fingerprint: String {
        Hex.string(SHA256.digest(canonicalJSON.utf8))
    }

    /// `stage canonicalJSON`.
    public var description: String { stage + " " + canonicalJSON }

    private static func write(_ value: JSONValue, to w: inout JSONWriter) {
        switch value {
        case .object(let members):
            var seen = Set<String>()
            let unique = members.filter { seen.insert($0.0).inserted }
            w.beginObject()
            for (k, v) in unique.sorted(by: { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }) {
                w.key(k)
                write(v, to: &w)
            }
            w.endObject()
        case .array(let items):
            w.beginArray()
            for item in items { write(item, to: &w) }
            w.endArray()
        default:
            w.value(value)
        }
    }
}

/// Small JSON helpers for mark details.
enum DetailJSON {
    /// Compact JSON of the fields in the order given.
    static func make(_ fields: [(String, JSONValue)]) -> String {
        var w = JSONWriter(capacity: 96)
        w.value(.object(fields))
        return w.string
    }
}
