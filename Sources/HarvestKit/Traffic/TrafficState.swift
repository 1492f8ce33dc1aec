/// The mutable state of a ``TrafficController``, guarded by its lock.
struct TrafficState {
    /// A request waiting for admission.
    struct Waiter {
        var id: UInt64
        var estimate: Int
        var abandon: @Sendable () -> Bool
        var continuation: CheckedContinuation<Admission?, Never>
    }

    /// Waiters to resume and a timer to arm, carried out after the lock is released.
    struct PumpResult {
        var resumes: [(CheckedContinuation<Admission?, Never>, Admission?)]
        var timer: (deadline: Double, token: UInt64)?
    }

    /// What ``tryAdmit(estimate:now:)`` decided.
    enum Decision {
        case admitted(Admission)
        /// Blocked until the given monotonic time, or until a request finishes (nil).
        case blocked(until: Double?)
    }

    var window: AdaptiveWindow
    var pool: EndpointPool
    var requestsPerSecond: TokenBucket?
    var requestsPerMinute: TokenBucket?
    var tokensPerMinute: TokenBucket?
    var inFlight = 0
    var pausedUntil = 0.0
    var pauses = 0
    var sequence: UInt64 = 0
    var windowDecreases = 0
    var waiters: [Waiter] = []
    var head = 0
    var nextWaiterId: UInt64 = 0
    var cancelledEarly: Set<UInt64> = []
    var timerDeadline: Double?
    var timerToken: UInt64 = 0

    var options: TrafficOptions

    init(options: TrafficOptions, now: Double) {
        self.options = options
        window = AdaptiveWindow(ceiling: options.limits.maxInFlight, adaptive: options.limits.adaptive)
        pool = EndpointPool(urls: options.endpoints, policy: options.breaker)
        requestsPerSecond = Self.bucket(nil, options.limits.requestsPerSecond, perSecond: true, options: options, now: now)
        requestsPerMinute = Self.bucket(nil, options.limits.requestsPerMinute, perSecond: false, options: options, now: now)
        tokensPerMinute = Self.bucket(nil, options.limits.tokensPerMinute, perSecond: false, options: options, now: now)
    }

    /// Applies new options live: in-flight requests keep their slots, buckets keep their level (capped), the
    /// window and the endpoints keep their history.
    mutating func update(_ new: TrafficOptions, now: Double) {
        options = new
        window.update(ceiling: new.limits.maxInFlight, adaptive: new.limits.adaptive)
        pool.update(urls: new.endpoints, policy: new.breaker, now: now)
        requestsPerSecond = Self.bucket(requestsPerSecond, new.limits.requestsPerSecond, perSecond: true, options: new, now: now)
        requestsPerMinute = Self.bucket(requestsPerMinute, new.limits.requestsPerMinute, perSecond: false, options: new, now: now)
        tokensPerMinute = Self.bucket(tokensPerMinute, new.limits.tokensPerMinute, perSecond: false, options: new, now: now)
    }

    /// The bucket for `limit` (per second or per minute): nil when unlimited, else `current` re-rated, or a new full one.
    private static func bucket(_ current: TokenBucket?, _ limit: Double?, perSecond: Bool, options: TrafficOptions,
                               now: Double) -> TokenBucket? {
        guard let limit, limit > 0 else { return nil }
        let burst = max(0.001, options.burstSeconds)
        let rate = perSecond ? limit : limit / 60
        let capacity = perSecond ? max(1, limit * min(burst, 0.25)) : max(1, rate * burst)
        guard var bucket = current else { return TokenBucket(ratePerSecond: rate, capacity: capacity, now: now) }
        bucket.update(ratePerSecond: rate, capacity: capacity, now: now)
        return bucket
    }

    var queueIsEmpty: Bool { head == waiters.count }

