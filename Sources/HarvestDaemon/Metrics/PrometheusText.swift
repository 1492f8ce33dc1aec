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
