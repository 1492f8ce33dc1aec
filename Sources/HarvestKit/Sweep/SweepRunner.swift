import Foundation
import HarvestCore
import Logging
import SQLiteStore
import Synchronization

/// Runs one sweep in the foreground: claims jobs from the store, sends each through the teacher's
/// ``TrafficController`` (window, rate limits, replicas, breakers), retries with backoff, and commits each
/// answer before the job counts as done.
///
/// Guarantees: a job whose answer was committed is never sent again; an answer that arrives is committed
/// (or, if the database refuses it, appended to the rescue file) before the run ends, also on a drain stop.
/// The leases of held jobs are renewed while the run lasts, so a job that waits or backs off for long is never
/// claimed by another runner; a claim that returns a job this runner already holds is ignored.
public final class SweepRunner: Sendable {
    let store: any JobStore
    let client: any TeacherCalling
    let options: SweepOptions
    let stop: StopSignal
    let logger: Logger
    let counters = Mutex(SweepCounters())
    let rescueLog: RescueLog
    let traffic: TrafficController
    let failFast: FailFastMonitor
    let held = Mutex(HeldJobs())
    /// Jobs this runner could neither settle nor hand back because the database refused the write.
    let leftLeased = Mutex<[Int64]>([])
    let overhead = Mutex(LatencyHistogram())
    let overheadToSend = Mutex(LatencyHistogram())
    let overheadToCommit = Mutex(LatencyHistogram())
    let latency = Mutex(LatencyHistogram())
    let clock = MonotonicTrafficClock()
    /// Requests sent whose answers are not stored yet (what a `kill -9` would cost), at most the traffic window.
    let unsaved: UnsavedWindow

    /// Jobs this runner holds: claimed and not yet settled or released.
    struct HeldJobs {
        var ids: Set<Int64> = []
        /// Held jobs sleeping before a retry (they do not count against the in-flight window).
        var backingOff = 0
        /// Held jobs whose answer is being committed (their teacher slot is already free).
        var committing = 0
    }

    /// What a child task of the run loop reports.
    enum Child: Sendable {
        /// A job was settled or released.
        case job
        /// The periodic tick (lease renewal, fail-fast checks).
        case tick
        /// A background claim returned these jobs.
        case claimed([Job])
    }

    /// Creates a runner. Without `traffic` the runner bounds concurrency at `options.concurrency` and nothing
    /// else (each job goes to its own base URL); with it, the controller's limits apply and `concurrency` is
    /// not used. Share one controller between runners that use the same teacher.
    public init(store: any JobStore, client: any TeacherCalling, options: SweepOptions, stop: StopSignal = StopSignal(),
                logger: Logger = Logger(label: "harvest.sweep"), traffic: TrafficController? = nil) {
        self.store = store
        self.client = client
        self.options = options
        self.stop = stop
        self.logger = logger
        self.rescueLog = RescueLog(path: options.rescuePath)
        let controller = traffic ?? .pinned(maxInFlight: max(1, options.concurrency))
        self.traffic = controller
        self.unsaved = UnsavedWindow(limit: { controller.window })
        self.failFast = FailFastMonitor(policy: options.failFast)
    }

    /// Jobs still leased to this runner's owner when the run ended because the database refused to settle or
    /// release them (disk full). Their leases are renewed by a daemon's housekeeping, so the daemon hands them back
    /// (``JobStore/release(jobIds:owner:)``) once the database accepts writes again.
    public func jobsLeftLeased() -> [Int64] { leftLeased.withLock { $0 } }

    /// A copy of the live counters (for progress displays).
    public func snapshot() -> SweepCounters { counters.withLock { $0 } }

    /// The traffic controller's window, queue and endpoint health.
    public func trafficSnapshot() -> TrafficSnapshot { traffic.snapshot() }

    /// harvest's own time per committed answer: from admission to hand-off to the transport, plus from the
    /// received body to the durable commit (the teacher's latency excluded).
    public func overheadHistogram() -> LatencyHistogram { overhead.withLock { $0 } }

