import Foundation
import HarvestCore
import HarvestKit
import HarvestStore
import Logging
import ServiceLifecycle
import SQLiteStore
import Synchronization

/// Works off the queued runs sent through a teacher's batch API (`sweeps[].via: "batch"`): every `poll_seconds`
/// it takes one non-blocking ``BatchCoordinator/step(sweepId:budget:now:)`` per active batch run — finish creating
/// recorded batches, poll those whose time has come, collect ended ones, record and submit files for pending jobs
/// within the run's budget — and ends a run when nothing of it is open. Everything it needs to resume is in the
/// database (stages, provider ids, poll schedule), so a restart, even after kill -9, picks up where it was.
/// Several daemons on one PostgreSQL database each run this service; a sweep is stepped by one of them at a time
/// (``BatchStore/withBatchSweepLock(sweepId:_:)``), the others skip it until the lock is free.
public final class BatchService: Service, Sendable {
    private struct Backoff {
        var until: Double
        var delay: Double
    }

    private let store: any HarvestDatabase
    private let config: DaemonConfigBox
    private let environment: [String: String]
    private let interval: Double
    private let metricsCache: BatchMetricsCache
    private let logger: Logger
    private let pipelines = Mutex<[String: TeacherPipeline]>([:])
    private let backoff = Mutex<[Int64: Backoff]>([:])
    private let warned = Mutex<Set<String>>([])
    /// When `/metrics`' batch cache was last refreshed (Unix seconds; PostgreSQL only).
    private let cacheRead = Mutex<Double>(0)

    init(store: any HarvestDatabase, config: DaemonConfigBox, environment: [String: String], interval: Double,
         metricsCache: BatchMetricsCache = BatchMetricsCache(), logger: Logger) {
        self.store = store
        self.config = config
        self.environment = environment
        self.interval = interval
        self.metricsCache = metricsCache
        self.logger = logger
    }

