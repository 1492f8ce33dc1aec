import Foundation
import HarvestCore
import HarvestJSON
import HarvestStore

/// One stored response with its curation marks, for `harvest inspect`: prompt messages, answer, reasoning, usage,
/// per-token logprobs with top-k alternatives, and why it was dropped (if it was).
public struct ResponseInspection: Sendable {
    /// The response (logprobs decoded).
    public var response: StoredResponse
    /// Its curation marks (empty: kept).
    public var marks: [CurationMarkRecord]
    /// The prompt's ids in prompt sets, `(set, external id)`, by set name then id.
    public var memberships: [(set: String, externalId: String)] = []
    /// Its verdicts of the `verify` stage, per prompt set.
    public var verdicts: [(setName: String, record: VerificationRecord)] = []

    /// Loads response `id` (SQLite or PostgreSQL), or nil when there is none.
    public static func load(store: any CorpusReader, id: Int64) throws -> ResponseInspection? {
        guard var r = try store.response(id: id) else { return nil }
        let memberships = try store.memberships(promptId: r.promptId)
        if r.externalId == nil { r.externalId = memberships.first?.externalId }
        var inspection = ResponseInspection(response: r, marks: try store.marks(responseId: id), memberships: memberships)
        inspection.verdicts = try store.verifications(responseId: id)
        return inspection
    }

    /// JSON: `id`, `prompt_id`, `external_id` (its id in the first set by name; null when in no set), `sets`
    /// [{`set`, `external_id`}], `sample_index`, `teacher`, `model`, `messages`, `content`, `reasoning`, `finish_reason`,
    /// `usage`, `logprobs` [{`token`, `logprob`, `top` [{`token`, `logprob`}]}], `marks` [{`stage`, `reason`, `detail`, `run_id`}].
    public func json() -> String {
        let r = response
        func int(_ i: Int?) -> JSONValue { i.map { .number(Double($0)) } ?? .null }
        func str(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        let usage: JSONValue = r.usage.map { u in
            .object([("prompt_tokens", int(u.promptTokens)), ("completion_tokens", int(u.completionTokens)),
                     ("total_tokens", int(u.totalTokens)), ("reasoning_tokens", int(u.reasoningTokens))])
        } ?? .null
        let logprobs: JSONValue = r.choice.logprobs.map { tokens in
            .array(tokens.map { t in
                .object([("token", .string(t.token)), ("logprob", .number(t.logprob)),
                         ("top", .array(t.top.map { .object([("token", .string($0.token)), ("logprob", .number($0.logprob))]) }))])
            })
        } ?? .null
        let marks = JSONValue.array(marks.map { m in
            .object([("stage", .string(m.stage)), ("reason", .string(m.reason)),
                     ("detail", (try? JSONValue.parse(m.detail)) ?? .string(m.detail)), ("run_id", .number(Double(m.runId)))])
        })
        return JSONValue.object([
            ("id", .number(Double(r.id))), ("prompt_id", .number(Double(r.promptId))), ("external_id", str(r.externalId)),
            ("sets", .array(memberships.map { .object([("set", .string($0.set)), ("external_id", .string($0.externalId))]) })),
            ("sample_index", .number(Double(r.sampleIndex))), ("teacher", .string(r.teacher.name)), ("model", str(r.model)),
            ("messages", .array(r.messages.map { .object([("role", .string($0.role)), ("content", .string($0.content))]) })),
            ("content", .string(r.choice.content)), ("reasoning", str(r.choice.reasoning)), ("finish_reason", str(r.choice.finishReason)),
            ("usage", usage), ("logprobs", logprobs), ("kept", .bool(self.marks.isEmpty)), ("marks", marks),
            ("verification", .array(verdicts.map { v in
                .object([("set", .string(v.setName)), ("verdict", .string(v.record.verdict)), ("extracted", str(v.record.extracted)),
                         ("rule", str(v.record.rule)), ("verifier", .string(v.record.verifier)), ("reason", .string(v.record.reason))])
            })),
        ]).jsonString
    }

    /// A text report; the logprob table shows up to `maxTokens` tokens.
    public func text(maxTokens: Int = 200) -> String {
        let r = response
        var out = "response \(r.id) (prompt \(r.promptId), sample \(r.sampleIndex), teacher \(r.teacher.name), model \(r.model ?? "-"))\n"
        out += "\n== prompt\n"
        for m in r.messages { out += "[\(m.role)] \(m.content)\n" }
        if let reasoning = r.choice.reasoning, !reasoning.isEmpty { out += "\n== reasoning\n\(reasoning)\n" }
        out += "\n== answer (finish_reason \(r.choice.finishReason ?? "-"))\n\(r.choice.content)\n"
        if let u = r.usage {
            func s(_ i: Int?) -> String { i.map(String.init) ?? "-" }
            out += "\n== usage\nprompt \(s(u.promptTokens)), completion \(s(u.completionTokens)), total \(s(u.totalTokens)), "
                + "reasoning \(s(u.reasoningTokens))\n"
        }
        if let tokens = r.choice.logprobs, !tokens.isEmpty {
            out += "\n== logprobs (\(tokens.count) tokens)\n"
            out += "   #  token                 logprob  top alternatives\n"
            for (i, t) in tokens.prefix(maxTokens).enumerated() {
                let alts = t.top.map { "\(Self.quote($0.token)) \(String(format: "%.3f", $0.logprob))" }.joined(separator: ", ")
                out += Self.pad(String(i), 4, left: true) + "  " + Self.pad(Self.quote(t.token), 20) + Self.pad(String(format: "%.4f", t.logprob), 9, left: true)
                    + "  " + alts + "\n"
            }
            if tokens.count > maxTokens { out += "  … \(tokens.count - maxTokens) more (use --json for all)\n" }
        }
        out += "\n== curation\n"
        if marks.isEmpty { out += "kept (no marks)\n" }
        for m in marks { out += "dropped by \(m.stage) (run \(m.runId)): \(m.reason)\n  \(m.detail)\n" }
        if !verdicts.isEmpty {
            out += "\n== verification\n"
            for v in verdicts {
                out += "set \(v.setName): \(v.record.verdict) (verifier \(v.record.verifier)); extracted "
                    + (v.record.extracted.map { Self.quote($0) + " by rule " + (v.record.rule ?? "-") } ?? "nothing") + "\n  \(v.record.reason)\n"
            }
        }
        return out
    }

    private static func quote(_ token: String) -> String {
        "\"" + token.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") + "\""
    }

    private static func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, n - s.count))
        return left ? fill + s : s + fill
    }
}