    /// The two parts of ``overheadHistogram()``: admission → hand-off to the transport (encoding, scheduling), and
    /// received body → durable commit (validation, transcoding, the group commit and its fsync).
    public func overheadParts() -> (toSend: LatencyHistogram, toCommit: LatencyHistogram) {
        (overheadToSend.withLock { $0 }, overheadToCommit.withLock { $0 })
    }

    /// The teacher's latency per answered request as harvest sees it: from hand-off to the transport until the
    /// whole response has arrived.
    public func latencyHistogram() -> LatencyHistogram { latency.withLock { $0 } }

    /// Runs until every job of the sweep is done or failed, or a stop (signal, fail-fast rule) is requested.
    public func run(sweepId: Int64) async throws -> SweepOutcome {
        let started = ContinuousClock.now
        var lastRenewal = clock.now()
        try await withThrowingTaskGroup(of: Child.self) { group in
            var running = 0
            var claiming = 0
            var exhausted = false
            var ticking = false
            while true {
                // Hold up to two windows (at most 1,024 jobs) more than may be in flight, and claim in the
                // background: a claim waits for the writer's current group commit (an fsync, often tens of ms under
                // load), and the window must not run dry meanwhile. Jobs backing off or committing hold no teacher
                // slot, so claim past them too. Held jobs keep their leases (renewed).
                let window = traffic.window
                let prefetch = options.prefetch.map { max(0, $0) } ?? max(64, min(2 * window, 1024))
                let refill = max(1, prefetch / 4)
                let capacity = window + prefetch + held.withLock { $0.backingOff + $0.committing }
                let free = capacity - running - claiming
                if !exhausted, !stop.isStopping, claiming == 0, free > 0, running == 0 || free >= refill {
                    claiming = free
                    group.addTask { [store, options] in
                        do {
                            return .claimed(try await store.claimJobs(sweepId: sweepId, owner: options.owner, limit: free,
                                                                      leaseSeconds: options.leaseSeconds))
                        } catch where WriteRefusal.isRefusal(error) {
                            self.refused(error)
                            return .claimed([])
                        }
                    }
                }
                if running == 0, claiming == 0 { break }
                let aborting = stop.level == .abort
                if aborting { group.cancelAll() }
                if !ticking, !aborting {
                    ticking = true
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(100))
                        return .tick
                    }
                }
                switch try await group.next() {
                case .job?: running -= 1
                case .claimed(let jobs)?:
                    claiming = 0
                    if jobs.isEmpty { exhausted = true }
                    for job in jobs where held.withLock({ $0.ids.insert(job.id).inserted }) {
                        group.addTask { try await self.process(job); return .job }
                        running += 1
                    }
                case .tick?:
                    ticking = false
                    await periodic(lastRenewal: &lastRenewal)
                case nil: break
                }
            }
            group.cancelAll()
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return SweepOutcome(counters: snapshot(), interrupted: stop.isStopping, stopReason: stop.reason, seconds: seconds,
                            failFast: failFast.trip)
    }

    /// Every tick: renews leases when due and applies the "no endpoint available" fail-fast rule.
    private func periodic(lastRenewal: inout Double) async {
        let now = clock.now()
        if stop.isStopping { unsaved.abandonWaiters() } else { unsaved.pump() }
        if let trip = failFast.checkUnavailable(seconds: traffic.unavailableFor(), lastError: snapshot().lastError) {
            tripped(trip)
        }
        guard now - lastRenewal >= options.effectiveLeaseRenewal else { return }
        lastRenewal = now
        let ids = held.withLock { Array($0.ids) }
        do {
            try await store.renewLeases(jobIds: ids, owner: options.owner, leaseSeconds: options.leaseSeconds)
        } catch {
            logger.error("could not renew job leases", metadata: ["jobs": "\(ids.count)", "error": "\(error)"])
        }
    }

    /// Stops the sweep (drain) because a fail-fast rule tripped.
    func tripped(_ trip: FailFastTrip) {
        logger.error("stopping the sweep", metadata: ["fail_fast.rule": "\(trip.rule.rawValue)", "error": "\(trip.detail)"])
        stop.request(.drain, reason: trip.description)
    }
}
