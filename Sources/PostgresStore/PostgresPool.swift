import Foundation
import Synchronization

/// A few connections, each on its own thread, sharing one FIFO of work. Blocking libpq calls run there, never on
/// Swift's cooperative threads (two on this machine): `perform` suspends the caller until a connection ran the work.
///
/// Connection loss: a call that fails with an outage (``PostgresError/isOutage``) records it in ``outage`` (kept until
/// ``clearOutage()``), and every connection then checks itself (`SELECT 1`) before its next work, so a connection whose
/// socket went stale while the server restarted is replaced (reset: a new session) before real work meets it.
/// Reconnection follows each connection's ``PostgresBackoff``.
final class PostgresPool: @unchecked Sendable {
    /// An outage seen by a call: why and since when (Unix seconds).
    struct Outage: Sendable, Equatable {
        var reason: String
        var since: Double
        /// The SQLSTATE when the server said why (53100: disk full).
        var sqlstate: String?
    }
    private typealias Work = @Sendable (PostgresConnection) -> Void
    private let condition = NSCondition()
    private var queue: [Work] = []
    private var head = 0
    private var closed = false
    private var running = 0
    /// Bumped on every outage seen: each connection checks itself once per bump.
    private let outageEpoch = Atomic<Int>(0)
    private let currentOutage = Mutex<Outage?>(nil)
    /// Where it is connected (no secrets).
    let url: PostgresURL

    /// Opens `size` connections (errors surface here) and starts one thread per connection.
    init(url: PostgresURL, size: Int) throws(PostgresError) {
        self.url = url
        var connections: [PostgresConnection] = []
        for _ in 0..<max(1, size) { connections.append(try PostgresConnection(url: url)) }
        running = connections.count
        for (i, connection) in connections.enumerated() {
            let thread = Thread { [self] in self.serve(connection) }
            thread.name = "harvest-pg-\(i)"
            thread.start()
        }
    }

    /// Runs `body` on a pooled connection and returns its value (or rethrows its error).
    func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = enqueue { [self] connection in
                let result = Result { try body(connection) }
                if case .failure(let error) = result { observe(error) }
                continuation.resume(with: result)
            }
            if !accepted { continuation.resume(throwing: PostgresError.closed(url: url.value)) }
        }
    }

    /// Runs `body` in a transaction on a pooled connection.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await perform { c in try c.transaction { try body(c) } }
    }

    /// The outage seen since the last ``clearOutage()``, nil when none.
    var outage: Outage? { currentOutage.withLock { $0 } }

    /// Records `error` when it is an outage.
    func observe(_ error: any Error) {
        guard let pg = error as? PostgresError, pg.isOutage else { return }
        outageEpoch.add(1, ordering: .relaxed)
        currentOutage.withLock { o in
            if o == nil { o = Outage(reason: pg.description, since: Date().timeIntervalSince1970, sqlstate: pg.sqlstate) }
        }
    }

    /// Ends the recorded outage (after a probe succeeded).
    func clearOutage() { currentOutage.withLock { $0 = nil } }

    /// Lets the queued work finish, then closes the connections. Later calls throw ``PostgresError/closed(url:)``.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    /// Queues `work` for the next free connection; false once the pool is closed.
    func enqueue(_ work: @escaping @Sendable (PostgresConnection) -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        queue.append(work)
        condition.signal()
        return true
    }

    private func serve(_ connection: PostgresConnection) {
        var checkedEpoch = 0
        while true {
            condition.lock()
            while head == queue.count, !closed { condition.wait() }
            guard head < queue.count else {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let work = queue[head]
            head += 1
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            condition.unlock()
            let epoch = outageEpoch.load(ordering: .relaxed)
            if epoch != checkedEpoch {
                // A stale socket fails this probe (and is reset by the work's call) instead of the work itself.
                checkedEpoch = epoch
                if connection.isConnected { _ = try? connection.execute("SELECT 1") }
            }
            work(connection)
        }
    }
}
