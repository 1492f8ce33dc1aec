import CurlTransport
import HarvestCore
import HarvestDaemon
import HarvestKit

/// The running daemon's view of its teachers for `harvest status`: limits, window, waiting requests, rate-limit
/// pauses, replicas taken out by their breaker and fail-fast pauses, read from its `/metrics` endpoint.
struct DaemonTrafficStatus {
    /// One teacher's lines.
    struct Teacher {
        var name: String
        var values: [String: Double] = [:]
        var limits: [String: Double] = [:]
        var pausedReason: String?
        var endpointsDown: [String] = []
        var endpoints = 0
    }

    var teachers: [Teacher]

    /// Fetches and parses `/metrics` at `address`; nil when the daemon does not answer within a second.
    static func fetch(_ address: MetricsAddress) async -> DaemonTrafficStatus? {
        guard let transport = try? CurlTransport(configuration: .init(maxConnections: 1)) else { return nil }
        defer { transport.shutdown() }
        let host = address.host == "0.0.0.0" ? "127.0.0.1" : address.host
        let request = HTTPRequest(url: "http://\(host):\(address.port)/metrics", method: "GET", headers: [], body: [],
                                  timeouts: HTTPTimeouts(connect: 1, total: 2), maxResponseBytes: 8 << 20)
        guard let response = try? await transport.send(request), response.status == 200 else { return nil }
        return parse(String(decoding: response.body, as: UTF8.self))
    }

    /// Parses the Prometheus text of the daemon.
    static func parse(_ text: String) -> DaemonTrafficStatus {
        var byName: [String: Teacher] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let brace = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}"),
                  let value = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)) else { continue }
            let family = String(line[..<brace])
            let labels = Self.labels(line[line.index(after: brace)..<close])
            guard let name = labels["teacher"] else { continue }
            var t = byName[name] ?? Teacher(name: name)
            switch family {
            case "harvest_limit": if let kind = labels["limit"] { t.limits[kind] = value }
            case "harvest_teacher_paused": if value > 0 { t.pausedReason = labels["reason"] }
            case "harvest_endpoint_up":
                t.endpoints += 1
                if value == 0 { t.endpointsDown.append(labels["endpoint"] ?? "?") }
            default: t.values[family] = value
            }
            byName[name] = t
        }
        return DaemonTrafficStatus(teachers: byName.values.sorted { $0.name < $1.name })
    }

    /// `key="value"` pairs, with `\"`, `\\` and `\n` unescaped.
    static func labels(_ text: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var key = "", value = "", inValue = false, escaped = false
        for c in text {
            if inValue {
                if escaped {
                    value.append(c == "n" ? "\n" : c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    out[key] = value
                    key = ""
                    value = ""
                    inValue = false
                } else {
                    value.append(c)
                }
            } else if c == "\"" {
                inValue = true
            } else if c != "=" && c != "," {
                key.append(c)
            }
        }
        return out
    }

    /// Lines for the status table.
    func table() -> String {
        var out = "daemon teachers (from /metrics):\n"
        for t in teachers {
            var parts: [String] = []
            let limits = ["rpm", "tpm", "rps"].compactMap { k in t.limits[k].map { "\(k) \(ProgressLine.fixed($0, 0))" } }
            if !limits.isEmpty { parts.append("limits " + limits.joined(separator: ", ")) }
            if let w = t.values["harvest_window"], let m = t.values["harvest_max_in_flight"] {
                parts.append("window \(Int(w))/\(Int(m))")
            }
            if let n = t.values["harvest_in_flight"] { parts.append("\(Int(n)) in flight") }
            if let n = t.values["harvest_admission_waiting"], n > 0 { parts.append("\(Int(n)) waiting") }
            if let n = t.values["harvest_admitted_total"] { parts.append("\(Int(n)) sent") }
            if let p = t.values["harvest_ratelimit_paused_seconds"], p > 0 { parts.append("x-ratelimit pause \(ProgressLine.fixed(p, 1)) s") }
            if !t.endpointsDown.isEmpty {
                parts.append("\(t.endpointsDown.count) of \(t.endpoints) replicas taken out: " + t.endpointsDown.joined(separator: ", "))
            }
            if let reason = t.pausedReason { parts.append("PAUSED: \(reason)") }
            out += "  \(t.name): " + parts.joined(separator: "; ") + "\n"
        }
        return out
    }
}
