import Foundation
import HarvestCore
import HarvestJSON
import ServiceLifecycle
import SQLiteStore

/// Serves `/metrics` (Prometheus text) and `/healthz` until graceful shutdown (it stops last but one, so the
/// drain can be watched).
public final class MetricsService: Service, Sendable {
    /// The server (already listening when the service is created, so a bad address fails the start).
    public let server: MetricsServer

    init(server: MetricsServer) {
        self.server = server
    }

    /// Waits for graceful shutdown, then stops the server.
    public func run() async throws {
        try? await gracefulShutdown()
        server.stop()
    }

    /// The request handler: `/metrics`, `/healthz`, 404 otherwise.
    /// The queue depth is read live from SQLite; from another backend (read asynchronously) it is the value
    /// housekeeping last read into `depthCache`; provider batches likewise (live from SQLite, else as the batch
    /// service last read them into `batchCache`).
    static func handler(metrics: DaemonMetrics, store: any HarvestDatabase, depthCache: QueueDepthCache, batchCache: BatchMetricsCache,
                        staleAfter: Double) -> MetricsServer.Handler {
        let sqlite = store as? SQLiteStore
        return { path in
            let now = Date().timeIntervalSince1970
            switch path {
            case "/metrics":
                let depth = sqlite.map { try? $0.queueDepth() } ?? depthCache.depth
                var body = PrometheusText.render(metrics.snapshot(), queueDepth: depth, now: now)
                if let sqlite, let counts = try? sqlite.batchStateCounts(), !counts.isEmpty, let open = try? sqlite.openBatches() {
                    body += PrometheusBatches.render(counts: counts, open: open)
                } else if sqlite == nil, let cached = batchCache.snapshot, !cached.counts.isEmpty {
                    body += PrometheusBatches.render(counts: cached.counts, open: cached.open)
                }
                return .init(status: 200, contentType: PrometheusText.contentType, body: body)
            case "/healthz", "/health":
                return Health.check(metrics.snapshot(), now: now, staleAfter: staleAfter)
            default:
                return .init(status: 404, body: "not found: try /metrics or /healthz\n")
            }
        }
    }
}
