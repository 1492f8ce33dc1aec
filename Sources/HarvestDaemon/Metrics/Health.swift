import HarvestJSON

/// `/healthz`: healthy while the database accepts writes (the last lease renewal is recent and succeeded).
/// The body also shows each teacher's last 2xx answer, which is informational (an idle daemon has none).
enum Health {
    static func check(_ s: DaemonMetrics.Snapshot, now: Double, staleAfter: Double) -> MetricsServer.Response {
        let writable = s.databaseError == nil && (s.lastDatabaseWrite.map { now - $0 <= staleAfter } ?? false)
        var body = "{\"status\":\"\(writable ? "ok" : "unhealthy")\",\"database_writable\":\(writable)"
        if let last = s.lastDatabaseWrite { body += ",\"last_database_write\":\(PrometheusText.number(last))" }
        if let error = s.databaseError { body += ",\"database_error\":\(jsonString(error))" }
        body += ",\"teachers\":{"
        body += s.teachers.sorted { $0.key < $1.key }.map { name, t in
            "\(jsonString(name)):{\"last_success\":\(t.lastSuccess.map(PrometheusText.number) ?? "null"),\"in_flight\":\(t.inFlight)}"
        }.joined(separator: ",")
        body += "}}\n"
        return .init(status: writable ? 200 : 503, contentType: "application/json", body: body)
    }

    static func jsonString(_ s: String) -> String {
        var w = JSONWriter(capacity: s.utf8.count + 8)
        w.string(s)
        return w.string
    }
}
