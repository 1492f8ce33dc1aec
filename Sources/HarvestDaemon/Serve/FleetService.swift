import Foundation
import Logging
import PostgresStore
import ServiceLifecycle
import Synchronization

/// Many daemons on one PostgreSQL database: wake-ups and shared limits.
///
/// - Listens on `harvest_runs` (``PostgresListener``, its own connection and thread): a queued run wakes the idle
///   workers at once instead of after `poll_seconds` (which stays the fallback, e.g. while the listener reconnects).
/// - Every ``interval`` seconds writes a heartbeat row per configured teacher and applies this daemon's
///   ``FleetShare`` of each teacher's limits (in flight, rpm, tpm, rps) to its workers, live. Daemons whose
///   heartbeat is older than ``ttlSeconds`` no longer count. At shutdown (after the queue drained: it stops after
///   the queue service) the rows are removed, so the others take the whole limits at their next heartbeat.
final class FleetService: Service, Sendable {
    /// Seconds between heartbeats.
    static let interval = 2.0
    /// A heartbeat older than this no longer counts (3 intervals).
    static let ttlSeconds = 3 * interval

    private let store: PostgresStore
    private let owner: String
    private let config: DaemonConfigBox
    private let queue: QueueService
    private let wakeups: WorkWakeups
    private let logger: Logger
    private let failing = Atomic<Bool>(false)

    init(store: PostgresStore, owner: String, config: DaemonConfigBox, queue: QueueService, wakeups: WorkWakeups, logger: Logger) {
        self.store = store
        self.owner = owner
        self.config = config
        self.queue = queue
        self.wakeups = wakeups
        self.logger = logger
    }

    /// Listens and beats until graceful shutdown, then leaves the fleet.
    func run() async throws {
        let listener = startListening()
        defer { listener?.close() }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await beat()
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: .milliseconds(Int(Self.interval * 1000)))
            }
        }
        do {
            try await store.leaveFleet(owner: owner)
        } catch {
            logger.warning("cannot remove this daemon's heartbeat rows; they expire by themselves", metadata: ["error": "\(error)"])
        }
    }

    /// One heartbeat: records this daemon's teachers and applies its shares. Failures (the database unreachable)
    /// keep the last shares; housekeeping reports the outage.
    func beat() async {
        do {
            let shares = try await store.heartbeat(owner: owner, teachers: config.value.teachers.map(\.name), ttlSeconds: Self.ttlSeconds)
            queue.applyShares(shares)
            if failing.exchange(false, ordering: .relaxed) { logger.notice("fleet heartbeats resumed") }
        } catch {
            if !failing.exchange(true, ordering: .relaxed) {
                logger.warning("cannot write the fleet heartbeat; limits stay as they were", metadata: ["error": "\(error)"])
            }
        }
    }

    private func startListening() -> PostgresListener? {
        let (wakeups, logger) = (wakeups, logger)
        do {
            return try store.listenForRuns { event in
                switch event {
                case .notification:
                    wakeups.wake()
                case .reconnected:
                    logger.notice("run notifications: listening again")
                    wakeups.wake()
                case .lost(let message):
                    logger.warning("run notifications: connection lost; idle workers poll meanwhile", metadata: ["error": "\(message)"])
                }
            }
        } catch {
            logger.warning("cannot listen for queued runs; idle workers poll every poll_seconds", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
