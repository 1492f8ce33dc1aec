import Logging
import SQLiteStore

/// The reload itself: read, validate, compare, apply.
struct ConfigReloader: Sendable {
    let path: String
    let running: DaemonConfigBox
    let queue: QueueService
    let store: any HarvestDatabase
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
        if new.databasePath != old.databasePath || new.databaseURL != old.databaseURL || new.rescueFile != old.rescueFile {
            logger.warning("database.path, database.url and database.rescue_file changes take effect at the next restart")
        }
        if new.metricsAddress != old.metricsAddress {
            logger.warning("server.metrics_address changes take effect at the next restart")
        }
        if new.leaseSeconds != old.leaseSeconds || new.pollSeconds != old.pollSeconds {
            logger.warning("lease_seconds and poll_seconds changes take effect at the next restart")
        }
        await PriceSync.write(new, to: store, logger: logger)
        await PriceSync.checkRuns(new, store: store, logger: logger)
        running.value = new
        queue.apply(new)
        metrics.configReloaded(ok: true)
        logger.notice("config reloaded", metadata: ["teachers": "\(new.teachers.count)", "sweeps": "\(new.sweeps.count)",
                                                   "config.file": "\(path)"])
    }
}
