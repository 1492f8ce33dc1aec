#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite

/// The single writer of a store: one connection, one dedicated thread, group commit.
///
/// Callers enqueue write operations from any thread or task. The writer thread takes the queued
/// operations (up to `maxBatch`), opens one `BEGIN IMMEDIATE` transaction, runs each operation inside
/// its own `SAVEPOINT`, then commits once and only then completes every operation of the batch. One
/// fsync (with `synchronous=FULL`) thus covers a whole batch, and every caller returns only after its
/// own changes are durable.
///
/// - An operation that throws is rolled back to its savepoint and completed with its error at once;
///   the other operations of the batch are unaffected.
/// - If SQLite aborts the whole transaction (e.g. disk full), the failing operation is completed with
///   its error and the operations that had succeeded are run again in a new transaction, so their
///   callers never see a success that was not committed. Each abort retires one operation, so this ends.
/// - If `COMMIT` fails, every operation of the batch is completed with that error (nothing was written).
/// - After the queue is drained, the writer waits up to `maxDelay` for more operations to join a batch
///   while the batch holds fewer operations than the previous one (callers typically return with a new
///   operation right after their commit), so a lone caller is never delayed and a steady crowd of
///   callers fills each batch.
///
/// Operation bodies run on the writer thread and must not capture the store (they get the connection
/// as an argument), so the store can be released from any thread.
final class GroupCommitWriter: @unchecked Sendable {
    /// A queued write: `run` may be called more than once (see above); `complete` exactly once.
    final class Operation: @unchecked Sendable {
        let run: (SQLiteDatabase) throws -> Void
        let complete: ((any Error)?) -> Void
        init(run: @escaping (SQLiteDatabase) throws -> Void, complete: @escaping ((any Error)?) -> Void) {
            self.run = run
            self.complete = complete
        }
    }

    private final class Box<T>: @unchecked Sendable { var value: T? }

    /// The database file path, for errors.
    let path: String
    private let lock = ConditionLock()
    // Guarded by `lock`:
    private var queue: [Operation] = []
    private var head = 0
    private var closing = false
    private var finished = false
    private var threadStarted = false
    private var writerThread: pthread_t?
    // Touched only by the writer thread once started:
    private var db: SQLiteDatabase?
    private var lastBatchSize = 0
    // Guarded by `lock` (written by the writer thread, read by anyone):
    private var stats = GroupCommitStats()
    private let maxBatch: Int
    private let maxDelay: Double
    private let checkpointOnClose: Bool

    /// Takes ownership of `db`; call ``start()`` before submitting.
    init(db: SQLiteDatabase, maxBatch: Int, maxDelayMs: Double, checkpointOnClose: Bool = false) {
        self.db = db
        self.checkpointOnClose = checkpointOnClose
        self.path = db.path
        self.maxBatch = max(1, maxBatch)
        self.maxDelay = max(0, maxDelayMs) / 1000
    }

