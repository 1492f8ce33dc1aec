import Foundation
import HarvestCore
import SQLiteStore

/// How a sweep runs.
public struct SweepOptions: Sendable {
    /// Requests in flight at most.
    public var concurrency: Int
    /// Retry and backoff rules.
    public var retry: RetryPolicy
    /// Seconds a claimed job stays leased to this runner without renewal (renewed every third of it while held).
    /// A claim takes over an expired lease unless its owner is a process of this host that still runs; the jobs
    /// of an owner known to be gone are taken at once.
    public var leaseSeconds: Double
    /// Lease owner name (``LeaseOwner/current`` by default: host, pid, process start time, boot and random part).
    public var owner: String
    /// Where responses that could not be committed are appended, so a paid answer is never lost
    /// (``RescueLog/defaultPath(database:)`` beside the database for the CLI and the daemon).
    public var rescuePath: String
    /// When the sweep stops early (wrong key, broken teacher, no logprobs, no endpoint).
    public var failFast: FailFastPolicy
    /// Seconds between lease renewals of the jobs this runner holds (nil: a third of ``leaseSeconds``, at most 60).
    /// Renewal keeps a job that waits for admission or backs off for long from being claimed by another runner.
    public var leaseRenewalSeconds: Double?
    /// Jobs claimed ahead of the in-flight window (nil: two windows, 64…1,024). The daemon uses 0: it claims
    /// only what it can send at once, so per-run budgets and drain accounting stay exact.
    public var prefetch: Int?

    /// Creates options.
    public init(concurrency: Int = 64, retry: RetryPolicy = RetryPolicy(), leaseSeconds: Double = 60,
                owner: String = SweepOptions.defaultOwner, rescuePath: String = "harvest-rescue.jsonl",
                failFast: FailFastPolicy = FailFastPolicy(), leaseRenewalSeconds: Double? = nil, prefetch: Int? = nil) {
        self.concurrency = concurrency
        self.retry = retry
        self.leaseSeconds = leaseSeconds
        self.owner = owner
        self.rescuePath = rescuePath
        self.failFast = failFast
        self.leaseRenewalSeconds = leaseRenewalSeconds
        self.prefetch = prefetch
    }

    /// The lease renewal interval in effect, seconds.
    public var effectiveLeaseRenewal: Double {
        max(0.05, leaseRenewalSeconds ?? min(leaseSeconds / 3, 60))
    }

    /// This process's lease owner, ``LeaseOwner/current``.
    public static var defaultOwner: String { LeaseOwner.current.description }
}

/// Live counters of a running sweep.
public struct SweepCounters: Sendable, Equatable {
    /// Jobs done in this run.
    public var done = 0
    /// Jobs failed in this run.
    public var failed = 0
    /// Failed attempts that were retried.
    public var retries = 0
    /// Requests in flight now.
    public var inFlight = 0
    /// Prompt tokens reported by the teacher.
    public var promptTokens = 0
    /// Completion tokens reported by the teacher.
    public var completionTokens = 0
    /// Answers stored without logprobs although logprobs were asked for.
    public var missingLogprobs = 0
    /// Jobs handed back to pending by a stop.
    public var released = 0
    /// Paid answers the database refused, saved to the rescue file.
    public var rescued = 0
    /// Failed attempts answered 429 (rate limited).
    public var rateLimited = 0
    /// The latest error text.
    public var lastError: String?

    /// Creates zeroed counters.
    public init() {}
}

/// How a sweep run ended.
public struct SweepOutcome: Sendable, Equatable {
    /// Final counters.
    public var counters: SweepCounters
    /// True when a stop (signal, auth failure) ended the run before all jobs were settled.
    public var interrupted: Bool
    /// Why it stopped early, if it did.
    public var stopReason: String?
    /// Wall-clock seconds of the run.
    public var seconds: Double
    /// The fail-fast rule that stopped the run, if one did.
    public var failFast: FailFastTrip?

    /// Creates an outcome.
    public init(counters: SweepCounters, interrupted: Bool, stopReason: String?, seconds: Double, failFast: FailFastTrip? = nil) {
        self.counters = counters
        self.interrupted = interrupted
        self.stopReason = stopReason
        self.seconds = seconds
        self.failFast = failFast
    }
}
