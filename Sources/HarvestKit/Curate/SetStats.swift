import HarvestCore
import HarvestJSON
import HarvestStore

/// Figures of one prompt set for `harvest stats`: sizes, completion-token distribution, mean token logprob,
/// finish reasons and curation drops. Reads the set page by page.
public struct SetStats: Sendable, Equatable {
    /// The set.
    public var setName: String
    /// Distinct prompts with at least one response.
    public var prompts = 0
    /// Responses.
    public var responses = 0
    /// Completion tokens (usage, else the number of logprob tokens): mean, median, 95th percentile; nil without data.
    public var meanTokens: Double?, medianTokens: Int?, p95Tokens: Int?
    /// Mean logprob over every sampled token of every response with logprobs; nil without logprobs.
    public var meanLogprob: Double?
    /// Responses with stored logprobs.
    public var withLogprobs = 0
    /// Responses by finish reason (`null` when not reported).
    public var finishReasons: [String: Int] = [:]
    /// Curation marks by stage.
    public var drops: [String: Int] = [:]
    /// Responses with at least one mark.
    public var dropped = 0
    /// Verdicts of the `verify` stage over the whole set (empty before verification).
    public var verdicts: [VerdictCounts] = []
    /// Verdicts per teacher.
    public var verdictsByTeacher: [VerdictCounts] = []
    /// Verdicts per sample index.
    public var verdictsBySample: [VerdictCounts] = []

    /// Computes the figures of set `setName` (SQLite or PostgreSQL). Throws `StoreError.unknownSet`.
    public static func compute(store: any CorpusReader, setName: String, pageSize: Int = 2000) throws -> SetStats {
        var s = SetStats(setName: setName)
        var prompts = Set<Int64>()
        var tokens: [Int] = []
        var sum = 0.0
        var count = 0
        let pages = try store.openResponsePages(query: ResponseQuery(setName: setName, limit: pageSize, includeLogprobs: true))
        defer { pages.close() }
        while let page = try pages.next() {
            for r in page {
                s.responses += 1
                prompts.insert(r.promptId)
                s.finishReasons[r.choice.finishReason ?? "null", default: 0] += 1
                if let t = r.usage?.completionTokens ?? r.choice.logprobs?.count { tokens.append(t) }
                if let lps = r.choice.logprobs, !lps.isEmpty {
                    s.withLogprobs += 1
                    for t in lps where t.logprob.isFinite && t.logprob > -9999 {
                        sum += t.logprob
                        count += 1
                    }
                }
            }
        }
        s.prompts = prompts.count
        if !tokens.isEmpty {
            tokens.sort()
            s.meanTokens = Double(tokens.reduce(0, +)) / Double(tokens.count)
            s.medianTokens = tokens[(tokens.count - 1) / 2]
            s.p95Tokens = tokens[min(tokens.count - 1, Int((Double(tokens.count) * 0.95).rounded(.up)) - 1)]
        }
        if count > 0 { s.meanLogprob = sum / Double(count) }
        s.drops = try store.curationCounts(setName: setName)
        s.dropped = try store.curationTotals(setName: setName).dropped
        s.verdicts = try store.verdictCounts(setName: setName, by: "all")
        s.verdictsByTeacher = try store.verdictCounts(setName: setName, by: "teacher")
        s.verdictsBySample = try store.verdictCounts(setName: setName, by: "sample")
        return s
    }

    /// JSON for scripts: `set`, `prompts`, `responses`, `kept`, `dropped`, `completion_tokens` {`mean`, `median`,
    /// `p95`}, `mean_logprob`, `with_logprobs`, `finish_reasons`, `drop_reasons`.
    public func json() -> String {
        func num(_ d: Double?) -> JSONValue { d.map { .number($0) } ?? .null }
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) }) }
        return JSONValue.object([
            ("set", .string(setName)), ("prompts", .number(Double(prompts))), ("responses", .number(Double(responses))),
            ("kept", .number(Double(responses - dropped))), ("dropped", .number(Double(dropped))),
            ("completion_tokens", .object([("mean", num(meanTokens)), ("median", num(medianTokens.map(Double.init))),
                                           ("p95", num(p95Tokens.map(Double.init)))])),
            ("mean_logprob", num(meanLogprob)), ("with_logprobs", .number(Double(withLogprobs))),
            ("finish_reasons", counts(finishReasons)), ("drop_reasons", counts(drops)),
            ("verification", verdicts.isEmpty ? .null : .object([
                ("all", Self.verdictJSON(verdicts.first)), ("by_teacher", .object(verdictsByTeacher.map { ($0.key, Self.verdictJSON($0)) })),
                ("by_sample", .object(verdictsBySample.map { ($0.key, Self.verdictJSON($0)) })),
            ])),
        ]).jsonString
    }

    /// A summary for people.
    public func table() -> String {
        func f(_ d: Double?) -> String { d.map { String(format: "%.3f", $0) } ?? "-" }
        var out = "set \(setName): \(prompts) prompts, \(responses) responses (\(responses - dropped) kept, \(dropped) dropped)\n"
        out += "completion tokens: mean \(f(meanTokens)), median \(medianTokens.map(String.init) ?? "-"), p95 \(p95Tokens.map(String.init) ?? "-")\n"
        out += "mean token logprob: \(f(meanLogprob)) (\(withLogprobs) responses with logprobs)\n"
        out += "finish reasons: " + (finishReasons.isEmpty ? "-" : finishReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) + "\n"
        out += "drop reasons:" + (drops.isEmpty ? " none\n" : "\n")
        for (stage, n) in drops.sorted(by: { $0.key < $1.key }) { out += "  \(stage)  \(n)\n" }
        if let all = verdicts.first {
            out += "verification (accuracy = correct / (correct + wrong + no_answer)):\n"
            out += "  set          " + Self.verdictLine(all) + "\n"
            for t in verdictsByTeacher { out += "  teacher \(t.key)  " + Self.verdictLine(t) + "\n" }
            for t in verdictsBySample { out += "  sample \(t.key)  " + Self.verdictLine(t) + "\n" }
        }
        return out
    }

    static func verdictLine(_ c: VerdictCounts) -> String {
        let acc = c.accuracy.map { String(format: "accuracy %.3f", $0) } ?? "accuracy -"
        return acc + " (" + ["correct", "wrong", "unverifiable", "no_answer"].map { "\($0) \(c.counts[$0, default: 0])" }.joined(separator: ", ") + ")"
    }

    static func verdictJSON(_ c: VerdictCounts?) -> JSONValue {
        guard let c else { return .null }
        var members: [(String, JSONValue)] = ["correct", "wrong", "unverifiable", "no_answer"].map { ($0, .number(Double(c.counts[$0, default: 0]))) }
        members.append(("accuracy", c.accuracy.map { .number($0) } ?? .null))
        return .object(members)
    }

    init(setName: String) {
        self.setName = setName
    }
}
