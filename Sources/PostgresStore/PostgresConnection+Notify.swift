import CPostgres
#if canImport(Glibc)
import Glibc
#endif

/// A notification received on a channel this connection listens to (`LISTEN`).
public struct PostgresNotification: Sendable, Equatable {
    /// The channel (`harvest_runs`, …).
    public var channel: String
    /// The payload (`NOTIFY channel, 'payload'`; empty when none).
    public var payload: String
    /// The server process that sent it.
    public var senderPid: Int32
}

extension PostgresConnection {
    /// Waits up to `timeout` seconds for notifications and returns those that arrived (empty on timeout). Sleeps in
    /// `poll(2)` on the connection's socket, so waiting costs nothing; `PQconsumeInput` then reads what came. The
    /// connection must be listening (`LISTEN channel`) and not inside a statement. Throws
    /// ``PostgresError/connectionLost(url:message:)`` when the server went away (the socket hit end of file).
    public func waitForNotifications(timeout: Double) throws(PostgresError) -> [PostgresNotification] {
        var got = drainNotifications()
        if !got.isEmpty { return got }
        guard PQstatus(conn) == CONNECTION_OK else { throw .connectionLost(url: url.value, message: Self.message(conn)) }
        let socket = PQsocket(conn)
        guard socket >= 0 else { throw .connectionLost(url: url.value, message: "no socket") }
        var fd = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fd, 1, Int32(max(0, min(timeout, 3600)) * 1000))
        if ready < 0, errno != EINTR { throw .connectionLost(url: url.value, message: "poll failed: errno \(errno)") }
        guard ready > 0 else { return [] }
        // Readable: notifications, or end of file when the server closed the connection.
        guard PQconsumeInput(conn) == 1, PQstatus(conn) == CONNECTION_OK else {
            throw .connectionLost(url: url.value, message: Self.message(conn))
        }
        got = drainNotifications()
        return got
    }

    /// The notifications libpq has already read.
    private func drainNotifications() -> [PostgresNotification] {
        var out: [PostgresNotification] = []
        while let n = PQnotifies(conn) {
            let note = n.pointee
            out.append(PostgresNotification(channel: String(cString: note.relname), payload: note.extra.map { String(cString: $0) } ?? "",
                                            senderPid: note.be_pid))
            PQfreemem(n)
        }
        return out
    }
}
