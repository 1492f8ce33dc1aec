import HarvestCore

/// Setting work up: prompt sets, sweeps and their jobs, and what a foreground sweep checks before it sends
/// anything (`harvest import`, `harvest sweep SET --run`). Both backends apply the same rules: prompts stored once
/// by content hash, an import all or nothing, job keys from ``JobKey/make(promptHash:teacher:params:sampleIndex:)``.
public protocol SetupStore: Sendable {
    /// Imports prompts into set `setName` (created when missing) in one all-or-nothing transaction; a re-import is a
    /// no-op, an id of the set with other messages is refused (`StoreError.conflict`, nothing written).
    func importPrompts(setName: String, prompts: [PromptInput], sourceName: String) async throws -> ImportSummary
    /// Creates sweep `name` (or re-runs it: same set, teacher and parameters) with a job per prompt and sample; jobs
    /// already done are never touched, failed ones go back to pending.
    func createSweep(name: String, setName: String, teacher: TeacherEndpoint, params: SamplingParams, samples: Int) async throws -> SweepSummary
    /// Prompt sets by name, with their number of members.
    func setNames() async throws -> [(name: String, count: Int)]
    /// Number of jobs of sweep `sweepId` in each state (states with no jobs map to 0).
    func jobStates(sweepId: Int64) async throws -> [JobState: Int]
    /// The URL identity an older version stored for a sweep of this set, model, endpoint kind and parameters (see
    /// `SweepIdentity`); nil when there is none.
    func legacyTeacherIdentity(setName: String, model: String, kind: EndpointKind, canonicalParams: String) async throws -> String?
    /// Answers (done jobs) for prompts of `setName` from `model` over `kind`, by teacher identity, most first.
    func answeredIdentities(setName: String, model: String, kind: EndpointKind) async throws -> [(name: String, answers: Int)]
    /// Members of `setName` whose conversation does not end with an assistant turn (cannot be scored): how many, and
    /// the first id.
    func unscorableMembers(setName: String) async throws -> (count: Int, firstId: String?)
}
