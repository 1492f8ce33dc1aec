import Foundation

/// The read side of a ``PostgresStore`` (export, inspect, stats): one connection for short blocking reads, opened
/// on first use and lent to one caller at a time, and the teachers' decoded vocabularies. Cursors open connections
/// of their own. Blocking libpq calls run on the caller's thread: the read commands call them from their own
/// thread or accept the wait, as with SQLite's reads.
final class PostgresReadSide: @unchecked Sendable {
    /// Decoded vocabularies shared by the reads and the cursors.
    let vocabulary = PostgresReadVocabulary()
    private let lock = NSLock()
    private var connection: PostgresConnection?  // guarded by `lock`
    private var closed = false  // guarded by `lock`

    /// Runs `body` on the read connection (connecting first when needed).
    func read<T>(_ url: PostgresURL, _ body: (PostgresConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw PostgresError.closed(url: url.value) }
        if connection == nil { connection = try PostgresConnection(url: url) }
        return try body(connection!)
    }

    /// Runs `body` in a read-only transaction on the read connection (one snapshot for several statements).
    func snapshot<T>(_ url: PostgresURL, _ body: (PostgresConnection) throws -> T) throws -> T {
        try read(url) { c in
            try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            do {
                let value = try body(c)
                try c.execute("COMMIT")
                return value
            } catch {
                _ = try? c.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes the read connection; later reads throw ``PostgresError/closed(url:)``.
    func close() {
        lock.withLock {
            closed = true
            connection = nil
        }
    }
}