    /// Steps every active batch run each `poll_seconds` until graceful shutdown (a step under way finishes first).
    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await tick()
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: .milliseconds(Int(self.interval * 1000)))
            }
        }
        for pipeline in pipelines.withLock({ Array($0.values) }) { pipeline.shutdown() }
    }

    /// One pass over the active batch runs.
    func tick() async {
        let runs: [BatchRun]
        do {
            runs = try await store.activeBatchRuns()
        } catch {
            logger.error("cannot read the batch runs; retrying at the next tick", metadata: ["error": "\(error)"])
            return
        }
        let now = Date().timeIntervalSince1970
        let current = config.value
        for run in runs {
            if let wait = backoff.withLock({ $0[run.runId] }), wait.until > now { continue }
            guard let teacher = current.teacher(named: run.teacherName) else {
                if warned.withLock({ $0.insert(run.sweepName).inserted }) {
                    logger.warning("a batch run's teacher is not in the config: its batches wait (add the teacher and reload)",
                                   metadata: ["sweep.name": "\(run.sweepName)", "teacher": "\(run.teacherName)"])
                }
                continue
            }
            await step(run, teacher: teacher)
        }
        // `/metrics` cannot wait for the database: it shows what a pass read at most 2 s ago (SQLite's is read live).
        let refresh = cacheRead.withLock { last -> Bool in
            guard now - last >= 2 else { return false }
            last = now
            return true
        }
        if refresh, !(store is SQLiteStore) {
            let counts = try? await store.batchStateCounts(), open = try? await store.openBatches(sweepId: nil)
            metricsCache.set(counts.flatMap { c in open.map { (c, $0) } })
        }
    }

    private func step(_ run: BatchRun, teacher: TeacherConfig) async {
        let meta: Logger.Metadata = ["run.id": "\(run.runId)", "sweep.name": "\(run.sweepName)", "teacher": "\(teacher.name)"]
        do {
            let pipeline = try pipeline(for: teacher)
            let logger = self.logger
            let coordinator = BatchCoordinator(store: store, api: pipeline.batchClient(), settings: teacher.batch,
                                               maxAttempts: teacher.maxAttempts, stop: StopSignal()) { event in
                Self.log(event, logger: logger, meta: meta)
            }
            let budget = run.remaining.map {
                BatchBudget(remaining: $0, inputPerMillion: run.prices?.input ?? 0, outputPerMillion: run.prices?.output ?? 0)
            }
            let outcome = try await coordinator.step(sweepId: run.sweepId, budget: budget)
            backoff.withLock { _ = $0.removeValue(forKey: run.runId) }
            // Another daemon on the same PostgreSQL steps this run now; it also ends it.
            guard !outcome.heldElsewhere, outcome.open == 0 else { return }
            switch try await store.finishBatchRun(runId: run.runId, budgetReached: outcome.budgetBlocked) {
            case .done?: logger.notice("batch run finished: every job is done or failed", metadata: meta)
            case .budget?:
                logger.warning("batch run reached its budget: the next file's worst case does not fit (raise sweeps[].budget and run `harvest sweep NAME` again)",
                               metadata: meta)
            default: break
            }
        } catch {
            let delay = backoff.withLock { b -> Double in
                let next = min(300, max(teacher.batch.pollSeconds, (b[run.runId]?.delay ?? 0) * 2))
                b[run.runId] = Backoff(until: Date().timeIntervalSince1970 + next, delay: next)
                return next
            }
            var m = meta
            m["error"] = "\(error)"
            m["retry.seconds"] = "\(delay)"
            logger.error("batch step failed; nothing is lost (every stage is recorded) and the step is retried", metadata: m)
        }
    }

    /// The pipeline of `teacher` (its transport and key), replaced when the identity changed.
    private func pipeline(for teacher: TeacherConfig) throws -> TeacherPipeline {
        if let existing = pipelines.withLock({ $0[teacher.name] }), existing.canApply(teacher) {
            existing.update(teacher)
            return existing
        }
        let made = try TeacherPipeline(spec: teacher, environment: environment)
        let old = pipelines.withLock { p -> TeacherPipeline? in
            defer { p[teacher.name] = made }
            return p[teacher.name]
        }
        old?.shutdown()
        return made
    }

    /// One log line per coordinator event.
    static func log(_ event: BatchEvent, logger: Logger, meta: Logger.Metadata) {
        var m = meta
        switch event {
        case .recorded(let b):
            m["batch.id"] = "\(b.id)"; m["batch.requests"] = "\(b.requests)"; m["batch.bytes"] = "\(b.bytes)"
            logger.info("batch recorded", metadata: m)
        case .resumed(let b):
            m["batch.id"] = "\(b.id)"
            logger.info("batch resumed", metadata: m)
        case .uploaded(let id, let fileId):
            m["batch.id"] = "\(id)"; m["file.id"] = "\(fileId)"
            logger.info("batch input file uploaded", metadata: m)
        case .submitted(let id, let providerId, let found):
            m["batch.id"] = "\(id)"; m["provider.batch_id"] = "\(providerId)"; m["found"] = "\(found)"
            logger.notice("batch submitted", metadata: m)
        case .twinCancelled(let id, let providerId, let recorded, let cancelled):
            m["batch.id"] = "\(id)"; m["provider.batch_id"] = "\(providerId)"; m["recorded.batch_id"] = "\(recorded)"
            m["cancelled"] = "\(cancelled)"
            if cancelled {
                logger.warning("batch created twice: another process recorded its batch first; this one was cancelled", metadata: m)
            } else {
                logger.error("batch created twice and the unrecorded one could not be cancelled: cancel it at the provider", metadata: m)
            }
        case .status(let id, let info):
            m["batch.id"] = "\(id)"; m["provider.batch_id"] = "\(info.id)"; m["status"] = "\(info.status)"
            m["completed"] = "\(info.completed)"; m["failed"] = "\(info.failed)"; m["total"] = "\(info.total)"
            logger.info("batch status", metadata: m)
        case .collected(let id, let summary, let returned, let status, let error):
            m["batch.id"] = "\(id)"; m["status"] = "\(status)"; m["answers"] = "\(summary.answered)"
            m["line.errors"] = "\(summary.errored)"; m["returned"] = "\(returned.pending)"
            if returned.failed > 0 { m["out_of_rounds"] = "\(returned.failed)" }
            if let error { m["error"] = "\(error)" }
            logger.notice("batch collected", metadata: m)
        }
    }
}
