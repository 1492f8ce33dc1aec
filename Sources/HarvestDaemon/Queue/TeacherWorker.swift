import HarvestCore
import HarvestKit
import Logging
import Synchronization

/// Works off the queued jobs of one teacher: runs ``SweepRunner``s over a ``TeacherQueue`` (claims across all
/// active runs of the teacher) built by one ``TeacherPipeline``, so every run of the teacher shares one traffic
/// controller (window, rate buckets, x-ratelimit pauses, replicas with breakers).
///
/// A reloaded config (SIGHUP) that changes only limits, replicas, breaker, prices or sampling is applied live
/// to the shared traffic controller; other changes (key, timeouts, model) are applied between runner
/// generations (claims pause, in-flight requests finish and are stored, then the new settings apply).
/// A fail-fast trip (wrong key, quota used up, a broken teacher) pauses this teacher only, with its reason in
/// the log, `/metrics` and systemd `STATUS=`; SIGHUP or `fail_fast_cooldown` seconds resume it.
final class TeacherWorker: Sendable {
    private struct State {
        var settings: TeacherConfig
        var pending: TeacherConfig?
        var shutdown = StopSignal.Level.running
        var retired = false
        var resume = false
        var stop = StopSignal()
        var runnerTask: Task<SweepOutcome, any Error>?
        /// Kept across runner generations (warm connections, one traffic controller); replaced when a new
        /// setting cannot be applied to it.
        var pipeline: TeacherPipeline?
        /// Jobs a runner left leased to this daemon because the database refused to release them (disk full).
        var leftLeased: [Int64] = []
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

    /// The shared traffic controller, once the first runner started.
    var traffic: TrafficController? { state.withLock { $0.pipeline?.traffic } }

    /// Applies `teacher`: live when only limits, replicas, breaker, prices or sampling changed; otherwise after
    /// the in-flight requests of the current runner are stored.
    func update(_ teacher: TeacherConfig) {
        let live = state.withLock { s -> TeacherPipeline? in
            guard s.pending == nil, let pipeline = s.pipeline, pipeline.canApply(teacher), teacher.differsOnlyLive(from: s.settings) else {
                s.pending = teacher
                return nil
            }
            s.settings = teacher
            return pipeline
        }
        if let live {
            live.update(teacher)
            queue.resume(teacher)
            context.metrics.setLimit(teacher: name, maxInFlight: teacher.limits.maxInFlight)
            logger.notice("new limits applied live", metadata: ["limits.max_in_flight": "\(teacher.limits.maxInFlight)",
                                                                 "limits.rpm": "\(teacher.limits.requestsPerMinute.map { "\($0)" } ?? "none")"])
        } else {
            queue.pause()
        }
    }

    /// A config reload happened: a teacher paused by a fail-fast rule tries again.
    func reloaded() { state.withLock { $0.resume = true } }

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
        defer { state.withLock { $0.pipeline?.shutdown(); $0.pipeline = nil } }
        while true {
            let (settings, stop, ending) = state.withLock { s -> (TeacherConfig, StopSignal, Bool) in
                if let next = s.pending {
                    s.settings = next
                    s.pending = nil
                }
                s.resume = false
                s.stop = StopSignal()
                if s.shutdown > .running { s.stop.request(s.shutdown, reason: "shutting down") }
                return (s.settings, s.stop, s.shutdown > .running || s.retired)
            }
            if ending { return }
            await handBackLeftLeased()
            queue.resume(settings)
            context.metrics.setLimit(teacher: name, maxInFlight: settings.limits.maxInFlight)
            let claimedBefore = queue.claimedCount
            let outcome = try await runGeneration(settings, stop: stop)
            let (shutdown, retired, reloading) = state.withLock { ($0.shutdown > .running, $0.retired, $0.pending != nil) }
            if shutdown || retired { return }
            if reloading { continue }
            if await pauseWhileWritesRefused() { continue }
            if stop.isStopping {
                await pause(reason: outcome.failFast?.description ?? outcome.stopReason ?? "stopped", cooldown: self.settings.failFastCooldown)
            } else if queue.claimedCount == claimedBefore {
                await waitForQueuedWork()
            }
        }
    }

