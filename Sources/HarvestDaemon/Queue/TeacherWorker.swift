import CurlTransport
import HarvestCore
import HarvestKit
import Logging
import Synchronization

/// Works off the queued jobs of one teacher: runs a ``SweepRunner`` over a ``TeacherQueue`` (claims across all
/// active runs of the teacher), waits `poll_seconds` when there is nothing to do, and applies a reloaded config
/// between runner generations (claims pause, in-flight requests finish and are stored, then the new limits apply).
final class TeacherWorker: Sendable {
    private struct State {
        var settings: TeacherConfig
        var pending: TeacherConfig?
        var shutdown = StopSignal.Level.running
        var retired = false
        var stop = StopSignal()
        var runnerTask: Task<SweepOutcome, any Error>?
        /// Kept across runner generations (warm connections); replaced when the in-flight limit changes.
        var transport: (client: CurlTransport, connections: Int)?
    }

    let name: String
    private let context: WorkerContext
    private let queue: TeacherQueue
    private let state: Mutex<State>
    private let logger: Logger

    init(teacher: TeacherConfig, context: WorkerContext) {
        name = teacher.name
        self.context = context
        var log = context.logger
        log[metadataKey: "teacher"] = "\(teacher.name)"
        logger = log
        queue = TeacherQueue(store: context.store, teacher: teacher, metrics: context.metrics, logger: log)
        state = Mutex(State(settings: teacher))
        context.metrics.setLimit(teacher: teacher.name, maxInFlight: teacher.limits.maxInFlight)
    }

    /// The settings in use (or about to be).
    var settings: TeacherConfig { state.withLock { $0.pending ?? $0.settings } }

    /// Applies `teacher` after the in-flight requests of the current runner are stored.
    func update(_ teacher: TeacherConfig) {
        state.withLock { $0.pending = teacher }
        queue.pause()
    }

    /// Shutdown: claim nothing more, let in-flight requests finish and store them, hand back jobs waiting for a retry.
    func drain() {
        state.withLock { s in
            s.shutdown = max(s.shutdown, .drain)
            s.stop.request(.drain, reason: "shutting down")
        }
    }

    /// Shutdown past the drain deadline: abandon in-flight requests (their jobs go back to pending).
    func abort() {
        let task = state.withLock { s -> Task<SweepOutcome, any Error>? in
            s.shutdown = .abort
            s.stop.request(.abort, reason: "drain deadline passed")
            return s.runnerTask
        }
        task?.cancel()
    }

    /// The teacher left the config: finish what is in flight and end.
    func retire() {
        state.withLock { s in
            s.retired = true
            s.stop.request(.drain, reason: "teacher removed from the config")
        }
    }

    /// Runs until shutdown or retirement. While the database refuses writes (disk full) it claims nothing and waits
    /// for housekeeping to see the database accept writes again; refused answers are in the rescue file.
    func run() async throws {
        defer { state.withLock { $0.transport?.client.shutdown(); $0.transport = nil } }
        while true {
            let (settings, stop, ending) = state.withLock { s -> (TeacherConfig, StopSignal, Bool) in
                if let next = s.pending {
                    s.settings = next
                    s.pending = nil
                }
                s.stop = StopSignal()
                if s.shutdown > .running { s.stop.request(s.shutdown, reason: "shutting down") }
                return (s.settings, s.stop, s.shutdown > .running || s.retired)
            }
            if ending { return }
            queue.resume(baseURLs: settings.baseURLs, apiKeyEnv: settings.apiKeyEnv)
            context.metrics.setLimit(teacher: name, maxInFlight: settings.limits.maxInFlight)
            let claimedBefore = queue.claimedCount
            let outcome = try await runGeneration(settings, stop: stop)
            let (shutdown, retired, reloading) = state.withLock { ($0.shutdown > .running, $0.retired, $0.pending != nil) }
            if shutdown || retired { return }
            if reloading { continue }
            if await pauseWhileWritesRefused() { continue }
            if stop.isStopping {
                // The runner stopped itself (the teacher refused the credentials): wait for a new config.
                logger.error("teacher worker paused until the config is reloaded (SIGHUP) or the daemon restarts",
                             metadata: ["reason": "\(outcome.stopReason ?? "stopped")"])
                await idle(until: { $0.pending != nil || $0.shutdown > .running || $0.retired }, seconds: .infinity)
            } else if queue.claimedCount == claimedBefore {
                await idle(until: { $0.pending != nil || $0.shutdown > .running || $0.retired }, seconds: context.pollSeconds)
            }
        }
    }

    private func runGeneration(_ settings: TeacherConfig, stop: StopSignal) async throws -> SweepOutcome {
        let limit = settings.limits.maxInFlight
        let connections = max(16, limit * 2)
        let transport = try state.withLock { s throws -> CurlTransport in
            if let current = s.transport, current.connections == connections { return current.client }
            s.transport?.client.shutdown()  // no request is in flight between generations
            let fresh = try CurlTransport(configuration: .init(maxConnections: connections))
            s.transport = (fresh, connections)
            return fresh
        }
        let apiKey = settings.apiKeyEnv.flatMap { context.environment[$0] }
        let client = TeacherClient(transport: transport, apiKey: apiKey,
                                   timeouts: HTTPTimeouts(connect: settings.connectTimeout, total: settings.totalTimeout),
                                   keepRaw: settings.keepRaw)
        let observed = ObservedTeacher(inner: client, teacher: name, prices: settings.prices, metrics: context.metrics)
        let options = SweepOptions(concurrency: limit, retry: RetryPolicy(maxAttempts: settings.maxAttempts),
                                   leaseSeconds: context.leaseSeconds, owner: context.owner, rescuePath: context.rescuePath,
                                   prefetch: 0)
        let runner = SweepRunner(store: queue, client: observed, options: options, stop: stop, logger: logger)
        let task = Task { try await runner.run(sweepId: 0) }
        let abortNow = state.withLock { s -> Bool in
            s.runnerTask = task
            return s.shutdown == .abort
        }
        if abortNow { task.cancel() }
        defer { state.withLock { $0.runnerTask = nil } }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// While the database refuses writes (disk full), claims nothing until housekeeping sees it accept writes
    /// again; returns true when it paused.
    private func pauseWhileWritesRefused() async -> Bool {
        guard let refusal = context.store.writeRefusal else { return false }
        logger.error("claims paused: the database refuses writes; they resume when it accepts writes again",
                     metadata: ["error": "\(refusal.reason)"])
        while context.store.writeRefusal != nil, !state.withLock({ $0.shutdown > .running || $0.retired }), !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
        }
        return true
    }

    private func idle(until done: (State) -> Bool, seconds: Double) async {
        var waited = 0.0
        while waited < seconds, !state.withLock({ done($0) }), !Task.isCancelled {
            let step = min(0.05, seconds - waited)
            try? await Task.sleep(for: .milliseconds(Int(step * 1000) + 1))
            waited += step
        }
    }
}
