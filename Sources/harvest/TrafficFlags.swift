import ArgumentParser
import HarvestCore
import HarvestKit

/// `harvest sweep` flags that shape teacher traffic: rate limits, AIMD, timeouts, breaker, fail-fast rules.
struct TrafficFlags: ParsableArguments {
    @Option(help: "Teacher identity for job keys (default: MODEL@KIND, e.g. Qwen/Qwen2.5-7B-Instruct@chat; never the URL).")
    var teacherName: String?

    @Option(help: "Requests per minute at most (default: unlimited).")
    var rpm: Double?

    @Option(help: "Tokens per minute at most, prompt + completion, estimated before sending and corrected from usage.")
    var tpm: Double?

    @Option(help: "Requests per second at most (default: unlimited).")
    var qps: Double?

    @Flag(help: "Adapt the in-flight window: halve it on 429/503, grow it back while latency stays flat (for hosted APIs).")
    var adaptive = false

    @Option(help: "Seconds to connect.")
    var connectTimeout: Double?

    @Option(help: "Seconds until the first response byte (0 = off; a non-streaming teacher sends nothing until it has generated the whole answer).")
    var firstByteTimeout: Double = 0

    @Option(help: "Seconds without data once a response has started before the transfer is cut and retried (0 = off).")
    var idleTimeout: Double = 30

    @Option(help: "Largest accepted response body, MiB (a larger one fails the job).")
    var maxResponseMb: Int = 64

    @Option(help: "Consecutive failures (transport errors, 5xx) that take an endpoint out.")
    var breakerFailures: Int = 5

    @Option(help: "Seconds before an endpoint that was taken out gets one trial request (doubles after each failed trial, up to 60).")
    var breakerCooldown: Double = 2

    @Option(help: "Attempts in the fail-fast error-rate window (0 = no error-rate rule).")
    var failFastWindow: Int = 100

    @Option(help: "Stop when more than this fraction of the window's attempts failed (429s not counted).")
    var failFastErrorRate: Double = 0.5

    @Option(help: "Stop when every replica has been failing for this many seconds.")
    var failFastUnavailable: Double = 300

    @Flag(help: "Disable every fail-fast rule (wrong key, first attempts all failing, error rate, missing logprobs, no replica).")
    var noFailFast = false

    func validate() throws {
        for (name, value) in [("--rpm", rpm), ("--tpm", tpm), ("--qps", qps)] {
            if let value, !(value > 0) { throw ValidationError("\(name) must be greater than 0") }
        }
        for (name, value) in [("--first-byte-timeout", firstByteTimeout), ("--idle-timeout", idleTimeout),
                              ("--breaker-cooldown", breakerCooldown), ("--fail-fast-unavailable", failFastUnavailable)] where value < 0 {
            throw ValidationError("\(name) must not be negative")
        }
        if let connectTimeout, !(connectTimeout > 0) { throw ValidationError("--connect-timeout must be greater than 0") }
        if maxResponseMb < 1 { throw ValidationError("--max-response-mb must be at least 1") }
        if breakerFailures < 1 { throw ValidationError("--breaker-failures must be at least 1") }
        if failFastWindow < 0 { throw ValidationError("--fail-fast-window must not be negative") }
        if !(0...1).contains(failFastErrorRate) { throw ValidationError("--fail-fast-error-rate must be between 0 and 1") }
    }

    /// The fail-fast policy these flags select.
    var failFast: FailFastPolicy {
        if noFailFast { return .off }
        return FailFastPolicy(window: failFastWindow, maxErrorRate: failFastErrorRate, maxUnavailableSeconds: failFastUnavailable)
    }

    /// The breaker policy these flags select.
    var breaker: BreakerPolicy {
        BreakerPolicy(failureThreshold: breakerFailures, cooldown: breakerCooldown)
    }
}