    /// Starts the writer thread.
    func start() throws {
        let ctx = Unmanaged.passRetained(self).toOpaque()
        #if canImport(Glibc)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            Unmanaged<GroupCommitWriter>.fromOpaque(raw!).takeRetainedValue().threadMain()
            return nil
        }, ctx)
        if rc == 0 { pthread_detach(tid) }
        #else
        var tid: pthread_t?
        let rc = pthread_create(&tid, nil, { raw in
            Unmanaged<GroupCommitWriter>.fromOpaque(raw).takeRetainedValue().threadMain()
            return nil
        }, ctx)
        if rc == 0, let tid { pthread_detach(tid) }
        #endif
        guard rc == 0 else {
            Unmanaged<GroupCommitWriter>.fromOpaque(ctx).release()
            throw StoreError.invalidInput("cannot start the database writer thread (pthread_create error \(rc))")
        }
        lock.withLock { threadStarted = true }
    }

    /// Enqueues `body`; `completion` receives its result after commit (or its error).
    func submit<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T,
                             completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let box = Box<T>()
        let op = Operation(
            run: { db in box.value = try body(db) },
            complete: { error in
                if let error { completion(.failure(error)) } else { completion(.success(box.value!)) }
            })
        let accepted = lock.withLock { () -> Bool in
            guard !closing else { return false }
            queue.append(op)
            lock.broadcast()
            return true
        }
        if !accepted { op.complete(StoreError.closed(path: path)) }
    }

    /// Runs `body` in the next group transaction and returns after it is committed.
    func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            submit(body) { cont.resume(with: $0) }
        }
    }

    /// Blocking variant of ``perform(_:)`` for synchronous callers (blocks the calling thread).
    func performSync<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) throws -> T {
        let shot = OneShot<Result<T, any Error>>()
        submit(body) { shot.set($0) }
        return try shot.wait().get()
    }

    /// Counters since the store was opened.
    var currentStats: GroupCommitStats { lock.withLock { stats } }

    /// Stops accepting work, lets the thread finish what is queued, closes the connection and waits for it.
    /// Called on the writer thread itself (only if a completion drops the last reference to the store),
    /// it cannot wait for itself: the thread then finishes the queue and closes the connection on its own.
    func close() {
        lock.withLock {
            closing = true
            lock.broadcast()
            if let writerThread, pthread_equal(writerThread, pthread_self()) != 0 { return }
            while threadStarted && !finished { lock.wait() }
        }
    }

    // MARK: Writer thread

    private func threadMain() {
        lock.withLock { writerThread = pthread_self() }
        while let batch = nextBatch() { process(batch) }
        if checkpointOnClose, let db {
            // A clean stop leaves no WAL content: the main file alone is a complete copy (offline backups).
            // Best effort: on a full disk the checkpoint may fail, and the WAL then still holds the commits. While
            // another process (the daemon) uses the database, TRUNCATE cannot finish: give up after 200 ms instead
            // of holding up a short command for the whole busy timeout.
            sqlite3_busy_timeout(db.handle, 200)
            _ = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
        }
        db = nil  // closes the connection
        lock.withLock {
            finished = true
            lock.broadcast()
        }
    }

    /// Blocks until work arrives; nil once closing and drained.
    private func nextBatch() -> [Operation]? {
        lock.withLock {
            while head == queue.count && !closing { lock.wait() }
            if head == queue.count { return nil }
            return takeLocked(maxBatch)
        }
    }

    /// Takes up to `room` queued operations, waiting until `deadline` (Unix seconds) for the first one.
    private func takeMore(_ room: Int, until deadline: Double) -> [Operation] {
        lock.withLock {
            while head == queue.count && !closing && unixNow() < deadline {
                _ = lock.wait(until: deadline)
            }
            return takeLocked(room)
        }
    }

    private func takeLocked(_ room: Int) -> [Operation] {
        let end = min(queue.count, head + room)
        let ops = Array(queue[head..<end])
        head = end
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096 {
            queue.removeFirst(head)
            head = 0
        }
        return ops
    }

    private func process(_ first: [Operation]) {
        guard let db else {
            for op in first { op.complete(StoreError.closed(path: path)) }
            return
        }
        var toRun = first
        var next = 0
        var succeeded: [Operation] = []
        var taken = first.count
        // Callers usually come back after their commit, so expect as many operations as last time.
        let expected = min(maxBatch, lastBatchSize)
        let deadline = expected > 1 ? unixNow() + maxDelay : 0
        if let e = begin(db) { return fail(toRun, e) }
        while true {
            while next < toRun.count {
                let op = toRun[next]
                next += 1
                guard let error = runOne(op, db) else {
                    succeeded.append(op)
                    continue
                }
                op.complete(error)
                if db.isAutocommit {
                    // SQLite rolled back the whole transaction: replay the ones that had succeeded.
                    toRun = succeeded + toRun[next...]
                    next = 0
                    succeeded = []
                    if let e = begin(db) { return fail(toRun, e) }
                }
            }
            guard taken < maxBatch else { break }
            let more = takeMore(maxBatch - taken, until: taken < expected ? deadline : 0)
            if more.isEmpty { break }
            taken += more.count
            toRun.append(contentsOf: more)
        }
        do {
            try db.execute("COMMIT")
        } catch {
            if !db.isAutocommit { try? db.execute("ROLLBACK") }
            return fail(succeeded, error)
        }
        lastBatchSize = taken
        lock.withLock {
            stats.transactions += 1
            stats.operations += succeeded.count
        }
        for op in succeeded { op.complete(nil) }
    }

    private func begin(_ db: SQLiteDatabase) -> (any Error)? {
        do {
            try db.execute("BEGIN IMMEDIATE")
            return nil
        } catch {
            return error
        }
    }

    private func fail(_ ops: [Operation], _ error: any Error) {
        for op in ops { op.complete(error) }
    }

    private func runOne(_ op: Operation, _ db: SQLiteDatabase) -> (any Error)? {
        do {
            try db.cached("SAVEPOINT op").run()
        } catch {
            return error
        }
        do {
            try op.run(db)
            try db.cached("RELEASE op").run()
            return nil
        } catch {
            if !db.isAutocommit {
                try? db.cached("ROLLBACK TO op").run()
                try? db.cached("RELEASE op").run()
            }
            return error
        }
    }
}
