import Foundation
import Logging
import ServiceLifecycle
import SQLiteStore
import UnixSignals

/// Reloads the config file on SIGHUP (`systemctl reload harvest`). A valid file replaces teachers, limits,
/// prices and sweeps without dropping in-flight work; an invalid one is logged and the running config kept.
/// `database.path` and `server.metrics_address` need a restart to change.
public final class ConfigReloadService: Service, Sendable {
    private let signals: UnixSignalsSequence
    private let reload: @Sendable () async -> Void

    /// Traps SIGHUP at once (before READY=1), so an early reload cannot kill the process.
    init(reload: @escaping @Sendable () async -> Void) async {
        signals = await UnixSignalsSequence(trapping: .sighup)
        self.reload = reload
    }

    /// Reloads on every SIGHUP until graceful shutdown.
    public func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload()
        }
    }
}

/// The reload itself: read, validate, compare, apply.
struct ConfigReloader: Sendable {
    let path: String
    let running: DaemonConfigBox
    let queue: QueueService
    let store: SQLiteStore
    let environment: [String: String]
    let notifier: SystemdNotifier
    let metrics: DaemonMetrics
    let logger: Logger

    func reload() async {
        notifier.reloading()
        defer { notifier.ready(status: "config reloaded") }
        let old = running.value
        let new: DaemonConfig
        do {
            new = try DaemonConfig.load(path: path)
            try new.checkEnvironment(environment)
        } catch {
            metrics.configReloaded(ok: false)
            logger.error("config reload failed; keeping the running configuration", metadata: ["error": "\(error)", "config.file": "\(path)"])
            return
        }
        if new.databasePath != old.databasePath || new.rescueFile != old.rescueFile {
            logger.warning("database.path and database.rescue_file changes take effect at the next restart")
        }
        if new.metricsAddress != old.metricsAddress {
            logger.warning("server.metrics_address changes take effect at the next restart")
        }
        if new.leaseSeconds != old.leaseSeconds || new.pollSeconds != old.pollSeconds {
            logger.warning("lease_seconds and poll_seconds changes take effect at the next restart")
        }
        await PriceSync.write(new, to: store, logger: logger)
        PriceSync.checkRuns(new, store: store, logger: logger)
        running.value = new
        queue.apply(new)
        metrics.configReloaded(ok: true)
        logger.notice("config reloaded", metadata: ["teachers": "\(new.teachers.count)", "sweeps": "\(new.sweeps.count)",
                                                   "config.file": "\(path)"])
    }
}

/// Writes the configured prices of every teacher to the database, so answers are charged at them, and warns
/// about active runs that no configured teacher can serve (their jobs would wait forever).
enum PriceSync {
    static func checkRuns(_ config: DaemonConfig, store: SQLiteStore, logger: Logger) {
        guard let runs = try? store.activeRuns() else { return }
        for active in runs {
            let t = active.teacher
            let served = config.teachers.contains { $0.name == t.name && $0.model == t.model && $0.endpoint == t.kind }
            if !served {
                logger.warning("no configured teacher serves this run; its jobs wait (add the teacher back to the config and reload)",
                               metadata: ["run.id": "\(active.run.runId)", "sweep.id": "\(active.run.sweepId)", "sweep.name": "\(active.run.sweepName)",
                                          "teacher.name": "\(t.name)", "teacher.model": "\(t.model)", "teacher.endpoint": "\(t.kind.rawValue)"])
            }
        }
    }

    static func write(_ config: DaemonConfig, to store: SQLiteStore, logger: Logger) async {
        for teacher in config.teachers {
            do {
                try await store.setPrices(teacher: teacher.endpointForJobs, inputPerMillion: teacher.prices?.inputPerMillion,
                                          outputPerMillion: teacher.prices?.outputPerMillion)
            } catch {
                logger.error("cannot store the teacher's prices", metadata: ["teacher": "\(teacher.name)", "error": "\(error)"])
            }
        }
    }
}
