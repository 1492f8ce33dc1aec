import HarvestJSON

/// What a curation run did (or, dry, would do) to a set: rows, kept, and marks by stage.
public struct CurationReport: Sendable, Equatable {
    /// The prompt set.
    public var setName: String
    /// Nothing was written.
    public var dryRun: Bool
    /// Responses in the set.
    public var responses = 0
    /// Responses judged by at least one stage in this run (not judged before under the same parameters).
    public var examined = 0
    /// Responses with at least one mark after the run.
    public var dropped = 0
    /// Marks added by this run, by stage.
    public var newMarks: [String: Int] = [:]
    /// Marks removed because their stage's parameters changed or the stage is no longer configured, by stage.
    public var removedMarks: [String: Int] = [:]
    /// All marks on the set's responses after the run, by stage.
    public var marksByStage: [String: Int] = [:]
    /// The run's id in `curation_runs` (nil for a dry run).
    public var runId: Int64?

    /// Creates an empty report.
    public init(setName: String, dryRun: Bool) {
        self.setName = setName
        self.dryRun = dryRun
    }

    /// Responses without marks.
    public var kept: Int { responses - dropped }

    /// A table for people.
    public func table() -> String {
        var out = dryRun ? "dry run: nothing was written\n" : ""
        out += "set \(setName): \(responses) responses, \(examined) examined in this run\n"
        let stages = Set(marksByStage.keys).union(newMarks.keys).union(removedMarks.keys).sorted()
        if !stages.isEmpty {
            let width = max(12, stages.map(\.count).max() ?? 0)
            func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
            func num(_ n: Int) -> String { String(repeating: " ", count: max(0, 8 - String(n).count)) + String(n) }
            out += pad("stage", width) + "     new removed    total\n"
            for s in stages {
                out += pad(s, width) + num(newMarks[s] ?? 0) + num(removedMarks[s] ?? 0) + num(marksByStage[s] ?? 0) + "\n"
            }
        }
        out += "kept \(kept), dropped \(dropped) (a dropped response may have marks from several stages)\n"
        return out
    }

    /// JSON for scripts: `set`, `dry_run`, `responses`, `examined`, `kept`, `dropped`, `new_marks`, `removed_marks`,
    /// `marks_by_stage`, `run_id`.
    public func json(pretty: Bool = true) -> String {
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) }) }
        let value = JSONValue.object([
            ("set", .string(setName)), ("dry_run", .bool(dryRun)), ("responses", .number(Double(responses))),
            ("examined", .number(Double(examined))), ("kept", .number(Double(kept))), ("dropped", .number(Double(dropped))),
            ("new_marks", counts(newMarks)), ("removed_marks", counts(removedMarks)), ("marks_by_stage", counts(marksByStage)),
            ("run_id", runId.map { .number(Double($0)) } ?? .null),
        ])
        return value.jsonString
    }
}
