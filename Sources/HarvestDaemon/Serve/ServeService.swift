import Foundation
import HarvestCore
import HarvestKit
import Logging
import PostgresStore
import ServiceLifecycle
import SQLiteStore

/// `harvest serve`: opens the database (SQLite or PostgreSQL, ``StoreFactory``), then runs the queue workers, the metrics endpoint, config reloads and
/// housekeeping as one `ServiceGroup` until SIGTERM/SIGINT, and tells systemd about each step.
///
/// ```swift
/// let serve = try await ServeService.start(configPath: "/etc/harvest/harvest.json", databaseFlag: nil, logger: logger)
/// try await serve.run()   // returns after a graceful shutdown
/// ```
public final class ServeService: Sendable {
    /// Why the daemon could not start.
    public enum StartError: Error, Sendable, CustomStringConvertible {
        /// The config file is missing or invalid.
        case config(DaemonConfigError)
        /// The database cannot be opened or migrated (a `StoreError`, or a `PostgresError` naming the URL).
        case database(any Error)
        /// The metrics endpoint cannot listen.
        case metrics(MetricsServer.StartError)

        /// One line for people.
        public var description: String {
            switch self {
            case .config(let e): e.description
            case .database(let e): "\(e)"
            case .metrics(let e): e.description
            }
        }
    }

    /// The config in use at start.
    public let config: DaemonConfig
    /// The database: a SQLite file or a PostgreSQL URL (without a password).
    public let databasePath: String
    /// This daemon's lease owner (``LeaseOwner`` text: host, pid, start time, boot, pid namespace, random part).
    public let owner: String
    /// The metrics server, when configured.
    public let metricsServer: MetricsServer?
    private let store: any HarvestDatabase
    private let metrics: DaemonMetrics
    private let notifier: SystemdNotifier
    private let group: ServiceGroup
    private let reloader: ConfigReloader
    private let logger: Logger

    private init(config: DaemonConfig, databasePath: String, owner: String, metricsServer: MetricsServer?, store: any HarvestDatabase,
                 metrics: DaemonMetrics, notifier: SystemdNotifier, group: ServiceGroup, reloader: ConfigReloader, logger: Logger) {
        self.config = config
        self.databasePath = databasePath
        self.owner = owner
        self.metricsServer = metricsServer
        self.store = store
        self.metrics = metrics
        self.notifier = notifier
        self.group = group
        self.reloader = reloader
        self.logger = logger
    }

