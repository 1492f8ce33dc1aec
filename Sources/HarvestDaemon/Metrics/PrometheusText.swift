import HarvestCore

/// Renders the daemon's metrics in the Prometheus text exposition format (version 0.0.4).
public enum PrometheusText {
    /// The `Content-Type` of the output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The whole `/metrics` page: counters from `snapshot`, queue depth by state from the database.
    public static func render(_ snapshot: DaemonMetrics.Snapshot, queueDepth: [JobState: Int]?, now: Double) -> String {
        var out = ""
        let teachers = snapshot.teachers.sorted { $0.key < $1.key }
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            out += name
            if !labels.isEmpty {
                out += "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
            }
            out += " " + number(value) + "\n"
        }
        family("harvest_requests_total", "counter", "Requests sent to a teacher, by HTTP status (\"transport\" when no answer arrived).")
        for (name, t) in teachers {
            for (status, n) in t.requests.sorted(by: { $0.key < $1.key }) {
                sample("harvest_requests_total", [("teacher", name), ("status", status)], Double(n))
            }
        }
        family("harvest_retries_total", "counter", "Failed attempts that were retried.")
        for (name, t) in teachers { sample("harvest_retries_total", [("teacher", name)], Double(t.retries)) }
        family("harvest_jobs_done_total", "counter", "Jobs answered and committed by this process.")
        for (name, t) in teachers { sample("harvest_jobs_done_total", [("teacher", name)], Double(t.jobsDone)) }
        family("harvest_jobs_failed_total", "counter", "Jobs given up on by this process.")
        for (name, t) in teachers { sample("harvest_jobs_failed_total", [("teacher", name)], Double(t.jobsFailed)) }
        family("harvest_tokens_total", "counter", "Tokens reported by the teacher, input (prompt) and output (completion).")
        for (name, t) in teachers {
            sample("harvest_tokens_total", [("teacher", name), ("direction", "in")], Double(t.promptTokens))
            sample("harvest_tokens_total", [("teacher", name), ("direction", "out")], Double(t.completionTokens))
        }
        family("harvest_spend_total", "counter", "Spend at the configured prices (currency of the prices).")
        for (name, t) in teachers { sample("harvest_spend_total", [("teacher", name)], t.spend) }
        family("harvest_in_flight", "gauge", "Requests in flight now.")
        for (name, t) in teachers { sample("harvest_in_flight", [("teacher", name)], Double(t.inFlight)) }
        family("harvest_max_in_flight", "gauge", "The configured in-flight limit.")
        for (name, t) in teachers { sample("harvest_max_in_flight", [("teacher", name)], Double(t.maxInFlight)) }
        family("harvest_last_success_timestamp_seconds", "gauge", "Unix time of the last 2xx answer.")
        for (name, t) in teachers { sample("harvest_last_success_timestamp_seconds", [("teacher", name)], t.lastSuccess ?? 0) }
        family("harvest_request_duration_seconds", "histogram", "Request latency, from hand-off to the transport until the answer.")
        for (name, t) in teachers {
            for (i, c) in t.latency.cumulative.enumerated() {
                let le = i < LatencyHistogram.bounds.count ? number(LatencyHistogram.bounds[i]) : "+Inf"
                sample("harvest_request_duration_seconds_bucket", [("teacher", name), ("le", le)], Double(c))
            }
            sample("harvest_request_duration_seconds_sum", [("teacher", name)], t.latency.sum)
            sample("harvest_request_duration_seconds_count", [("teacher", name)], Double(t.latency.count))
        }
        renderTraffic(teachers, family: family, sample: sample)
        if let queueDepth {
            family("harvest_queue_jobs", "gauge", "Jobs of active runs in the database, by state (all processes).")
            for state in JobState.allCases { sample("harvest_queue_jobs", [("state", state.rawValue)], Double(queueDepth[state] ?? 0)) }
        }
        family("harvest_config_reloads_total", "counter", "Config reloads (SIGHUP) by result.")
        sample("harvest_config_reloads_total", [("result", "ok")], Double(snapshot.reloadsOK))
        sample("harvest_config_reloads_total", [("result", "error")], Double(snapshot.reloadsFailed))
        family("harvest_database_last_write_timestamp_seconds", "gauge", "Unix time of the last successful database write.")
        sample("harvest_database_last_write_timestamp_seconds", [], snapshot.lastDatabaseWrite ?? 0)
        family("harvest_start_time_seconds", "gauge", "Unix time the daemon started.")
        sample("harvest_start_time_seconds", [], snapshot.startedAt)
        return out
    }

    /// The traffic layer of each teacher: limits, window, rate-limit pauses, replicas and breakers, fail-fast pauses.
    static func renderTraffic(_ teachers: [(key: String, value: DaemonMetrics.TeacherSeries)],
                              family: (String, String, String) -> Void, sample: (String, [(String, String)], Double) -> Void) {
        family("harvest_teacher_paused", "gauge", "1 while a fail-fast rule pauses the teacher's runs (reason label), else 0.")
        for (name, t) in teachers { sample("harvest_teacher_paused", [("teacher", name), ("reason", t.pausedReason ?? "")], t.pausedReason == nil ? 0 : 1) }
        family("harvest_limit", "gauge", "Configured rate limits in effect: rpm, tpm, rps (absent = unlimited).")
        for (name, t) in teachers {
            guard let l = t.limits else { continue }
            for (kind, value) in [("rpm", l.requestsPerMinute), ("tpm", l.tokensPerMinute), ("rps", l.requestsPerSecond)] {
                if let value { sample("harvest_limit", [("teacher", name), ("limit", kind)], value) }
            }
        }
        let shaped = teachers.compactMap { e in e.value.traffic.map { (e.key, $0) } }
        family("harvest_window", "gauge", "The in-flight window now (AIMD when adaptive; max_in_flight otherwise).")
        for (name, s) in shaped { sample("harvest_window", [("teacher", name)], Double(s.window)) }
        family("harvest_window_decreases_total", "counter", "Times the window was halved on 429/503.")
        for (name, s) in shaped { sample("harvest_window_decreases_total", [("teacher", name)], Double(s.windowDecreases)) }
        family("harvest_admission_waiting", "gauge", "Requests waiting for admission (window, rate limits, pauses, breakers).")
        for (name, s) in shaped { sample("harvest_admission_waiting", [("teacher", name)], Double(s.waiting)) }
        family("harvest_admitted_total", "counter", "Requests admitted by the traffic controller.")
        for (name, s) in shaped { sample("harvest_admitted_total", [("teacher", name)], Double(s.admitted)) }
        family("harvest_ratelimit_pauses_total", "counter", "Admission pauses ordered by x-ratelimit-remaining-*: 0 headers.")
        for (name, s) in shaped { sample("harvest_ratelimit_pauses_total", [("teacher", name)], Double(s.pauses)) }
        family("harvest_ratelimit_paused_seconds", "gauge", "Seconds the current x-ratelimit pause still lasts (0 = none).")
        for (name, s) in shaped { sample("harvest_ratelimit_paused_seconds", [("teacher", name)], s.pausedFor) }
        family("harvest_breaker_opens_total", "counter", "Replica circuit breakers opened.")
        for (name, s) in shaped { sample("harvest_breaker_opens_total", [("teacher", name)], Double(s.breakerOpens)) }
        family("harvest_endpoint_up", "gauge", "1 while a replica's breaker is closed, 0 while it is taken out.")
        for (name, s) in shaped {
            for e in s.endpoints { sample("harvest_endpoint_up", [("teacher", name), ("endpoint", e.baseURL ?? "")], e.breaker.isClosed ? 1 : 0) }
        }
        family("harvest_endpoint_requests_total", "counter", "Requests sent to each replica.")
        for (name, s) in shaped {
            for e in s.endpoints { sample("harvest_endpoint_requests_total", [("teacher", name), ("endpoint", e.baseURL ?? "")], Double(e.sent)) }
        }
        family("harvest_endpoint_failures_total", "counter", "Failed requests (transport error, 5xx) per replica.")
        for (name, s) in shaped {
            for e in s.endpoints { sample("harvest_endpoint_failures_total", [("teacher", name), ("endpoint", e.baseURL ?? "")], Double(e.failures)) }
        }
    }

    /// Label value escaping: backslash, double quote and newline.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// Integers without a fraction, other values as Swift prints them (round-trip exact).
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
