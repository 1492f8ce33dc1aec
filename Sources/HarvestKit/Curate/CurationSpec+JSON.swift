import Foundation
import HarvestCurate
import HarvestJSON
import HarvestVerify

extension CurationSpec {
    /// Reads a JSON curation config (see docs/CONFIG.md, "Curation"). Unknown keys and wrongly typed values are
    /// errors naming the file and the key. Relative eval-set paths are resolved against the config's folder.
    public static func load(path: String) throws(CurationError) -> CurationSpec {
        do {
            return try parse(path: path)
        } catch let error as CurationError {
            throw error
        } catch {
            throw CurationError(.parameter, location: path, "\(error)", hint: "fix the curation config; nothing was marked")
        }
    }

    private static func parse(path: String) throws -> CurationSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CurationError(.parameter, location: path, "cannot read the curation config", hint: "check the --config path")
        }
        let root: JSONValue
        do { root = try JSONValue.parse(Array(data)) } catch {
            throw CurationError(.parameter, location: path, "is not valid JSON (\(error.message) at byte \(error.offset))",
                                hint: "fix the JSON; nothing was marked")
        }
        do {
            return try parse(root, file: path)
        } catch {
            throw CurationError(.parameter, location: error.file, field: error.field, error.message,
                                hint: "fix the curation config (docs/CONFIG.md, Curation); nothing was marked")
        }
    }

    /// Reads the curation config with the one config reader (``ConfigReader``): unknown keys refused, errors
    /// naming the field path.
    private static func parse(_ root: JSONValue, file path: String) throws(ConfigFileError) -> CurationSpec {
        var spec = CurationSpec()
        let top = try ConfigReader(file: path, path: "", value: root, keys: ["prompt_text", "exact", "near", "decontaminate", "filters", "verify"])
        if let s = try top.string("prompt_text") {
            guard let p = PromptTextSource(rawValue: s) else { throw top.bad("prompt_text", "must be \"user\" or \"all\"") }
            spec.promptText = p
        }
        if let v = top.value("exact") {
            if case .bool(let on) = v { spec.exact = on } else if let o = try top.object("exact", keys: ["target"]) {
                spec.exact = true
                if let t = try o.string("target") { spec.exactTarget = try target(t, o, "target") }
            }
        }
        if let v = top.value("near") {
            if case .bool(let on) = v { spec.nearThreshold = on ? 0.8 : nil } else if let o = try top.object("near", keys: ["threshold", "target"]) {
                spec.nearThreshold = try o.number("threshold") ?? 0.8
                if let t = try o.string("target") { spec.nearTarget = try target(t, o, "target") }
            }
        }
        if let o = try top.object("decontaminate", keys: ["files", "n", "fields"]) {
            let dir = (path as NSString).deletingLastPathComponent
            spec.evalFiles = try strings(o, "files").map {
                $0.hasPrefix("/") || dir.isEmpty ? $0 : (dir as NSString).appendingPathComponent($0)
            }
            if let n = try o.int("n", min: Int.min) { spec.decontamN = n }
            if o.value("fields") != nil { spec.decontamFields = try strings(o, "fields") }
        }
        let filterKeys = ["finish_reasons", "min_tokens", "max_tokens", "min_chars", "max_chars", "refusals", "refusal_patterns",
                          "max_repetition", "min_mean_logprob", "require_reasoning", "must_match", "must_not_match", "json_valid"]
        if let f = try top.object("filters", keys: filterKeys) {
            if f.value("finish_reasons") != nil { spec.dropFinishReasons = try strings(f, "finish_reasons") }
            spec.minTokens = try f.int("min_tokens", min: Int.min)
            spec.maxTokens = try f.int("max_tokens", min: Int.min)
            spec.minChars = try f.int("min_chars", min: Int.min)
            spec.maxChars = try f.int("max_chars", min: Int.min)
            spec.refusals = try f.bool("refusals") ?? false
            spec.refusalPatterns = try strings(f, "refusal_patterns")
            spec.maxRepetition = try f.number("max_repetition")
            spec.minMeanLogprob = try f.number("min_mean_logprob")
            spec.requireReasoning = try f.bool("require_reasoning") ?? false
            spec.mustMatch = try strings(f, "must_match")
            spec.mustNotMatch = try strings(f, "must_not_match")
            spec.jsonValid = try f.bool("json_valid") ?? false
        }
        if let v = top.value("verify") {
            if case .bool(let on) = v { spec.verify = on } else if let o = try top.object("verify", keys: ["verifier", "min_pass_rate", "max_pass_rate"]) {
                spec.verify = true
                if let name = try o.string("verifier") {
                    guard let kind = VerifierKind(name: name) else { throw o.bad("verifier", "must be one of \(VerifierKind.names)") }
                    spec.verifier = kind
                }
                spec.minPassRate = try o.number("min_pass_rate")
                spec.maxPassRate = try o.number("max_pass_rate")
            }
        }
        return spec
    }

    /// An array-of-strings member (empty when absent).
    private static func strings(_ r: ConfigReader, _ key: String) throws(ConfigFileError) -> [String] {
        var out: [String] = []
        for (i, item) in (try r.array(key) ?? []).enumerated() {
            guard let s = item.stringValue else { throw r.bad("\(key)[\(i)]", "expected a string, found \(item.typeName)") }
            out.append(s)
        }
        return out
    }

    private static func target(_ text: String, _ r: ConfigReader, _ key: String) throws(ConfigFileError) -> DedupTarget {
        guard let t = CurationSpec.target(text) else { throw r.bad(key, "must be \"prompts\", \"responses\" or \"both\"") }
        return t
    }
}
