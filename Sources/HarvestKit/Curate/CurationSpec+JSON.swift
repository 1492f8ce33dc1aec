import Foundation
import HarvestCurate
import HarvestJSON

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
        let reader = CurationFieldReader(path: path)
        var spec = CurationSpec()
        let top = try reader.object(root, "")
        try reader.only(top, ["prompt_text", "exact", "near", "decontaminate", "filters"], "")
        if let v = top["prompt_text"] {
            let s = try reader.string(v, "prompt_text")
            guard let p = PromptTextSource(rawValue: s) else { throw reader.bad("prompt_text", "must be \"user\" or \"all\"") }
            spec.promptText = p
        }
        if let v = top["exact"] {
            if case .bool(let on) = v { spec.exact = on } else {
                let o = try reader.object(v, "exact")
                try reader.only(o, ["target"], "exact")
                spec.exact = true
                if let t = o["target"] { spec.exactTarget = try reader.target(t, "exact.target") }
            }
        }
        if let v = top["near"] {
            if case .bool(let on) = v { spec.nearThreshold = on ? 0.8 : nil } else {
                let o = try reader.object(v, "near")
                try reader.only(o, ["threshold", "target"], "near")
                spec.nearThreshold = try o["threshold"].map { try reader.number($0, "near.threshold") } ?? 0.8
                if let t = o["target"] { spec.nearTarget = try reader.target(t, "near.target") }
            }
        }
        if let v = top["decontaminate"] {
            let o = try reader.object(v, "decontaminate")
            try reader.only(o, ["files", "n", "fields"], "decontaminate")
            let dir = (path as NSString).deletingLastPathComponent
            spec.evalFiles = try (o["files"].map { try reader.strings($0, "decontaminate.files") } ?? []).map {
                $0.hasPrefix("/") || dir.isEmpty ? $0 : (dir as NSString).appendingPathComponent($0)
            }
            if let n = o["n"] { spec.decontamN = try reader.int(n, "decontaminate.n") }
            if let f = o["fields"] { spec.decontamFields = try reader.strings(f, "decontaminate.fields") }
        }
        if let v = top["filters"] {
            let f = try reader.object(v, "filters")
            let keys = ["finish_reasons", "min_tokens", "max_tokens", "min_chars", "max_chars", "refusals", "refusal_patterns",
                        "max_repetition", "min_mean_logprob", "require_reasoning", "must_match", "must_not_match", "json_valid"]
            try reader.only(f, keys, "filters")
            func key(_ k: String) -> String { "filters." + k }
            spec.dropFinishReasons = try f["finish_reasons"].map { try reader.strings($0, key("finish_reasons")) }
            spec.minTokens = try f["min_tokens"].map { try reader.int($0, key("min_tokens")) }
            spec.maxTokens = try f["max_tokens"].map { try reader.int($0, key("max_tokens")) }
            spec.minChars = try f["min_chars"].map { try reader.int($0, key("min_chars")) }
            spec.maxChars = try f["max_chars"].map { try reader.int($0, key("max_chars")) }
            spec.refusals = try f["refusals"].map { try reader.bool($0, key("refusals")) } ?? false
            spec.refusalPatterns = try f["refusal_patterns"].map { try reader.strings($0, key("refusal_patterns")) } ?? []
            spec.maxRepetition = try f["max_repetition"].map { try reader.number($0, key("max_repetition")) }
            spec.minMeanLogprob = try f["min_mean_logprob"].map { try reader.number($0, key("min_mean_logprob")) }
            spec.requireReasoning = try f["require_reasoning"].map { try reader.bool($0, key("require_reasoning")) } ?? false
            spec.mustMatch = try f["must_match"].map { try reader.strings($0, key("must_match")) } ?? []
            spec.mustNotMatch = try f["must_not_match"].map { try reader.strings($0, key("must_not_match")) } ?? []
            spec.jsonValid = try f["json_valid"].map { try reader.bool($0, key("json_valid")) } ?? false
        }
        return spec
    }
}

/// Typed access to the config's JSON with errors naming `file: field "key"`.
private struct CurationFieldReader {
    let path: String

    func bad(_ key: String, _ message: String) -> CurationError {
        CurationError(.parameter, location: path, field: key, message, hint: "fix the curation config (docs/CONFIG.md, Curation); nothing was marked")
    }

    func object(_ v: JSONValue, _ key: String) throws(CurationError) -> [String: JSONValue] {
        guard let o = v.objectValue else { throw bad(key.isEmpty ? "(top level)" : key, "must be an object, got \(v.typeName)") }
        var out: [String: JSONValue] = [:]
        for (k, value) in o where out[k] == nil { out[k] = value }
        return out
    }

    func only(_ o: [String: JSONValue], _ allowed: [String], _ prefix: String) throws(CurationError) {
        for k in o.keys.sorted() where !allowed.contains(k) {
            throw bad(prefix.isEmpty ? k : prefix + "." + k, "is not a known key (known: \(allowed.joined(separator: ", ")))")
        }
    }

    func string(_ v: JSONValue, _ key: String) throws(CurationError) -> String {
        guard let s = v.stringValue else { throw bad(key, "must be a string, got \(v.typeName)") }
        return s
    }

    func strings(_ v: JSONValue, _ key: String) throws(CurationError) -> [String] {
        guard let a = v.arrayValue else { throw bad(key, "must be an array of strings, got \(v.typeName)") }
        var out: [String] = []
        for (i, item) in a.enumerated() { out.append(try string(item, "\(key)[\(i)]")) }
        return out
    }

    func number(_ v: JSONValue, _ key: String) throws(CurationError) -> Double {
        guard let d = v.doubleValue else { throw bad(key, "must be a number, got \(v.typeName)") }
        return d
    }

    func int(_ v: JSONValue, _ key: String) throws(CurationError) -> Int {
        guard let i = v.intValue else { throw bad(key, "must be an integer, got \(v.typeName)") }
        return i
    }

    func bool(_ v: JSONValue, _ key: String) throws(CurationError) -> Bool {
        guard let b = v.boolValue else { throw bad(key, "must be true or false, got \(v.typeName)") }
        return b
    }

    func target(_ v: JSONValue, _ key: String) throws(CurationError) -> DedupTarget {
        guard let t = CurationSpec.target(try string(v, key)) else { throw bad(key, "must be \"prompts\", \"responses\" or \"both\"") }
        return t
    }
}
