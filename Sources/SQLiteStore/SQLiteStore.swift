import HarvestCore

/// The SQLite-backed ``JobStore``: prompts, sweeps, jobs, attempts and responses in one file.
///
/// # Guarantees
/// - A response is committed in the same transaction that marks its job done, and
///   ``commitSuccess(_:response:)`` returns only once that transaction is durable
///   (`synchronous=FULL` by default: fsync of the WAL at commit).
/// - A job key (see `JobKey`) is stored once; a job that is done is never claimed again and never gets
///   a second response, whichever sweep, run or process asks.
///
/// # Design (thread safety)
/// The class is `@unchecked Sendable` because it holds no mutable state of its own:
/// - **One writer.** Every write (claims included) goes through one ``GroupCommitWriter``: one connection
///   confined to one dedicated thread, which groups queued operations into one transaction (a
///   `SAVEPOINT` per operation, so one failing operation does not undo the others) and resumes each
///   caller after `COMMIT`. Thousands of concurrent `commitSuccess` calls therefore share fsyncs
///   instead of each paying one, and never contend for SQLite's write lock inside the process.
/// - **Readers.** Status and export queries use read-only connections from a pool, each lent to one
///   caller at a time; WAL lets them run beside the writer and see committed data only.
/// - Synchronous write APIs (``importPrompts(setName:prompts:sourceName:)``,
///   ``createSweep(name:setName:teacher:params:samples:)``) block the calling thread until committed.
/// - Heavy CPU work (hashing prompts, encoding logprobs, decoding rows) runs on the caller's thread,
///   keeping the writer thread for SQL.
public final class SQLiteStore: JobStore, @unchecked Sendable {
    /// The database file.
    public let path: String
    /// The options it was opened with.
    public let options: StoreOptions
    let writer: GroupCommitWriter
    let readers: ReaderPool
    let gate: WriteGate
    /// The writer connection's logprob vocabulary (used inside write operations only).
    let vocabularyWriter: LogprobVocabularyWriter
    /// The readers' logprob vocabulary.
    let vocabularyCache = LogprobVocabularyCache()

    /// Opens (creating if needed) the database at `path`, applies pending migrations and starts the writer.
    /// Throws ``StoreError/schemaTooNew(path:found:supported:)`` when the file is newer than this code, and
    /// ``StoreError/invalidInput(_:)`` for a PostgreSQL URL (a command that works on SQLite only was given one; no
    /// file named after the URL is created).
    public init(path: String, options: StoreOptions = .init()) throws {
        if path.hasPrefix("postgres://") || path.hasPrefix("postgresql://") {
            throw StoreError.invalidInput("--db names a PostgreSQL database, but this opens a SQLite file "
                + "(every command but backup and demo takes a PostgreSQL URL — docs/OPERATIONS.md); give a SQLite file with --db")
        }
        self.path = path
        self.options = options
        gate = WriteGate(reserve: options.reserveBytes > 0 ? SpaceReserve(path: path + ".reserve", bytes: options.reserveBytes) : nil,
                         probePath: path + ".probe")
        do {
            let db = try SQLiteDatabase(path: path, mode: .readWriteCreate, busyTimeoutMs: options.busyTimeoutMs)
            let found = try Migrations.version(of: db)
            if found > Migrations.latestVersion {
                throw StoreError.schemaTooNew(path: path, found: found, supported: Migrations.latestVersion)
            }
            // Refuse a foreign SQLite file before anything changes it (journal mode included).
            try Migrations.checkNotForeign(db)
            let mode = try db.pragma("journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw StoreError.invalidInput(
                    "\(path): cannot use write-ahead logging (journal mode is \(mode ?? "unknown")); put the database on a local file system")
            }
            try db.execute("""
                PRAGMA synchronous = \(options.synchronous.rawValue);
                PRAGMA foreign_keys = ON;
                PRAGMA journal_size_limit = 67108864;
                PRAGMA temp_store = MEMORY;
                PRAGMA cache_size = -32768;
                """)
            try Migrations.migrate(db, createdBy: options.createdBy, now: unixNow())
            let vocabulary = LogprobVocabularyWriter()
            vocabulary.attach(to: db)
            vocabularyWriter = vocabulary
            writer = GroupCommitWriter(db: db, maxBatch: options.groupCommitMaxBatch, maxDelayMs: options.groupCommitMaxDelayMs,
                                       checkpointOnClose: options.checkpointOnClose)
            try writer.start()
        } catch {
            throw StoreError.wrap(error, path: path)
        }
        readers = ReaderPool(path: path, busyTimeoutMs: options.busyTimeoutMs)
        gate.start(path: path)
    }

    deinit { close() }

    /// Finishes queued writes, checkpoints the WAL into the database file and truncates it when
    /// ``StoreOptions/checkpointOnClose`` (so the main file alone holds every committed answer; the last connection to
    /// close does this anyway), then closes all connections and removes the space reserve. Later calls fail with
    /// ``StoreError/closed(path:)``.
    public func close() {
        readers.close()
        writer.close()
        gate.close()
    }

    /// The current refusal of writes (disk full, read-only), or nil while the database accepts writes.
    public var writeRefusal: WriteRefusal? { gate.refusal }

    /// Ends a ``writeRefusal`` once the disk has room again: the space reserve is allocated anew, a small write is
    /// committed and `beforeClaims` (e.g. a rescue import) succeeds; only then do claims resume. Returns true when the
    /// database accepts writes (also when it never refused; `beforeClaims` then does not run).
    public func retryWrites(beforeClaims: @Sendable () async throws -> Void = {}) async -> Bool {
        await gate.reopen {
            try await self.write { db in
                try db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('last_write_probe', CAST(unixepoch() AS TEXT))")
            }
            try await beforeClaims()
        }
    }

    /// Counters of the writer since the store was opened.
    public var writerStats: GroupCommitStats { writer.currentStats }

    /// Runs `body` on the writer thread in the next group transaction; returns after commit.
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        do {
            return try await writer.perform(body)
        } catch {
            gate.observe(error)
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Blocking variant of ``write(_:)``.
    func writeSync<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) throws -> T {
        do {
            return try writer.performSync(body)
        } catch {
            gate.observe(error)
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Runs `body` in a read transaction on a reader connection.
    func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        do {
            return try readers.read(body)
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }
}