    /// A fail-fast rule stopped the runner: this teacher waits (the others carry on) until SIGHUP, the
    /// cool-down or shutdown.
    private func pause(reason: String, cooldown: Double) async {
        logger.error("teacher paused: its runs resume after a config reload (SIGHUP) or in \(Int(cooldown)) s",
                     metadata: ["reason": "\(reason)", "fail_fast.cooldown_s": "\(cooldown)"])
        context.metrics.setPaused(teacher: name, reason: reason)
        context.notifier.status("teacher \(name) paused: \(reason)")
        await idle(until: { $0.pending != nil || $0.resume || $0.shutdown > .running || $0.retired }, seconds: cooldown)
        context.metrics.setPaused(teacher: name, reason: nil)
        if state.withLock({ $0.shutdown == .running && !$0.retired }) {
            logger.notice("teacher resumed after a fail-fast pause")
            context.notifier.status("teacher \(name) resumed")
        }
    }

    private func runGeneration(_ settings: TeacherConfig, stop: StopSignal) async throws -> SweepOutcome {
        let pipeline = try state.withLock { s throws -> TeacherPipeline in
            if let current = s.pipeline, current.canApply(settings) {
                current.update(settings)
                return current
            }
            s.pipeline?.shutdown()  // no request is in flight between generations
            let fresh = try TeacherPipeline(spec: settings, environment: context.environment)
            s.pipeline = fresh
            return fresh
        }
        context.metrics.setTrafficSource(teacher: name) { [weak pipeline] in
            guard let pipeline else { return nil }
            return (pipeline.traffic.snapshot(), pipeline.spec.limits)
        }
        // The runner prefetches like the foreground (claims wait for group commits and must not starve the window);
        // budgeted runs stay exact because the claim counts held jobs against the budget (QueueRows).
        let session = SweepOptions(leaseSeconds: context.leaseSeconds, owner: context.owner, rescuePath: context.rescuePath)
        let (metrics, name) = (context.metrics, name)
        let runner = pipeline.runner(store: queue, session: session, stop: stop, logger: logger) { client in
            ObservedTeacher(inner: client, teacher: name, prices: { [weak pipeline] in pipeline?.spec.prices }, metrics: metrics)
        }
        let task = Task { try await runner.run(sweepId: 0) }
        let abortNow = state.withLock { s -> Bool in
            s.runnerTask = task
            return s.shutdown == .abort
        }
        if abortNow { task.cancel() }
        defer { state.withLock { $0.runnerTask = nil } }
        let outcome = try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
        let left = runner.jobsLeftLeased()
        if !left.isEmpty { state.withLock { $0.leftLeased += left } }
        return outcome
    }

    /// Hands back the jobs an earlier runner could not release while the database refused writes: housekeeping
    /// renews every lease of this daemon, so they would otherwise stay leased (and unsent) for as long as it runs.
    private func handBackLeftLeased() async {
        let ids = state.withLock { $0.leftLeased }
        guard !ids.isEmpty else { return }
        do {
            try await queue.release(jobIds: ids, owner: context.owner)
            state.withLock { s in s.leftLeased.removeAll { ids.contains($0) } }
            logger.notice("handed back jobs left leased while the database refused writes", metadata: ["jobs": "\(ids.count)"])
        } catch {
            logger.error("cannot hand back jobs left leased yet; trying again before the next claim",
                         metadata: ["jobs": "\(ids.count)", "error": "\(error)"])
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

    /// The idle wait after a generation that claimed nothing: until work may have been queued (`poll_seconds`), a
    /// reload or shutdown. The one place a wake-up on newly queued work (e.g. PostgreSQL `LISTEN/NOTIFY`) belongs.
    private func waitForQueuedWork() async {
        await idle(until: { $0.pending != nil || $0.shutdown > .running || $0.retired }, seconds: context.pollSeconds)
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
