import HarvestCore
import HarvestJSON

/// Typed access to one JSON object of a config file, with the field path kept for error messages and
/// unknown keys refused (a typo must not silently fall back to a default).
struct ConfigReader {
    let file: String
    let path: String
    let members: [(String, JSONValue)]

    /// Reads `value` as an object at `path`, allowing only `keys`.
    init(file: String, path: String, value: JSONValue, keys: [String]) throws(DaemonConfigError) {
        self.file = file
        self.path = path
        guard let members = value.objectValue else {
            throw DaemonConfigError(file: file, field: path.isEmpty ? nil : path, message: "expected an object, found \(value.typeName)")
        }
        self.members = members
        for (key, _) in members where !keys.contains(key) {
            throw DaemonConfigError(file: file, field: field(key),
                                    message: "unknown key (expected one of: \(keys.joined(separator: ", "))) — check the spelling in docs/CONFIG.md")
        }
    }

    /// The full path of member `key`.
    func field(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// An error about member `key`.
    func bad(_ key: String, _ message: String) -> DaemonConfigError {
        DaemonConfigError(file: file, field: field(key), message: message)
    }

    /// The raw member, nil when absent or `null`.
    func value(_ key: String) -> JSONValue? {
        for (k, v) in members where k == key { return v.isNull ? nil : v }
        return nil
    }

    /// A nested object reader.
    func object(_ key: String, keys: [String]) throws(DaemonConfigError) -> ConfigReader? {
        guard let v = value(key) else { return nil }
        return try ConfigReader(file: file, path: field(key), value: v, keys: keys)
    }

    /// The elements of an array member.
    func array(_ key: String) throws(DaemonConfigError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard let items = v.arrayValue else { throw bad(key, "expected an array, found \(v.typeName)") }
        return items
    }

    func string(_ key: String) throws(DaemonConfigError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw bad(key, "expected a string, found \(v.typeName)") }
        return s
    }

    func requiredString(_ key: String, _ what: String) throws(DaemonConfigError) -> String {
        guard let s = try string(key), !s.isEmpty else { throw bad(key, "missing: \(what)") }
        return s
    }

    func bool(_ key: String) throws(DaemonConfigError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw bad(key, "expected true or false, found \(v.typeName)") }
        return b
    }

    func number(_ key: String, min: Double? = nil) throws(DaemonConfigError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw bad(key, "expected a number, found \(v.typeName)") }
        if let min, d < min { throw bad(key, "must be at least \(min), found \(d)") }
        return d
    }

    func positive(_ key: String) throws(DaemonConfigError) -> Double? {
        guard let d = try number(key) else { return nil }
        guard d > 0 else { throw bad(key, "must be greater than 0, found \(d)") }
        return d
    }

    func int(_ key: String, min: Int) throws(DaemonConfigError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue else { throw bad(key, "expected a whole number, found \(v.jsonString)") }
        guard i >= min else { throw bad(key, "must be at least \(min), found \(i)") }
        return i
    }

    /// Applies the sampling keys of this object onto `params` (keys absent here keep their value).
    func applySampling(to params: inout SamplingParams) throws(DaemonConfigError) {
        if let v = try int("max_tokens", min: 1) { params.maxTokens = v }
        if let v = try number("temperature", min: 0) { params.temperature = v }
        if let v = try number("top_p", min: 0) { params.topP = v }
        if let v = try int("seed", min: Int.min) { params.seed = v }
        if let v = try int("logprobs", min: 0) {
            guard v <= 20 else { throw bad("logprobs", "must be 0…20 (top alternatives per token), found \(v)") }
            params.topLogprobs = v
        }
        if let v = try bool("token_ids") { params.tokenIds = v }
        if let items = try array("stop") {
            guard items.allSatisfy({ $0.stringValue != nil }) else { throw bad("stop", "expected an array of strings") }
            params.stop = items.compactMap(\.stringValue)
        }
        if let extra = value("extra_body") {
            guard let members = extra.objectValue else { throw bad("extra_body", "expected an object, found \(extra.typeName)") }
            params.extraBody = members
        }
    }

    /// The sampling keys accepted wherever sampling parameters are configured.
    static let samplingKeys = ["max_tokens", "temperature", "top_p", "seed", "logprobs", "token_ids", "stop", "extra_body"]
}
