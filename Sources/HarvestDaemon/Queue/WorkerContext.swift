import Logging
import SQLiteStore

/// What every teacher worker of one daemon shares.
struct WorkerContext: Sendable {
    /// The database (either backend).
    var store: any HarvestDatabase
    /// Lease owner of this daemon (``LeaseOwner`` text: host, pid, start time, boot, pid namespace, random part).
    var owner: String
    /// Lease length in seconds.
    var leaseSeconds: Double
    /// Idle wait between looks for new work.
    var pollSeconds: Double
    /// Where refused answers are appended.
    var rescuePath: String
    /// The environment API keys are read from.
    var environment: [String: String]
    /// Counters for the metrics endpoint.
    var metrics: DaemonMetrics
    /// systemd notifications (`STATUS=` when a teacher pauses or resumes).
    var notifier: SystemdNotifier
    /// The daemon's logger.
    var logger: Logger
}