    /// Admits one request of `estimate` tokens now, or says until when it must wait.
    mutating func tryAdmit(estimate: Int, now: Double) -> Decision {
        guard inFlight < window.size else { return .blocked(until: nil) }
        if pausedUntil > now { return .blocked(until: pausedUntil) }
        var wait = 0.0
        if requestsPerSecond != nil { wait = max(wait, requestsPerSecond!.delay(for: 1, now: now)) }
        if requestsPerMinute != nil { wait = max(wait, requestsPerMinute!.delay(for: 1, now: now)) }
        if tokensPerMinute != nil { wait = max(wait, tokensPerMinute!.delay(for: Double(estimate), now: now)) }
        if wait > 0 { return .blocked(until: now + wait) }
        switch pool.pick(now: now) {
        case .wait(let until):
            return .blocked(until: until)
        case .endpoint(let index, let trial):
            requestsPerSecond?.take(1, now: now)
            requestsPerMinute?.take(1, now: now)
            tokensPerMinute?.take(Double(estimate), now: now)
            inFlight += 1
            sequence += 1
            return .admitted(Admission(baseURL: pool.endpoints[index].baseURL, endpoint: index, estimatedTokens: estimate,
                                       admittedAt: now, sequence: sequence, trial: trial))
        }
    }

    mutating func finish(_ a: Admission, report: TrafficReport, now: Double) {
        inFlight -= 1
        pool.finish(index: a.endpoint, baseURL: a.baseURL, trial: a.trial, verdict: report.verdict, now: now)
        if let latency = report.successLatency { window.recordSuccess(latency: latency) }
        if report.congestion, window.recordCongestion(sequence: a.sequence, latestSequence: sequence) { windowDecreases += 1 }
        if let used = report.usedTokens, tokensPerMinute != nil {
            tokensPerMinute!.adjust(by: Double(a.estimatedTokens - used), now: now)
        }
        if let pause = report.rateLimit?.exhaustedFor, pause > 0 {
            let until = now + min(pause, options.maxPause)
            if until > pausedUntil {
                if pausedUntil <= now { pauses += 1 }
                pausedUntil = until
            }
        }
    }

    mutating func enqueue(_ waiter: Waiter) {
        waiters.append(waiter)
    }

    /// Removes a waiting request whose task was cancelled and returns its continuation (or remembers the id
    /// when it is not queued yet).
    mutating func cancel(_ id: UInt64) -> CheckedContinuation<Admission?, Never>? {
        if let i = waiters[head...].firstIndex(where: { $0.id == id }) {
            let w = waiters.remove(at: i)
            return w.continuation
        }
        cancelledEarly.insert(id)
        return nil
    }

    /// Admits waiting requests in order while possible; with `checkAll`, also drops abandoned ones anywhere in
    /// the queue. Returns what to resume and, while requests wait, when to look again.
    mutating func pump(now: Double, checkAll: Bool) -> PumpResult {
        var result = PumpResult(resumes: [], timer: nil)
        if checkAll {
            var kept: [Waiter] = []
            for w in waiters[head...] {
                if w.abandon() { result.resumes.append((w.continuation, nil)) } else { kept.append(w) }
            }
            waiters = kept
            head = 0
        }
        var blockedUntil: Double?
        while head < waiters.count {
            let w = waiters[head]
            if w.abandon() {
                result.resumes.append((w.continuation, nil))
                head += 1
                continue
            }
            switch tryAdmit(estimate: w.estimate, now: now) {
            case .admitted(let a):
                result.resumes.append((w.continuation, a))
                head += 1
                continue
            case .blocked(let until):
                blockedUntil = until
            }
            break
        }
        compact()
        guard !queueIsEmpty else { return result }
        let deadline = min(blockedUntil ?? .infinity, now + TrafficController.abandonCheckInterval)
        if let current = timerDeadline, current <= deadline + 0.001, current > now - 1 { return result }
        timerDeadline = deadline
        timerToken &+= 1
        result.timer = (deadline, timerToken)
        return result
    }

    private mutating func compact() {
        if head == waiters.count {
            waiters.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > waiters.count {
            waiters.removeFirst(head)
            head = 0
        }
    }

    func snapshot(now: Double) -> TrafficSnapshot {
        TrafficSnapshot(window: window.size, inFlight: inFlight, waiting: waiters.count - head, admitted: Int(sequence),
                        windowDecreases: windowDecreases, pausedFor: max(0, pausedUntil - now), pauses: pauses,
                        breakerOpens: pool.opened, unavailableFor: pool.unavailableSince.map { now - $0 },
                        endpoints: pool.endpoints)
    }
}
