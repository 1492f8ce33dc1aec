import HarvestCore
import Logging
import SQLiteStore
import Synchronization

/// The ``JobStore`` a ``SweepRunner`` works against inside the daemon: claims come from every active run of
/// one teacher (not one sweep), each claimed job gets the teacher's current key variable and first URL (the
/// traffic controller picks the replica per request), and outcomes are counted for the metrics. While
/// ``pause()`` is in effect claims return nothing, so the runner finishes its in-flight work and returns (used to
/// apply a reloaded config).
final class TeacherQueue: JobStore {
    struct Routing {
        var baseURL: String
        var apiKeyEnv: String?
        var paused = false
        var cursors: [Int64: Int64] = [:]
        var claimed = 0
    }

    let store: any HarvestDatabase
    let identity: TeacherEndpoint
    let metrics: DaemonMetrics
    let logger: Logger
    private let routing: Mutex<Routing>

    init(store: any HarvestDatabase, teacher: TeacherConfig, metrics: DaemonMetrics, logger: Logger) {
        self.store = store
        identity = teacher.endpointForJobs
        self.metrics = metrics
        self.logger = logger
        routing = Mutex(Routing(baseURL: teacher.baseURLs[0], apiKeyEnv: teacher.apiKeyEnv))
    }

    /// Jobs claimed since the queue was created.
    var claimedCount: Int { routing.withLock { $0.claimed } }

    /// Stops handing out jobs.
    func pause() { routing.withLock { $0.paused = true } }

    /// Hands out jobs again, with the settings of `teacher`.
    func resume(_ teacher: TeacherConfig) {
        routing.withLock { r in
            r.paused = false
            r.baseURL = teacher.baseURLs[0]
            r.apiKeyEnv = teacher.apiKeyEnv
        }
    }

    func claimJobs(sweepId: Int64, owner: String, limit: Int, leaseSeconds: Double) async throws -> [Job] {
        let cursors: [Int64: Int64]? = routing.withLock { $0.paused ? nil : $0.cursors }
        guard let cursors else { return [] }
        let claim = try await store.claimQueued(teacher: identity, owner: owner, limit: limit, leaseSeconds: leaseSeconds, cursors: cursors)
        for run in claim.finishedRuns {
            logger.notice("run finished: every job is done or failed",
                          metadata: ["run.id": "\(run.runId)", "sweep.id": "\(run.sweepId)", "sweep.name": "\(run.sweepName)"])
        }
        for run in claim.budgetStoppedRuns {
            logger.warning("run reached its budget: no new jobs are sent for it (raise sweeps[].budget and run `harvest sweep NAME` again to continue)",
                           metadata: ["run.id": "\(run.runId)", "sweep.id": "\(run.sweepId)", "sweep.name": "\(run.sweepName)"])
        }
        return routing.withLock { r in
            r.cursors = claim.cursors
            r.claimed += claim.jobs.count
            return claim.jobs.map { job in
                var job = job
                job.teacher.baseURL = r.baseURL
                job.teacher.apiKeyEnv = r.apiKeyEnv
                return job
            }
        }
    }

    func recordFailure(_ attempt: AttemptRecord, final: Bool) async throws {
        try await store.recordFailure(attempt, final: final)
        if final { metrics.jobFailed(teacher: identity.name) } else { metrics.retried(teacher: identity.name) }
    }

    func commitSuccess(_ attempt: AttemptRecord, response: ResponseRecord) async throws {
        try await store.commitSuccess(attempt, response: response)
        metrics.jobDone(teacher: identity.name)
    }

    func release(jobIds: [Int64], owner: String) async throws {
        try await store.release(jobIds: jobIds, owner: owner)
    }
}
