import Foundation

/// The per-sweep batch locks of one process (``PostgresStore/withBatchSweepLock(sweepId:_:)``): session advisory locks
/// (`pg_try_advisory_lock`, key ``keyBase`` + the sweep id) held on one connection of their own, opened on first use,
/// with its blocking calls on a serial queue (never a Swift cooperative thread). A lock taken by another process is
/// not waited for: ``acquire(_:)`` returns false at once. The server releases every lock of the connection when
/// it closes, so a daemon killed with -9 leaves none behind.
///
/// Accuracy: if the connection is lost while a lock is held (server restart, network cut), the server has released
/// the lock and another process may take the sweep; the holder learns it at its next ``holds(_:)`` (the coordinator
/// asks right before each upload and create), so at most the remote call in progress when the connection was lost
/// overlaps with the other process's step.
final class PostgresBatchLocks: @unchecked Sendable {
    /// The advisory lock key space of batch sweeps (`'hb'` in the top bytes); the migration lock uses another.
    static let keyBase: Int64 = 0x6862_0000_0000_0000
    private let url: PostgresURL
    private let queue = DispatchQueue(label: "harvest-pg-batch-locks")
    /// Touched on `queue` only.
    private var connection: PostgresConnection?
    /// Sweeps whose lock this process holds (touched on `queue` only).
    private var held: Set<Int64> = []

    init(url: PostgresURL) {
        self.url = url
    }

    /// Takes sweep `sweepId`'s lock; false when another process or another task of this one holds it.
    func acquire(_ sweepId: Int64) async throws -> Bool {
        try await run { [self] in
            guard !held.contains(sweepId) else { return false }
            let c = try connection ?? PostgresConnection(url: url)
            connection = c
            // A reconnected session holds none of the locks taken before: forget them (their steps are told by release).
            if try c.ensureConnected() { held.removeAll() }
            let got = try c.execute("SELECT pg_try_advisory_lock($1)", [.int(Self.keyBase &+ sweepId)]).text(0, 0) == "t"
            if got { held.insert(sweepId) }
            return got
        }
    }

    /// Whether the lock of sweep `sweepId` is still this process's: false when it never took it, or when its
    /// connection was lost since (a reconnected session holds none of the locks: they are forgotten here too).
    func holds(_ sweepId: Int64) async throws -> Bool {
        try await run { [self] in
            guard held.contains(sweepId), let c = connection else { return false }
            if try c.ensureConnected() {
                held.removeAll()
                return false
            }
            // A bigint key shows in pg_locks as classid (high 32 bits), objid (low 32 bits), objsubid 1.
            let r = try c.execute("""
                SELECT EXISTS(SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                  AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1)
                """, [.int(Self.keyBase &+ sweepId)])
            guard try r.text(0, 0) == "t" else {
                held.remove(sweepId)
                return false
            }
            return true
        }
    }

    /// Releases sweep `sweepId`'s lock (nothing to do when the connection was lost meanwhile: the server let it go).
    func release(_ sweepId: Int64) async {
        _ = try? await run { [self] in
            guard held.remove(sweepId) != nil, let c = connection, c.isConnected else { return }
            _ = try? c.execute("SELECT pg_advisory_unlock($1)", [.int(Self.keyBase &+ sweepId)])
        }
    }

    /// Closes the connection (releasing every lock).
    func close() {
        queue.sync {
            connection = nil
            held.removeAll()
        }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
