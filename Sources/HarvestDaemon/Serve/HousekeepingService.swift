import Foundation
import HarvestKit
import Logging
import ServiceLifecycle
import SQLiteStore

/// Periodic chores of the daemon: renews the leases of jobs in flight (a write that also proves the database is
/// writable), reads the queue depth for `/metrics`, checkpoints the WAL (SQLite only: PostgreSQL needs no chore
/// here), reports progress to systemd (`STATUS=`) and feeds its watchdog (`WATCHDOG=1`, only while database writes
/// succeed, so a wedged daemon gets restarted).
public final class HousekeepingService: Service, Sendable {
    private let store: any HarvestDatabase
    private let depthCache: QueueDepthCache
    private let owner: String
    private let rescuePath: String
    private let leaseSeconds: Double
    private let interval: Double
    private let notifier: SystemdNotifier
    private let metrics: DaemonMetrics
    private let logger: Logger

    /// Seconds between WAL checkpoints.
    static let checkpointSeconds = 60.0

    init(store: any HarvestDatabase, owner: String, leaseSeconds: Double, rescuePath: String, notifier: SystemdNotifier, metrics: DaemonMetrics,
         depthCache: QueueDepthCache, logger: Logger) {
        self.store = store
        self.depthCache = depthCache
        self.owner = owner
        self.rescuePath = rescuePath
        self.leaseSeconds = leaseSeconds
        self.notifier = notifier
        self.metrics = metrics
        self.logger = logger
        var every = min(max(leaseSeconds / 3, 0.2), 10)
        if let watchdog = notifier.watchdogInterval { every = min(every, max(watchdog / 2, 0.1)) }
        interval = every
    }

    /// Renews leases every third of `lease_seconds` (at most every 10 s) until graceful shutdown.
    public func run() async throws {
        var lastCheckpoint = Date()
        var lastStatus = Date.distantPast
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await tick()
            if let sqlite = store as? SQLiteStore, Date().timeIntervalSince(lastCheckpoint) >= Self.checkpointSeconds {
                lastCheckpoint = Date()
                do {
                    let (frames, done) = try sqlite.checkpoint()
                    logger.debug("WAL checkpoint", metadata: ["wal.frames": "\(frames)", "wal.checkpointed": "\(done)"])
                } catch {
                    logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
                }
            }
            if notifier.isEnabled, Date().timeIntervalSince(lastStatus) >= 5 {
                lastStatus = Date()
                notifier.status(await statusLine())
            }
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: .milliseconds(Int(self.interval * 1000)))
            }
        }
        // Keep the leases of anything still in flight until the queue service has finished draining.
        await tick()
    }

    /// One renewal (and watchdog ping when it succeeded). While the database refuses writes, tries to end the
    /// refusal instead (space back: rescue file imported, then claims resume) and reports the daemon unhealthy.
    func tick() async {
        if let refusal = store.writeRefusal {
            let rescuePath = self.rescuePath
            let logger = self.logger
            let recovered = await store.retryWrites {
                if let summary = try await RescueImporter.importFile(rescuePath, into: self.store) {
                    logger.notice("rescue file imported", metadata: Self.metadata(summary))
                }
            }
            if !recovered {
                let text = "database refuses writes: \(refusal.reason)"
                metrics.databaseWrite(error: text, at: Date().timeIntervalSince1970)
                // The process is alive and doing the right thing (waiting for space): keep systemd's watchdog fed.
                if notifier.watchdogInterval != nil { notifier.watchdog() }
                notifier.status("unhealthy: the database refuses writes (\(refusal.diskFull ? "disk full" : "read-only or I/O error")); "
                                + "no jobs are claimed until it accepts writes again")
                return
            }
            logger.notice("the database accepts writes again: claims resume",
                          metadata: ["refused.seconds": "\(Int(Date().timeIntervalSince1970 - refusal.since))"])
            notifier.status(await statusLine())
        }
        do {
            let held = try await store.renewLeases(owner: owner, leaseSeconds: leaseSeconds)
            metrics.databaseWrite(error: nil, at: Date().timeIntervalSince1970)
            if notifier.watchdogInterval != nil { notifier.watchdog() }
            if held > 0 { logger.trace("leases renewed", metadata: ["jobs": "\(held)"]) }
            // SQLite's depth is read live by /metrics; another backend's is read here, off the endpoint's thread.
            if !(store is SQLiteStore) { depthCache.set(try? await store.queueDepth()) }
        } catch {
            metrics.databaseWrite(error: "\(error)", at: Date().timeIntervalSince1970)
            logger.error("cannot renew leases: the database refused a write", metadata: ["error": "\(error)"])
        }
    }

    /// Log metadata of a rescue import.
    static func metadata(_ s: RescueImporter.Summary) -> Logger.Metadata {
        ["rescue.file": "\(s.path)", "rescue.answers": "\(s.answers)", "rescue.stored": "\(s.stored)",
         "rescue.already_stored": "\(s.alreadyDone)", "rescue.unknown_jobs": "\(s.unknownLines.count)", "rescue.archived_as": "\(s.archivedAs)"]
    }

    /// `STATUS=` text: queue depth and this process's throughput.
    func statusLine() async -> String {
        let snapshot = metrics.snapshot()
        let done = snapshot.teachers.values.reduce(0) { $0 + $1.jobsDone }
        let inFlight = snapshot.teachers.values.reduce(0) { $0 + $1.inFlight }
        var text = "\(done) answers stored, \(inFlight) in flight"
        if let depth = try? await store.queueDepth() {
            text += "; queue: \(depth[.pending] ?? 0) pending, \(depth[.leased] ?? 0) leased, \(depth[.done] ?? 0) done, \(depth[.failed] ?? 0) failed"
        }
        for (name, t) in snapshot.teachers.sorted(by: { $0.key < $1.key }) {
            if let reason = t.pausedReason { text += "; teacher \(name) paused: \(reason)" }
        }
        return text
    }
}
