/// Read-only connections lent to one caller at a time.
///
/// WAL lets readers run beside the writer; each read sees a consistent snapshot of committed data.
/// Connections are opened on demand and up to `maxIdle` are kept for reuse.
final class ReaderPool: @unchecked Sendable {
    private let lock = ConditionLock()
    private var idle: [SQLiteDatabase] = []  // guarded by `lock`
    private var closed = false  // guarded by `lock`
    private let path: String
    private let busyTimeoutMs: Int
    private let maxIdle: Int

    init(path: String, busyTimeoutMs: Int, maxIdle: Int = 4) {
        self.path = path
        self.busyTimeoutMs = busyTimeoutMs
        self.maxIdle = maxIdle
    }

    /// Runs `body` in a read transaction on a pooled connection.
    func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        let db = try checkout()
        defer { checkin(db) }
        return try db.transaction(.deferred) { try body(db) }
    }

    /// Closes idle connections; connections in use are closed when returned.
    func close() {
        lock.withLock {
            closed = true
            idle.removeAll()
        }
    }

    private func checkout() throws -> SQLiteDatabase {
        let reused = lock.withLock { () -> SQLiteDatabase? in
            if closed { return nil }
            return idle.popLast()
        }
        if let reused { return reused }
        if lock.withLock({ closed }) { throw StoreError.closed(path: path) }
        return try SQLiteDatabase(path: path, mode: .readOnly, busyTimeoutMs: busyTimeoutMs)
    }

    private func checkin(_ db: SQLiteDatabase) {
        lock.withLock {
            if !closed && idle.count < maxIdle { idle.append(db) }
        }
    }
}
