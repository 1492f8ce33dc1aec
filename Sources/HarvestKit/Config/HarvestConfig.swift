import Foundation
import HarvestCore
import HarvestJSON

/// Sweep defaults read from a JSON config file (`harvest.json`); command-line flags override them.
public struct HarvestConfig: Sendable, Equatable {
    /// Teacher base URL (ends in `/v1`).
    public var baseURL: String?
    /// Teacher model name.
    public var model: String?
    /// `chat` or `completions`.
    public var endpoint: EndpointKind = .chat
    /// Name of the environment variable with the API key.
    public var apiKeyEnv: String?
    /// Sampling parameters.
    public var sampling = SamplingParams()
    /// Samples per prompt.
    public var samples = 1
    /// Requests in flight.
    public var concurrency = 64
    /// Connect timeout, seconds.
    public var connectTimeout: Double = 10
    /// Total timeout per request, seconds.
    public var totalTimeout: Double = 600
    /// Attempts per job and run.
    public var maxAttempts = 8

    /// Creates defaults.
    public init() {}

    /// A config error naming the file and field.
    public struct ConfigError: Error, Sendable, CustomStringConvertible {
        /// `file: field "x": what is wrong`.
        public var description: String
    }

    /// Reads and validates a config file.
    public static func load(path: String) throws(ConfigError) -> HarvestConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(description: "\(path): cannot read the config file")
        }
        let root: JSONValue
        do {
            root = try JSONValue.parse(Array(data))
        } catch {
            throw ConfigError(description: "\(path): not valid JSON: \(error)")
        }
        func bad(_ field: String, _ what: String) -> ConfigError {
            ConfigError(description: "\(path): field \"\(field)\": \(what)")
        }
        func string(_ v: JSONValue?, _ field: String) throws(ConfigError) -> String? {
            guard let v, !v.isNull else { return nil }
            guard let s = v.stringValue else { throw bad(field, "expected a string, found \(v.typeName)") }
            return s
        }
        func number(_ v: JSONValue?, _ field: String) throws(ConfigError) -> Double? {
            guard let v, !v.isNull else { return nil }
            guard let d = v.doubleValue else { throw bad(field, "expected a number, found \(v.typeName)") }
            return d
        }
        func int(_ v: JSONValue?, _ field: String, min: Int) throws(ConfigError) -> Int? {
            guard let d = try number(v, field) else { return nil }
            guard let i = v?.intValue, i >= min else { throw bad(field, "expected a whole number ≥ \(min), found \(d)") }
            return i
        }
        guard root.objectValue != nil else { throw ConfigError(description: "\(path): the top level must be an object") }
        var c = HarvestConfig()
        if let t = root["teacher"] {
            guard t.objectValue != nil else { throw bad("teacher", "expected an object") }
            c.baseURL = try string(t["base_url"], "teacher.base_url")
            c.model = try string(t["model"], "teacher.model")
            c.apiKeyEnv = try string(t["api_key_env"], "teacher.api_key_env")
            if let e = try string(t["endpoint"], "teacher.endpoint") {
                guard let kind = EndpointKind(rawValue: e) else { throw bad("teacher.endpoint", "must be \"chat\" or \"completions\"") }
                c.endpoint = kind
            }
        }
        if let s = root["sampling"] {
            guard s.objectValue != nil else { throw bad("sampling", "expected an object") }
            c.sampling.maxTokens = try int(s["max_tokens"], "sampling.max_tokens", min: 1)
            c.sampling.temperature = try number(s["temperature"], "sampling.temperature")
            c.sampling.topP = try number(s["top_p"], "sampling.top_p")
            c.sampling.seed = try int(s["seed"], "sampling.seed", min: Int.min)
            c.sampling.topLogprobs = try int(s["logprobs"], "sampling.logprobs", min: 0)
            if let v = s["token_ids"] {
                guard let flag = v.boolValue else { throw bad("sampling.token_ids", "expected true or false") }
                c.sampling.tokenIds = flag
            }
            if let stop = s["stop"] {
                guard let items = stop.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw bad("sampling.stop", "expected an array of strings")
                }
                c.sampling.stop = items.compactMap(\.stringValue)
            }
            if let extra = s["extra_body"] {
                guard let members = extra.objectValue else { throw bad("sampling.extra_body", "expected an object") }
                if let owned = SamplingParams(extraBody: members).ownedExtraKeys.first {
                    throw bad("sampling.extra_body", "sets \"\(owned)\", which harvest sets itself (not allowed: \(SamplingParams.ownedBodyKeys.joined(separator: ", ")))")
                }
                c.sampling.extraBody = members
            }
        }
        c.samples = try int(root["samples"], "samples", min: 1) ?? c.samples
        c.concurrency = try int(root["concurrency"], "concurrency", min: 1) ?? c.concurrency
        c.maxAttempts = try int(root["max_attempts"], "max_attempts", min: 1) ?? c.maxAttempts
        c.connectTimeout = try number(root["connect_timeout_s"], "connect_timeout_s") ?? c.connectTimeout
        c.totalTimeout = try number(root["total_timeout_s"], "total_timeout_s") ?? c.totalTimeout
        return c
    }

    /// The example written by `harvest init`.
    public static let example = """
        {
          "teacher": {
            "base_url": "http://127.0.0.1:8000/v1",
            "model": "Qwen/Qwen2.5-7B-Instruct",
            "endpoint": "chat",
            "api_key_env": "TEACHER_API_KEY"
          },
          "sampling": {
            "max_tokens": 256,
            "temperature": 0.7,
            "top_p": 1.0,
            "seed": 1234,
            "logprobs": 5,
            "stop": [],
            "extra_body": {}
          },
          "samples": 2,
          "concurrency": 64,
          "max_attempts": 8,
          "connect_timeout_s": 10,
          "total_timeout_s": 600
        }

        """
}
