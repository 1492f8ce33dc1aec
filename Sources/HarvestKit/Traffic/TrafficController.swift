import Synchronization

/// The admission gate of one teacher. Every request — first attempts and retries — awaits
/// ``admit(estimatedTokens:abandon:)`` before it is sent and reports back with ``finish(_:report:)``.
///
/// A request is admitted, in FIFO order, when all of these hold:
/// 1. fewer requests are in flight than the window (``AdaptiveWindow``: AIMD, or pinned when not adaptive);
/// 2. no pause ordered by `x-ratelimit-remaining-*: 0` headers is running (it lasts until their reset);
/// 3. the request-per-second, request-per-minute and token-per-minute buckets cover it (tokens are the
///    caller's estimate, corrected by the reported usage when the answer arrives);
/// 4. an endpoint is available (``EndpointPool``: least-loaded closed replica, or a due half-open trial).
///
/// Waiting costs no thread: waiters are continuations, woken when a request finishes or by one timer task
/// set for the earliest time a bucket, pause or cool-down allows more. One lock guards the state; an admission
/// that need not wait does not suspend.
public final class TrafficController: Sendable {
    /// The options in effect (those it was created with, or the latest ``update(options:)``).
    public var options: TrafficOptions { state.withLock { $0.options } }
    private let clock: any TrafficClock
    private let state: Mutex<TrafficState>

    /// How often waiting requests check whether their caller gave up (seconds).
    static let abandonCheckInterval = 0.25

    /// Creates a controller; the clock is injectable for tests.
    public init(options: TrafficOptions, clock: any TrafficClock = MonotonicTrafficClock()) {
        self.clock = clock
        state = Mutex(TrafficState(options: options, now: clock.now()))
    }

    /// A controller that only bounds concurrency: `maxInFlight` requests to each job's own URL, nothing else.
    public static func pinned(maxInFlight: Int) -> TrafficController {
        TrafficController(options: TrafficOptions(limits: TeacherLimits(maxInFlight: maxInFlight, adaptive: false)))
    }

    /// Waits until one request may be sent and returns where to send it; nil when the calling task is cancelled
    /// or `abandon` turns true while waiting (checked every 250 ms).
    public func admit(estimatedTokens: Int = 0, abandon: @escaping @Sendable () -> Bool = { false }) async -> Admission? {
        if Task.isCancelled || abandon() { return nil }
        let now = clock.now()
        let fast = state.withLock { s -> Admission? in
            guard s.queueIsEmpty, case .admitted(let a) = s.tryAdmit(estimate: estimatedTokens, now: now) else { return nil }
            return a
        }
        if let fast { return fast }
        let id = state.withLock { s -> UInt64 in
            s.nextWaiterId += 1
            return s.nextWaiterId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Admission?, Never>) in
                let waiter = TrafficState.Waiter(id: id, estimate: estimatedTokens, abandon: abandon, continuation: continuation)
                let work = state.withLock { s -> TrafficState.PumpResult in
                    if s.cancelledEarly.remove(id) != nil {
                        return TrafficState.PumpResult(resumes: [(continuation, nil)], timer: nil)
                    }
                    s.enqueue(waiter)
                    return s.pump(now: clock.now(), checkAll: false)
                }
                carryOut(work)
            }
        } onCancel: {
            let continuation = state.withLock { s in s.cancel(id) }
            continuation?.resume(returning: nil)
        }
    }

    /// Reports how an admitted request ended; frees its slot and lets waiting requests in.
    public func finish(_ admission: Admission, report: TrafficReport) {
        let work = state.withLock { s -> TrafficState.PumpResult in
            let now = clock.now()
            s.finish(admission, report: report, now: now)
            return s.pump(now: now, checkAll: false)
        }
        carryOut(work)
    }

    /// Applies new limits, replicas and breaker policy live (SIGHUP in the daemon): requests in flight keep
    /// their slots and finish normally, waiting requests are re-evaluated against the new limits at once.
    public func update(options: TrafficOptions) {
        let work = state.withLock { s -> TrafficState.PumpResult in
            let now = clock.now()
            s.update(options, now: now)
            return s.pump(now: now, checkAll: true)
        }
        carryOut(work)
    }

    /// Re-evaluates waiting requests now (after a test moved its clock, for instance).
    public func reevaluate() {
        let work = state.withLock { s in s.pump(now: clock.now(), checkAll: true) }
        carryOut(work)
    }

    /// The current window, queue and endpoint health.
    public func snapshot() -> TrafficSnapshot {
        let now = clock.now()
        return state.withLock { s in s.snapshot(now: now) }
    }

    /// The in-flight window now.
    public var window: Int { state.withLock { $0.window.size } }

    /// Seconds since no endpoint has been available, or nil while one is.
    public func unavailableFor() -> Double? {
        let now = clock.now()
        return state.withLock { s in s.pool.unavailableSince.map { now - $0 } }
    }

    /// Resumes admitted or abandoned waiters outside the lock and arms the wake-up timer.
    private func carryOut(_ work: TrafficState.PumpResult) {
        for (continuation, admission) in work.resumes { continuation.resume(returning: admission) }
        guard let timer = work.timer else { return }
        let delay = max(0, timer.deadline - clock.now())
        Task { [self] in
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9) + 1_000_000)
            let next = state.withLock { s -> TrafficState.PumpResult in
                if s.timerToken == timer.token { s.timerDeadline = nil }
                return s.pump(now: clock.now(), checkAll: true)
            }
            carryOut(next)
        }
    }
}
