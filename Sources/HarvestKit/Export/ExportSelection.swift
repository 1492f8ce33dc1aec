import HarvestCore

/// Which stored responses an export takes, and which sample of each prompt.
public struct ExportSelection: Sendable, Equatable {
    /// Which samples of a prompt to keep.
    public enum Samples: String, Sendable, CaseIterable {
        /// Every sample.
        case all
        /// The lowest sample index of each prompt.
        case first
        /// The sample with the highest mean token logprob (rows without logprobs rank last). When the set has
        /// verdicts (`harvest curate --verify`), only a correct sample, ranked by ``ExportSelection/bestBy``.
        case best
    }

    /// How `--samples best` ranks the correct samples of a prompt.
    public enum BestBy: String, Sendable, CaseIterable {
        /// Highest mean token logprob.
        case logprob
        /// Fewest completion tokens (usage), else fewest characters.
        case shortest
    }

    /// Only responses to prompts of this set.
    public var setName: String?
    /// Only responses of this sweep.
    public var sweepId: Int64?
    /// Only responses from this teacher (matched against the teacher's name, base URL or model).
    public var teacher: String?
    /// Only responses received at or after this Unix time.
    public var since: Double?
    /// Only responses whose mean token logprob is at least this (rows without logprobs are dropped).
    public var minMeanLogprob: Double?
    /// Sample policy.
    public var samples: Samples
    /// Stop after this many rows.
    public var limit: Int?
    /// Also take responses that curation marked as dropped (`harvest export --include-dropped`).
    public var includeDropped: Bool
    /// Ranking of correct samples for `best`.
    public var bestBy: BestBy = .logprob
    /// Only prompts whose pass rate (correct / verified answers of the set) is at least this.
    public var minPassRate: Double?
    /// Only prompts whose pass rate is at most this.
    public var maxPassRate: Double?

    /// Creates a selection.
    public init(setName: String? = nil, sweepId: Int64? = nil, teacher: String? = nil, since: Double? = nil,
                minMeanLogprob: Double? = nil, samples: Samples = .all, limit: Int? = nil, includeDropped: Bool = false) {
        self.setName = setName
        self.sweepId = sweepId
        self.teacher = teacher
        self.since = since
        self.minMeanLogprob = minMeanLogprob
        self.samples = samples
        self.limit = limit
        self.includeDropped = includeDropped
    }

    /// True when `row` passes the per-row filters (teacher, time, mean logprob).
    func accepts(_ row: StoredResponse) -> Bool {
        if let teacher, row.teacher.name != teacher, row.teacher.baseURL != teacher, row.teacher.model != teacher { return false }
        if let since, row.receivedAt < since { return false }
        if let minMeanLogprob {
            guard let mean = row.logprobColumns?.meanSampledLogprob ?? Self.meanLogprob(row.choice.logprobs),
                  mean >= minMeanLogprob else { return false }
        }
        return true
    }

    /// The mean of the sampled tokens' logprobs (finite ones), or nil without logprobs.
    public static func meanLogprob(_ tokens: [TokenLogprob]?) -> Double? {
        guard let tokens, !tokens.isEmpty else { return nil }
        var sum = 0.0
        var n = 0
        for t in tokens where t.logprob.isFinite && t.logprob > -9999 {
            sum += t.logprob
            n += 1
        }
        return n > 0 ? sum / Double(n) : nil
    }

    /// Parses `--since`: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ`, or Unix seconds.
    public static func parseSince(_ text: String) -> Double? {
        if let seconds = Double(text) { return seconds }
        let parts = text.split(whereSeparator: { "-T:Z ".contains($0) }).map { Int($0) }
        guard parts.count == 3 || parts.count == 6, parts.allSatisfy({ $0 != nil }) else { return nil }
        let p = parts.map { $0! }
        let date = "Mon, \(p[2] < 10 ? "0" : "")\(p[2]) \(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][max(0, min(11, p[1] - 1))]) \(p[0]) "
            + (parts.count == 6 ? String(format2(p[3]) + ":" + format2(p[4]) + ":" + format2(p[5])) : "00:00:00") + " GMT"
        guard (1...12).contains(p[1]), (1...31).contains(p[2]) else { return nil }
        return HTTPDate.parse(date)
    }
}

private func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