    /// Reads the config, opens and migrates the database, starts listening for metrics, traps SIGHUP and sends
    /// `READY=1`. Nothing is claimed before ``run()``.
    public static func start(configPath: String, databaseFlag: String?, logger: Logger,
                             environment: [String: String] = ProcessInfo.processInfo.environment) async throws(StartError) -> ServeService {
        let config: DaemonConfig
        do {
            config = try DaemonConfig.load(path: configPath)
            try config.checkEnvironment(environment)
        } catch {
            throw .config(error)
        }
        let databasePath = config.resolveDatabase(flag: databaseFlag, environment: environment)
        let store: any HarvestDatabase
        do {
            let location = try StoreLocation(parsing: databasePath)
            store = try StoreFactory.open(location, options: StoreOptions(reserveBytes: StoreOptions.reserveBytes(environment: environment),
                                                                          checkpointOnClose: true))
        } catch {
            throw .database(error)
        }
        let started = Date().timeIntervalSince1970
        let metrics = DaemonMetrics(startedAt: started)
        let notifier = SystemdNotifier(environment: environment)
        // Host, pid, process start time, boot and a random part: a claim of another process on this host takes
        // this daemon's jobs at once when it is gone, and never while it runs.
        let owner = LeaseOwner.thisProcess().description
        await PriceSync.write(config, to: store, logger: logger)
        await PriceSync.checkRuns(config, store: store, logger: logger)

        let rescuePath = config.resolveRescueFile(database: databasePath)
        do {
            if let summary = try await RescueImporter.importFile(rescuePath, into: store) {
                logger.notice("rescue file imported", metadata: HousekeepingService.metadata(summary))
            }
        } catch {
            // A full disk: the housekeeping tick imports it once the database accepts writes again.
            logger.error("cannot import the rescue file yet", metadata: ["rescue.file": "\(rescuePath)", "error": "\(error)"])
        }
        let depthCache = QueueDepthCache()
        let batchCache = BatchMetricsCache()
        let housekeeping = HousekeepingService(store: store, owner: owner, leaseSeconds: config.leaseSeconds, rescuePath: rescuePath,
                                               notifier: notifier, metrics: metrics, depthCache: depthCache, logger: logger)
        var metricsServer: MetricsServer?
        if let address = config.metricsAddress {
            let staleAfter = max(10, config.leaseSeconds)
            let handler = MetricsService.handler(metrics: metrics, store: store, depthCache: depthCache, batchCache: batchCache,
                                                 staleAfter: staleAfter)
            let server = MetricsServer(address: address, handler: handler)
            do {
                try server.start()
            } catch {
                throw .metrics(error)
            }
            if !address.isLoopback {
                logger.warning("the metrics endpoint listens beyond loopback, as configured; it has no authentication",
                               metadata: ["metrics.address": "\(address.host):\(server.port)"])
            }
            metricsServer = server
        }
        let context = WorkerContext(store: store, owner: owner, leaseSeconds: config.leaseSeconds, pollSeconds: config.pollSeconds,
                                    rescuePath: rescuePath, environment: environment,
                                    metrics: metrics, notifier: notifier, logger: logger)
        let queue = QueueService(config: config, context: context) {
            notifier.stopping(status: "draining: waiting for in-flight requests")
        }
        let box = DaemonConfigBox(config)
        let reloader = ConfigReloader(path: configPath, running: box, queue: queue, store: store, environment: environment,
                                      notifier: notifier, metrics: metrics, logger: logger)
        let reload = await ConfigReloadService { await reloader.reload() }
        // Shut down in reverse order: the queue drains first while leases are still renewed and metrics served.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: housekeeping)]
        if let metricsServer { services.append(.init(service: MetricsService(server: metricsServer))) }
        services.append(.init(service: reload))
        // Provider batches (runs queued with via "batch"), on either backend; on PostgreSQL one daemon at a time per sweep.
        services.append(.init(service: BatchService(store: store, config: box, environment: environment, interval: config.pollSeconds,
                                                    metricsCache: batchCache, logger: logger)))
        // Several daemons on PostgreSQL: run notifications and shared limits; stops after the queue drained.
        let fleet = (store as? PostgresStore).map {
            FleetService(store: $0, owner: owner, config: box, queue: queue, wakeups: context.wakeups, logger: logger)
        }
        if let fleet { services.append(.init(service: fleet)) }
        services.append(.init(service: queue))
        // SIGTERM/SIGINT drain; a second one (Ctrl-C twice) abandons in-flight requests at once (QueueService).
        var groupConfig = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .milliseconds(Int((config.drainSeconds + 30) * 1000))
        let group = ServiceGroup(configuration: groupConfig)

        // A first renewal proves the database is writable before READY=1 and primes /healthz; the first heartbeat
        // gives the workers their part of shared limits before they claim.
        await housekeeping.tick()
        await fleet?.beat()
        // Jobs left leased by harvest processes of this host that are gone (kill -9, a crash) go back to the queue
        // now (every claim would take them anyway); the log says so.
        do {
            for taken in try await store.takeOverDeadLeases() {
                logger.notice("took over jobs left leased by a harvest process that is no longer running",
                              metadata: ["jobs": "\(taken.jobs)", "lease.owner": "\(taken.owner)"])
            }
        } catch {
            logger.error("cannot check for jobs left by ended harvest processes; claims retry it", metadata: ["error": "\(error)"])
        }
        var meta: Logger.Metadata = ["db.path": "\(databasePath)", "owner": "\(owner)", "teachers": "\(config.teachers.count)",
                                     "sweeps": "\(config.sweeps.count)", "config.file": "\(configPath)"]
        if let metricsServer, let address = config.metricsAddress { meta["metrics.address"] = "\(address.host):\(metricsServer.port)" }
        logger.notice("harvest serve ready", metadata: meta)
        if config.teachers.isEmpty { logger.warning("no teachers configured: nothing will be sent (add \"teachers\" and reload)") }
        notifier.ready(status: "serving \(databasePath): \(config.teachers.count) teachers")
        return ServeService(config: config, databasePath: databasePath, owner: owner, metricsServer: metricsServer, store: store,
                            metrics: metrics, notifier: notifier, group: group, reloader: reloader, logger: logger)
    }

    /// Runs until SIGTERM/SIGINT and a drain; hands back any job still leased, closes the database.
    /// Throws when a service failed. A database that refuses writes (disk full) is not a failure: claims pause and
    /// `/healthz` reports it until the database accepts writes again (see ``HousekeepingService``).
    public func run() async throws {
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
            logger.error("harvest serve failed", metadata: ["error": "\(error)"])
        }
        notifier.stopping(status: "stopping")
        // Rescued answers' jobs are still leased to this process: store them before handing the rest back, so no
        // other process claims (and pays for) them again.
        let rescuePath = config.resolveRescueFile(database: databasePath)
        do {
            if let summary = try await RescueImporter.importFile(rescuePath, into: store) {
                logger.notice("rescue file imported", metadata: HousekeepingService.metadata(summary))
            }
        } catch {
            logger.error("cannot import the rescue file; the next start imports it", metadata: ["rescue.file": "\(rescuePath)", "error": "\(error)"])
        }
        do {
            let released = try await store.releaseAll(owner: owner)
            if released > 0 { logger.notice("handed unanswered jobs back to the queue", metadata: ["jobs": "\(released)"]) }
        } catch {
            logger.error("cannot hand leased jobs back; they are reclaimed when their leases expire", metadata: ["error": "\(error)"])
        }
        let done = metrics.snapshot().teachers.values.reduce(0) { $0 + $1.jobsDone }
        logger.notice("harvest serve stopped", metadata: ["answers.stored": "\(done)"])
        store.close()
        if let failure { throw failure }
    }

    /// The live counters and each teacher's traffic state (what `/metrics` shows).
    public func metricsSnapshot() -> DaemonMetrics.Snapshot { metrics.snapshot() }

    /// Re-reads the config and applies it, as SIGHUP does (new limits live, paused teachers resume).
    public func reload() async { await reloader.reload() }

    /// Starts a graceful shutdown, as SIGTERM does.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}
