import HarvestCore
import HarvestStore
import SQLiteStore
import Synchronization

/// The job store on PostgreSQL: many processes on many machines share one queue. Claims take pending jobs (and
/// expired leases) with `SELECT … FOR UPDATE SKIP LOCKED` in batches of at most ``maxClaimBatch``; every claim
/// gets a fencing token, and a lease ends (release, renewal, final failure) only under the token that took it, so
/// a process that was presumed dead and wakes up cannot end or extend another's lease. Its late answer is stored
/// only while the job has none (`responses.job_id` is UNIQUE): never twice.
///
/// Lease times use the database server's clock, so daemons on machines with skewed clocks agree on expiry.
/// Blocking libpq calls run on the pool's own threads. Setup and the job path are here, the daemon's run queue,
/// status and recovery in `PostgresStore+Runs`, `+Status` and `+Recovery`: it is a ``HarvestDatabase`` like
/// `SQLiteStore`, opened by `StoreFactory` (HarvestKit) for `--db postgres://…` / `database.url`
/// (docs/OPERATIONS.md, *PostgreSQL*).
public final class PostgresStore: JobStore, Sendable {
    /// Most jobs one claim leases (a claim asking for more gets this many; the runner claims again).
    public static let maxClaimBatch = 128
    /// The server's clock as Unix seconds (fractional).
    static let now = "extract(epoch from clock_timestamp())::float8"

    let pool: PostgresPool
    /// This process's claims: job id → (owner, fencing token) of the latest claim it made.
    let fences = Mutex<[Int64: Fence]>([:])
    /// The teachers' logprob vocabularies as committed (shared by the pool's connections).
    let vocabulary: PostgresVocabulary
    /// Stores answers in batches.
    let committer: PostgresGroupCommit
    /// The read side (export, inspect, stats): its own connection and decoded vocabularies.
    let reads = PostgresReadSide()
    /// The page commits of `harvest curate` (PostgresStore+Curation): a connection of their own, lent as the read side's.
    let curationWrites = PostgresReadSide()
    /// Per-sweep provider batch locks, on a connection of their own opened on first use (PostgresStore+BatchRuns).
    let batchLocks: PostgresBatchLocks

    /// A claim this process holds.
    struct Fence: Sendable {
        var owner: String
        var token: Int64
        /// The job's teacher (its logprob vocabulary).
        var teacherId: Int64
    }

    /// Connects to `url` with `connections` pooled connections and applies the migrations (under an advisory
    /// lock, so several processes may start at once). Throws ``PostgresError`` (bad URL, connection refused) and
    /// ``StoreError/schemaTooNew(path:found:supported:)``.
    public init(url: String, connections: Int = 3) throws {
        let parsed = try PostgresURL(url)
        pool = try PostgresPool(url: parsed, size: connections)
        vocabulary = PostgresVocabulary()
        committer = PostgresGroupCommit(pool: pool, vocabulary: vocabulary, maxDrains: connections - 1)
        batchLocks = PostgresBatchLocks(url: parsed)
        do {
            let setup = try PostgresConnection(url: parsed)
            _ = try PostgresMigrations.apply(setup)
        } catch {
            pool.close()
            throw error
        }
    }

    deinit { pool.close() }

    /// Where the store is (the URL holds no password).
    public var url: String { pool.url.value }

    /// Finishes queued work and closes the connections.
    public func close() {
        pool.close()
        reads.close()
        curationWrites.close()
        batchLocks.close()
    }

    /// The schema version of the database.
    public func schemaVersion() async throws -> Int {
        try await pool.perform { c in try PostgresMigrations.version(c) }
    }

    /// Number of jobs of sweep `sweepId` in each state (states with no jobs map to 0).
    public func jobStates(sweepId: Int64) async throws -> [JobState: Int] {
        try await pool.perform { c in
            let rows = try c.execute("""
                SELECT j.state, count(*) FROM sweep_jobs sj JOIN jobs j ON j.id = sj.job_id WHERE sj.sweep_id = $1 GROUP BY j.state
                """, [.int(sweepId)])
            var out = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for i in 0..<rows.count {
                if let state = JobState(rawValue: try rows.text(i, 0)) { out[state] = try rows.int(i, 1) }
            }
            return out
        }
    }

    /// The job row as stored: state, attempts, lease owner and last error (for tests and diagnostics).
    public func jobInfo(id: Int64) async throws -> (state: JobState, attempts: Int, leaseOwner: String?, lastError: String?)? {
        let row = try await pool.perform { c -> JobInfoRow? in
            let r = try c.execute("SELECT state, attempts, lease_owner, last_error FROM jobs WHERE id = $1", [.int(id)])
            guard r.count == 1 else { return nil }
            return JobInfoRow(state: JobState(rawValue: try r.text(0, 0)) ?? .pending, attempts: try r.int(0, 1),
                              owner: r.string(0, 2), error: r.string(0, 3))
        }
        return row.map { ($0.state, $0.attempts, $0.owner, $0.error) }
    }

    /// Number of responses stored for job `jobId` (0 or 1).
    public func responseCount(jobId: Int64) async throws -> Int {
        try await count("SELECT count(*) FROM responses WHERE job_id = $1", jobId)
    }

    /// Number of attempts recorded for job `jobId`.
    public func attemptCount(jobId: Int64) async throws -> Int {
        try await count("SELECT count(*) FROM attempts WHERE job_id = $1", jobId)
    }

    private func count(_ sql: String, _ id: Int64) async throws -> Int {
        try await pool.perform { c in try c.execute(sql, [.int(id)]).int(0, 0) }
    }

    private struct JobInfoRow: Sendable {
        var state: JobState, attempts: Int, owner: String?, error: String?
    }
}
