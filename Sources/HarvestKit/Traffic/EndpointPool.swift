/// The replicas of one teacher with their load and circuit breakers; routes each request to the least-loaded
/// healthy one.
///
/// Routing: an open breaker whose cool-down has passed gets the next request as its trial (so a recovered
/// replica comes back promptly); otherwise the closed endpoint with the fewest requests in flight, ties taken
/// in turn. With no closed endpoint the request waits for the earliest cool-down (or for a trial to end).
public struct EndpointPool: Sendable {
    /// One replica.
    public struct Endpoint: Sendable, Equatable {
        /// Base URL; nil for the pool's single implicit endpoint ("each job's own URL").
        public var baseURL: String?
        /// Its breaker.
        public var breaker: CircuitBreaker
        /// Requests in flight to it now.
        public var inFlight = 0
        /// Requests sent to it so far.
        public var sent = 0
        /// Requests that failed (transport error, 5xx) so far.
        public var failures = 0
    }

    /// Where a request goes, or how long it must wait.
    public enum Pick: Sendable, Equatable {
        /// Send to endpoint `index`; `trial` when it is a half-open probe.
        case endpoint(index: Int, trial: Bool)
        /// Nothing is available; retry at the given monotonic time, or when a request ends (nil).
        case wait(until: Double?)
    }

    /// The endpoints in configured order.
    public private(set) var endpoints: [Endpoint]
    /// Since when no endpoint has been closed (monotonic seconds), or nil while one is.
    public private(set) var unavailableSince: Double?
    /// Breakers opened so far.
    public private(set) var opened = 0
    private var rotation = 0

    /// Creates a pool; an empty `urls` gives one implicit endpoint that sends to each job's own base URL.
    public init(urls: [String], policy: BreakerPolicy) {
        let list: [String?] = urls.isEmpty ? [nil] : urls.map { Optional($0) }
        endpoints = list.map { Endpoint(baseURL: $0, breaker: CircuitBreaker(policy: policy)) }
    }

    /// Applies a new replica list and breaker policy (a reloaded config). Endpoints that stay keep their load,
    /// counters and breaker state; new ones start closed; removed ones get no new requests (their in-flight
    /// requests still finish, see ``finish(index:baseURL:trial:verdict:now:)``).
    public mutating func update(urls: [String], policy: BreakerPolicy, now: Double) {
        let list: [String?] = urls.isEmpty ? [nil] : urls.map { Optional($0) }
        endpoints = list.map { url in
            var e = endpoints.first { $0.baseURL == url } ?? Endpoint(baseURL: url, breaker: CircuitBreaker(policy: policy))
            e.breaker.update(policy: policy)
            return e
        }
        rotation = 0
        if endpoints.contains(where: { $0.breaker.isClosed }) { unavailableSince = nil } else if unavailableSince == nil { unavailableSince = now }
    }

    /// Chooses the endpoint for one request at `now` and counts it as in flight there.
    public mutating func pick(now: Double) -> Pick {
        for i in endpoints.indices where endpoints[i].breaker.trialDue(now: now) {
            endpoints[i].breaker.beginTrial()
            take(i)
            return .endpoint(index: i, trial: true)
        }
        var best: Int?
        let n = endpoints.count
        for step in 0..<n {
            let i = (rotation + step) % n
            guard endpoints[i].breaker.isClosed else { continue }
            if best == nil || endpoints[i].inFlight < endpoints[best!].inFlight { best = i }
        }
        guard let best else {
            if unavailableSince == nil { unavailableSince = now }
            let reopen = endpoints.compactMap(\.breaker.reopensAt).min()
            return .wait(until: reopen)
        }
        rotation = (best + 1) % n
        take(best)
        return .endpoint(index: best, trial: false)
    }

    /// Records how a request to endpoint `index` ended (no reload since it was admitted).
    public mutating func finish(index: Int, trial: Bool, verdict: EndpointVerdict, now: Double) {
        guard endpoints.indices.contains(index) else { return }
        finish(index: index, baseURL: endpoints[index].baseURL, trial: trial, verdict: verdict, now: now)
    }

    /// Records how a request to endpoint `index` (base URL `baseURL` when it was admitted) ended. After an
    /// ``update(urls:policy:now:)`` the endpoint is found by its URL; one that was removed is ignored.
    public mutating func finish(index: Int, baseURL: String?, trial: Bool, verdict: EndpointVerdict, now: Double) {
        var index = index
        if !endpoints.indices.contains(index) || endpoints[index].baseURL != baseURL {
            guard let found = endpoints.firstIndex(where: { $0.baseURL == baseURL }) else { return }
            index = found
        }
        endpoints[index].inFlight -= 1
        if verdict == .failed { endpoints[index].failures += 1 }
        if endpoints[index].breaker.record(verdict, trial: trial, now: now) { opened += 1 }
        if endpoints.contains(where: { $0.breaker.isClosed }) {
            unavailableSince = nil
        } else if unavailableSince == nil {
            unavailableSince = now
        }
    }

    private mutating func take(_ i: Int) {
        endpoints[i].inFlight += 1
        endpoints[i].sent += 1
    }
}
