import Foundation

/// A few connections, each on its own thread, sharing one FIFO of work. Blocking libpq calls run there, never on
/// Swift's cooperative threads (two on this machine): `perform` suspends the caller until a connection ran the work.
final class PostgresPool: @unchecked Sendable {
    private typealias Work = @Sendable (PostgresConnection) -> Void
    private let condition = NSCondition()
    private var queue: [Work] = []
    private var head = 0
    private var closed = false
    private var running = 0
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
            let accepted = enqueue { connection in continuation.resume(with: Result { try body(connection) }) }
            if !accepted { continuation.resume(throwing: PostgresError.closed(url: url.value)) }
        }
    }

    /// Runs `body` in a transaction on a pooled connection.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await perform { c in try c.transaction { try body(c) } }
    }

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
            work(connection)
        }
    }
}
