import Foundation
import HarvestCore

/// How a sweep runs.
public struct SweepOptions: Sendable {
    /// Requests in flight at most.
    public var concurrency: Int
    /// Retry and backoff rules.
    public var retry: RetryPolicy
    /// Seconds a claimed job stays leased to this runner before another may take it.
    public var leaseSeconds: Double
    /// Lease owner name (host and pid by default).
    public var owner: String
    /// Where responses that could not be committed are appended, so a paid answer is never lost.
    public var rescuePath: String

    /// Creates options.
    public init(concurrency: Int = 64, retry: RetryPolicy = RetryPolicy(), leaseSeconds: Double = 900,
                owner: String = SweepOptions.defaultOwner, rescuePath: String = "harvest-rescue.jsonl") {
        self.concurrency = concurrency
        self.retry = retry
        self.leaseSeconds = leaseSeconds
        self.owner = owner
        self.rescuePath = rescuePath
    }

    /// `hostname:pid`.
    public static var defaultOwner: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
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

    /// Creates an outcome.
    public init(counters: SweepCounters, interrupted: Bool, stopReason: String?, seconds: Double) {
        self.counters = counters
        self.interrupted = interrupted
        self.stopReason = stopReason
        self.seconds = seconds
    }
}
