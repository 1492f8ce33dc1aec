import ArgumentParser
import HarvestCore
import HarvestKit

/// `harvest sweep` flags that shape teacher traffic: rate limits, AIMD, timeouts, breaker, fail-fast rules.
/// Each has the name of its `teachers[]` config key (`--idle-timeout` ↔ `idle_timeout`); a flag overrides the key.
struct TrafficFlags: ParsableArguments {
    @Option(help: "A teacher of --config to use, by name; with --teacher URLs and no such configured teacher, the identity for job keys (default: MODEL@KIND, e.g. Qwen/Qwen2.5-7B-Instruct@chat; never the URL).")
    var teacherName: String?

    @Option(help: "Requests per minute at most (limits.rpm; default: unlimited).")
    var rpm: Double?

    @Option(help: "Tokens per minute at most, prompt + completion, estimated before sending and corrected from usage (limits.tpm).")
    var tpm: Double?

    @Option(name: [.customLong("rps"), .customLong("qps")], help: "Requests per second at most (limits.rps; --qps is the old name).")
    var rps: Double?

    @Flag(inversion: .prefixedNo, help: "Adapt the in-flight window: halve it on 429/503, grow it back while latency stays flat (limits.adaptive; for hosted APIs).")
    var adaptive: Bool?

    @Option(help: "Seconds to connect (connect_timeout; default 10).")
    var connectTimeout: Double?

    @Option(help: "Seconds until the first response byte (first_byte_timeout; 0 = off, the default: a non-streaming teacher sends nothing until it has generated the whole answer).")
    var firstByteTimeout: Double?

    @Option(help: "Seconds without data once a response has started before the transfer is cut and retried (idle_timeout; 0 = off; default 30).")
    var idleTimeout: Double?

    @Option(help: "Largest accepted response body, MiB; a larger one fails the attempt (max_response_mb; default 64).")
    var maxResponseMb: Int?

    @Option(help: "Consecutive failures (transport errors, 5xx) that take an endpoint out (breaker_failures; default 5).")
    var breakerFailures: Int?

    @Option(help: "Seconds before an endpoint that was taken out gets one trial request, doubling after each failed trial up to 60 (breaker_cooldown; default 2).")
    var breakerCooldown: Double?

    @Option(help: "Attempts in the fail-fast error-rate window (fail_fast_window; 0 = no error-rate rule; default 100).")
    var failFastWindow: Int?

    @Option(help: "Stop when more than this fraction of the window's attempts failed, 429s not counted (fail_fast_error_rate; default 0.5).")
    var failFastErrorRate: Double?

    @Option(help: "Stop when every replica has been failing for this many seconds (fail_fast_unavailable; default 300).")
    var failFastUnavailable: Double?

    @Flag(help: "Disable every fail-fast rule: wrong key, first attempts all failing, error rate, missing logprobs, no replica (\"fail_fast\": false).")
    var noFailFast = false

    /// True when no traffic flag was given.
    var isEmpty: Bool {
        teacherName == nil && rpm == nil && tpm == nil && rps == nil && adaptive == nil && connectTimeout == nil && firstByteTimeout == nil
            && idleTimeout == nil && maxResponseMb == nil && breakerFailures == nil && breakerCooldown == nil && failFastWindow == nil
            && failFastErrorRate == nil && failFastUnavailable == nil && !noFailFast
    }

    func validate() throws {
        for (name, value) in [("--rpm", rpm), ("--tpm", tpm), ("--rps", rps)] {
            if let value, !(value > 0) { throw ValidationError("\(name) must be greater than 0") }
        }
        for (name, value) in [("--first-byte-timeout", firstByteTimeout), ("--idle-timeout", idleTimeout),
                              ("--breaker-cooldown", breakerCooldown), ("--fail-fast-unavailable", failFastUnavailable)] {
            if let value, value < 0 { throw ValidationError("\(name) must not be negative") }
        }
        if let connectTimeout, !(connectTimeout > 0) { throw ValidationError("--connect-timeout must be greater than 0") }
        if let maxResponseMb, maxResponseMb < 1 || maxResponseMb > 4096 { throw ValidationError("--max-response-mb must be 1…4096") }
        if let breakerFailures, breakerFailures < 1 { throw ValidationError("--breaker-failures must be at least 1") }
        if let failFastWindow, failFastWindow < 0 { throw ValidationError("--fail-fast-window must not be negative") }
        if let failFastErrorRate, !(0...1).contains(failFastErrorRate) { throw ValidationError("--fail-fast-error-rate must be between 0 and 1") }
    }

    /// Overrides the fields of `spec` these flags set.
    func apply(to spec: inout TeacherSpec) {
        if let rpm { spec.limits.requestsPerMinute = rpm }
        if let tpm { spec.limits.tokensPerMinute = tpm }
        if let rps { spec.limits.requestsPerSecond = rps }
        if let adaptive { spec.limits.adaptive = adaptive }
        if let connectTimeout { spec.connectTimeout = connectTimeout }
        if let firstByteTimeout { spec.firstByteTimeout = firstByteTimeout }
        if let idleTimeout { spec.idleTimeout = idleTimeout }
        if let maxResponseMb { spec.maxResponseBytes = maxResponseMb << 20 }
        if let breakerFailures { spec.breaker.failureThreshold = breakerFailures }
        if let breakerCooldown {
            spec.breaker.cooldown = breakerCooldown
            spec.breaker.maxCooldown = max(spec.breaker.maxCooldown, breakerCooldown)
        }
        if noFailFast {
            spec.failFast = .off
        } else {
            if let failFastWindow { spec.failFast.window = failFastWindow }
            if let failFastErrorRate { spec.failFast.maxErrorRate = failFastErrorRate }
            if let failFastUnavailable { spec.failFast.maxUnavailableSeconds = failFastUnavailable }
        }
    }
}
