import HarvestKit
import Synchronization

/// The daemon's live counters, shared by the workers (writers) and the metrics endpoint and status lines (readers).
public final class DaemonMetrics: Sendable {
    /// Counters of one teacher.
    public struct TeacherSeries: Sendable, Equatable {
        /// Requests by outcome label: the HTTP status (`"200"`, `"429"`) or `"transport"` when no answer arrived.
        public var requests: [String: Int] = [:]
        /// Failed attempts that will be retried.
        public var retries = 0
        /// Jobs answered and committed.
        public var jobsDone = 0
        /// Jobs given up on.
        public var jobsFailed = 0
        /// Prompt tokens reported by the teacher.
        public var promptTokens = 0
        /// Completion tokens reported by the teacher.
        public var completionTokens = 0
        /// Spend at the configured prices.
        public var spend = 0.0
        /// Requests in flight now.
        public var inFlight = 0
        /// The configured in-flight limit.
        public var maxInFlight = 0
        /// Request latency.
        public var latency = LatencyHistogram()
        /// Unix time of the last 2xx answer.
        public var lastSuccess: Double?
        /// Why the teacher's runs are paused (a fail-fast rule), nil while they run.
        public var pausedReason: String?
        /// The shared traffic controller now: window, waiting requests, rate-limit pauses, replicas and breakers.
        public var traffic: TrafficSnapshot?
        /// The limits in effect.
        public var limits: TeacherLimits?
    }

    /// Everything at one moment.
    public struct Snapshot: Sendable, Equatable {
        /// Per teacher name.
        public var teachers: [String: TeacherSeries] = [:]
        /// Successful and failed config reloads.
        public var reloadsOK = 0, reloadsFailed = 0
        /// Unix time of the last successful database write (lease renewal), and the last write error.
        public var lastDatabaseWrite: Double?
        /// The last database error text, cleared by a successful write.
        public var databaseError: String?
        /// Unix time the daemon started.
        public var startedAt = 0.0
    }

    private let state: Mutex<Snapshot>
    /// Where each teacher's traffic snapshot and limits are read from (its pipeline).
    private let trafficSources = Mutex<[String: @Sendable () -> (TrafficSnapshot, TeacherLimits)?]>([:])

    /// Creates empty metrics.
    public init(startedAt: Double) {
        var s = Snapshot()
        s.startedAt = startedAt
        state = Mutex(s)
    }

    /// A copy of every counter, with each teacher's traffic read now.
    public func snapshot() -> Snapshot {
        let sources = trafficSources.withLock { $0 }
        var traffic: [String: (TrafficSnapshot, TeacherLimits)] = [:]
        for (name, source) in sources { traffic[name] = source() }
        return state.withLock { s in
            var copy = s
            for (name, (snapshot, limits)) in traffic {
                copy.teachers[name, default: TeacherSeries()].traffic = snapshot
                copy.teachers[name, default: TeacherSeries()].limits = limits
            }
            return copy
        }
    }

    /// Registers where the traffic snapshot and limits of `teacher` are read from.
    public func setTrafficSource(teacher: String, _ source: @escaping @Sendable () -> (TrafficSnapshot, TeacherLimits)?) {
        trafficSources.withLock { $0[teacher] = source }
    }

    /// Marks `teacher` paused with a reason, or running again (nil).
    public func setPaused(teacher: String, reason: String?) { update(teacher) { $0.pausedReason = reason } }

    private func update(_ teacher: String, _ body: (inout TeacherSeries) -> Void) {
        state.withLock { s in body(&s.teachers[teacher, default: TeacherSeries()]) }
    }

    /// A request was handed to the transport.
    public func requestStarted(teacher: String) { update(teacher) { $0.inFlight += 1 } }

    /// A request ended: `status` is the HTTP status or nil when no answer arrived.
    public func requestFinished(teacher: String, status: Int?, seconds: Double, promptTokens: Int, completionTokens: Int,
                                cost: Double, at now: Double) {
        update(teacher) { t in
            t.inFlight -= 1
            t.requests[status.map(String.init) ?? "transport", default: 0] += 1
            t.latency.observe(seconds)
            t.promptTokens += promptTokens
            t.completionTokens += completionTokens
            t.spend += cost
            if let status, (200..<300).contains(status) { t.lastSuccess = now }
        }
    }

    /// A job was answered and committed.
    public func jobDone(teacher: String) { update(teacher) { $0.jobsDone += 1 } }
    /// A job failed for good.
    public func jobFailed(teacher: String) { update(teacher) { $0.jobsFailed += 1 } }
    /// A failed attempt will be retried.
    public func retried(teacher: String) { update(teacher) { $0.retries += 1 } }
    /// The configured in-flight limit of `teacher`.
    public func setLimit(teacher: String, maxInFlight: Int) { update(teacher) { $0.maxInFlight = maxInFlight } }

    /// A config reload succeeded or failed.
    public func configReloaded(ok: Bool) { state.withLock { ok ? ($0.reloadsOK += 1) : ($0.reloadsFailed += 1) } }

    /// A database write succeeded (error nil) or failed.
    public func databaseWrite(error: String?, at now: Double) {
        state.withLock { s in
            s.databaseError = error
            if error == nil { s.lastDatabaseWrite = now }
        }
    }
}
