#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HarvestCore
import Logging
import Testing
@testable import HarvestDaemon
import HarvestTestSupport

@Suite struct MetricsTests {
    @Test func histogramIsCumulative() {
        var h = LatencyHistogram()
        for s in [0.01, 0.2, 0.2, 3, 1000] { h.observe(s) }
        #expect(h.count == 5)
        #expect(h.cumulative.first == 1)
        #expect(h.cumulative[2] == 3)  // ≤ 0.25
        #expect(h.cumulative.last == 5)
    }

    @Test func prometheusTextHasEveryFamily() {
        let metrics = DaemonMetrics(startedAt: 1000)
        metrics.setLimit(teacher: "a\"b", maxInFlight: 8)
        metrics.requestStarted(teacher: "a\"b")
        metrics.requestFinished(teacher: "a\"b", status: 200, seconds: 0.3, promptTokens: 10, completionTokens: 20, cost: 0.5, at: 1001)
        metrics.requestStarted(teacher: "a\"b")
        metrics.requestFinished(teacher: "a\"b", status: nil, seconds: 2, promptTokens: 0, completionTokens: 0, cost: 0, at: 1002)
        metrics.retried(teacher: "a\"b")
        metrics.jobDone(teacher: "a\"b")
        let text = PrometheusText.render(metrics.snapshot(), queueDepth: [.pending: 3, .done: 1], now: 1003)
        for line in [
            "harvest_requests_total{teacher=\"a\\\"b\",status=\"200\"} 1",
            "harvest_requests_total{teacher=\"a\\\"b\",status=\"transport\"} 1",
            "harvest_retries_total{teacher=\"a\\\"b\"} 1",
            "harvest_tokens_total{teacher=\"a\\\"b\",direction=\"out\"} 20",
            "harvest_spend_total{teacher=\"a\\\"b\"} 0.5",
            "harvest_in_flight{teacher=\"a\\\"b\"} 0",
            "harvest_request_duration_seconds_bucket{teacher=\"a\\\"b\",le=\"0.5\"} 1",
            "harvest_request_duration_seconds_bucket{teacher=\"a\\\"b\",le=\"+Inf\"} 2",
            "harvest_request_duration_seconds_count{teacher=\"a\\\"b\"} 2",
            "harvest_queue_jobs{state=\"pending\"} 3",
            "harvest_queue_jobs{state=\"leased\"} 0",
        ] {
            #expect(text.contains(line + "\n"), "missing: \(line)")
        }
        #expect(text.contains("# TYPE harvest_request_duration_seconds histogram"))
    }

    @Test func serverAnswersOnLoopbackAndStops() throws {
        let server = MetricsServer(address: MetricsAddress(port: 0)) { path in
            path == "/metrics" ? .init(status: 200, body: "harvest_up 1\n") : .init(status: 404, body: "no\n")
        }
        let port = try server.start()
        #expect(port > 0)
        let ok = try #require(httpGet(port: port, path: "/metrics?x=1"))
        #expect(ok.status == 200 && ok.body == "harvest_up 1\n")
        #expect(httpGet(port: port, path: "/nope")?.status == 404)
        server.stop()
        #expect(httpGet(port: port, path: "/metrics") == nil)
    }

    @Test func healthNeedsARecentDatabaseWrite() {
        let metrics = DaemonMetrics(startedAt: 0)
        #expect(Health.check(metrics.snapshot(), now: 100, staleAfter: 10).status == 503)
        metrics.databaseWrite(error: nil, at: 95)
        #expect(Health.check(metrics.snapshot(), now: 100, staleAfter: 10).status == 200)
        metrics.databaseWrite(error: "disk full", at: 99)
        let bad = Health.check(metrics.snapshot(), now: 100, staleAfter: 10)
        #expect(bad.status == 503 && bad.body.contains("disk full"))
    }

    @Test func logLinesAreOneLineWithSortedDottedKeys() {
        let line = DaemonLogHandler.format(level: .warning, message: "job failed\nsecond line", metadata: ["job.id": "7", "http.status": "429", "error": "too many"],
                                           journald: true, now: Date(timeIntervalSince1970: 0))
        #expect(line == "<4>warning job failed\\nsecond line error=\"too many\" http.status=429 job.id=7\n")
        let plain = DaemonLogHandler.format(level: .info, message: "ready", metadata: [:], journald: false, now: Date(timeIntervalSince1970: 0))
        #expect(plain == "1970-01-01T00:00:00.000Z info ready\n")
    }
}
