import HarvestCore
import HarvestJSON

/// Typed access to one JSON object of a config file, with the field path kept for error messages and
/// unknown keys refused (a typo must not silently fall back to a default). The one reader of every harvest
/// config: the daemon and sweep config (`teachers[]`/`sweeps[]`) and curation specs.
public struct ConfigReader {
    /// The config file (named in errors).
    public let file: String
    /// The field path of this object (`teachers[0].limits`), empty for the top level.
    public let path: String
    /// The object's members in file order.
    public let members: [(String, JSONValue)]

    /// Keys that were renamed, old name → new name; a file using an old name gets an error naming the new one.
    public static let renamedKeys = ["connect_timeout_s": "connect_timeout", "total_timeout_s": "total_timeout", "qps": "rps",
                                     "concurrency": "max_in_flight"]

    /// Reads `value` as an object at `path`, allowing only `keys`.
    public init(file: String, path: String, value: JSONValue, keys: [String]) throws(ConfigFileError) {
        self.file = file
        self.path = path
        guard let members = value.objectValue else {
            throw ConfigFileError(file: file, field: path.isEmpty ? nil : path, message: "expected an object, found \(value.typeName)")
        }
        self.members = members
        for (key, _) in members where !keys.contains(key) {
            if let new = Self.renamedKeys[key], keys.contains(new) {
                throw ConfigFileError(file: file, field: path.isEmpty ? key : path + "." + key,
                                      message: "renamed: use \"\(new)\" (the same name as the --\(new.replacingOccurrences(of: "_", with: "-")) flag)")
            }
            throw ConfigFileError(file: file, field: field(key),
                                    message: "unknown key (expected one of: \(keys.joined(separator: ", "))) — check the spelling in docs/CONFIG.md")
        }
    }

    /// The full path of member `key`.
    public func field(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// An error about member `key`.
    public func bad(_ key: String, _ message: String) -> ConfigFileError {
        ConfigFileError(file: file, field: field(key), message: message)
    }

    /// The raw member, nil when absent or `null`.
    public func value(_ key: String) -> JSONValue? {
        for (k, v) in members where k == key { return v.isNull ? nil : v }
        return nil
    }

    /// A nested object reader.
    public func object(_ key: String, keys: [String]) throws(ConfigFileError) -> ConfigReader? {
        guard let v = value(key) else { return nil }
        return try ConfigReader(file: file, path: field(key), value: v, keys: keys)
    }

    /// The elements of an array member.
    public func array(_ key: String) throws(ConfigFileError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard let items = v.arrayValue else { throw bad(key, "expected an array, found \(v.typeName)") }
        return items
    }

    /// A string member.
    public func string(_ key: String) throws(ConfigFileError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw bad(key, "expected a string, found \(v.typeName)") }
        return s
    }

    /// A string member that must be present and not empty; `what` says what it is for.
    public func requiredString(_ key: String, _ what: String) throws(ConfigFileError) -> String {
        guard let s = try string(key), !s.isEmpty else { throw bad(key, "missing: \(what)") }
        return s
    }

    /// A boolean member.
    public func bool(_ key: String) throws(ConfigFileError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw bad(key, "expected true or false, found \(v.typeName)") }
        return b
    }

    /// A number member, at least `min` when given.
    public func number(_ key: String, min: Double? = nil) throws(ConfigFileError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw bad(key, "expected a number, found \(v.typeName)") }
        if let min, d < min { throw bad(key, "must be at least \(min), found \(d)") }
        return d
    }

    /// A number member greater than 0.
    public func positive(_ key: String) throws(ConfigFileError) -> Double? {
        guard let d = try number(key) else { return nil }
        guard d > 0 else { throw bad(key, "must be greater than 0, found \(d)") }
        return d
    }

    /// A whole-number member, at least `min`.
    public func int(_ key: String, min: Int) throws(ConfigFileError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue else { throw bad(key, "expected a whole number, found \(v.jsonString)") }
        guard i >= min else { throw bad(key, "must be at least \(min), found \(i)") }
        return i
    }

    /// Applies the sampling keys of this object onto `params` (keys absent here keep their value).
    public func applySampling(to params: inout SamplingParams) throws(ConfigFileError) {
        if let v = try int("max_tokens", min: 1) { params.maxTokens = v }
        if let v = try number("temperature", min: 0) { params.temperature = v }
        if let v = try number("top_p", min: 0) { params.topP = v }
        if let v = try int("seed", min: Int.min) { params.seed = v }
        if let v = try int("logprobs", min: 0) {
            guard v <= 20 else { throw bad("logprobs", "must be 0…20 (top alternatives per token), found \(v)") }
            params.topLogprobs = v
        }
        if let v = try bool("token_ids") { params.tokenIds = v }
        if let v = try string("score") {
            guard let form = ScoreForm(flag: v) else { throw bad("score", "must be \"echo\" or \"prompt_logprobs\", found \"\(v)\"") }
            params.score = form
        }
        if let items = try array("stop") {
            guard items.allSatisfy({ $0.stringValue != nil }) else { throw bad("stop", "expected an array of strings") }
            params.stop = items.compactMap(\.stringValue)
        }
        if let extra = value("extra_body") {
            guard let members = extra.objectValue else { throw bad("extra_body", "expected an object, found \(extra.typeName)") }
            if let owned = SamplingParams(extraBody: members).ownedExtraKeys.first {
                throw bad("extra_body", "sets \"\(owned)\", which harvest sets itself (not allowed: \(SamplingParams.ownedBodyKeys.joined(separator: ", ")))")
            }
            params.extraBody = members
        }
    }

    /// The sampling keys accepted wherever sampling parameters are configured.
    public static let samplingKeys = ["max_tokens", "temperature", "top_p", "seed", "logprobs", "token_ids", "stop", "extra_body", "score"]
}
