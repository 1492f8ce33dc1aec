import HarvestCore
import HarvestKit
import SQLiteStore

/// One configured sweep: a prompt set answered `samples` times by one teacher with fixed sampling parameters.
/// `harvest sweep NAME` queues a run of it; `harvest serve` works the run off.
public struct SweepConfig: Sendable, Equatable {
    /// The sweep's name (also its name in the database).
    public var name: String
    /// The prompt set to answer.
    public var promptSet: String
    /// A prompt file imported into `promptSet` before each run (idempotent; new lines become new prompts).
    public var promptFile: String?
    /// The configured teacher's name.
    public var teacher: String
    /// Samples per prompt.
    public var samples: Int
    /// The teacher's sampling defaults with this sweep's `sampling` keys applied on top.
    public var params: SamplingParams
    /// When the sweep is meant to run (informational: cron or a systemd timer triggers it), e.g. `"daily 02:00"`.
    public var schedule: String?
    /// Most one run of this sweep may spend, in the currency of the teacher's prices; nil = no limit.
    public var budget: Double?
    /// How `harvest serve` sends the jobs (`via`): one request each, or through the teacher's batch API.
    public var via: RunVia

    /// Creates a sweep.
    public init(name: String, promptSet: String, promptFile: String? = nil, teacher: String, samples: Int = 1,
                params: SamplingParams = SamplingParams(), schedule: String? = nil, budget: Double? = nil, via: RunVia = .requests) {
        self.name = name
        self.promptSet = promptSet
        self.promptFile = promptFile
        self.teacher = teacher
        self.samples = samples
        self.params = params
        self.schedule = schedule
        self.budget = budget
        self.via = via
    }

    static let keys = ["name", "prompt_set", "prompt_file", "set", "teacher", "samples", "sampling", "schedule", "budget", "via"]

    static func parse(_ r: ConfigReader, teachers: [TeacherConfig], baseDirectory: String) throws(DaemonConfigError) -> SweepConfig {
        let name = try r.requiredString("name", "every sweep needs a name (`harvest sweep NAME` queues it)")
        let teacherName = try r.requiredString("teacher", "the name of a teacher from \"teachers\"")
        guard let teacher = teachers.first(where: { $0.name == teacherName }) else {
            throw r.bad("teacher", "no teacher named \"\(teacherName)\" (configured: \(teachers.map(\.name).joined(separator: ", ")))")
        }
        let promptSet = try r.string("prompt_set")
        let promptFile = try r.string("prompt_file")
        let set = try r.string("set")
        if promptSet != nil, set != nil { throw r.bad("set", "give either prompt_set or prompt_file with set, not both") }
        guard let setName = promptSet ?? set ?? (promptFile == nil ? nil : name), !setName.isEmpty else {
            throw r.bad("prompt_set", "missing: name an imported prompt set, or give prompt_file (and set) to import one")
        }
        var params = teacher.sampling
        if let s = try r.object("sampling", keys: ConfigReader.samplingKeys) {
            try s.applySampling(to: &params)
            do {
                try params.prepareScoring(endpoint: teacher.endpoint)
            } catch {
                throw s.bad("score", error.message)
            }
            if let e = teacher.server.unsupported(params) { throw s.bad(e.field, e.message) }
        }
        var via = RunVia.requests
        if let text = try r.string("via") {
            guard let v = RunVia(rawValue: text) else { throw r.bad("via", "must be \"requests\" or \"batch\", found \"\(text)\"") }
            via = v
        }
        if via == .batch, params.score != nil {
            throw r.bad("via", "a scoring sweep (sampling.score) runs through requests: batch APIs score no sequences")
        }
        let budget = try r.number("budget", min: 0)
        if via == .batch, budget != nil, params.maxTokens == nil {
            throw r.bad("budget", "a batch sweep with a budget needs sampling.max_tokens (each line's worst case is checked against the budget before a file is submitted)")
        }
        return SweepConfig(name: name, promptSet: setName, promptFile: promptFile.map { ConfigPaths.resolve($0, against: baseDirectory) },
                           teacher: teacherName, samples: try r.int("samples", min: 1) ?? 1, params: params,
                           schedule: try r.string("schedule"), budget: budget, via: via)
    }
}
