import Foundation
import Synchronization

/// A dedicated connection that `LISTEN`s on channels and hands each notification to a callback, on its own thread
/// (never a Swift cooperative thread): it sleeps in `poll(2)` on the socket between notifications, waking at most every
/// ``checkSeconds`` to see whether it was closed — no busy polling, no statement sent while idle.
///
/// When the connection is lost it reconnects with ``PostgresBackoff`` (0.1 s doubling to 5 s), listens again and
/// reports ``Event/reconnected``: notifications sent meanwhile were lost, so the caller should look for work once.
public final class PostgresListener: Sendable {
    /// What the listener reports.
    public enum Event: Sendable, Equatable {
        /// A notification arrived.
        case notification(PostgresNotification)
        /// The connection was lost and is back (notifications may have been missed).
        case reconnected
        /// The connection is lost; it is being re-established (`message` says why).
        case lost(message: String)
    }

    /// Longest sleep between looks at ``close()``.
    public static let checkSeconds = 0.5
    /// The channels listened to.
    public let channels: [String]
    private let closed = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)

    /// Connects to `url`, listens on `channels` (plain identifiers) and starts the thread; errors of the first
    /// connection surface here. `onEvent` runs on the listener's thread: keep it short.
    public init(url: String, channels: [String], backoff: PostgresBackoff = .standard,
                onEvent: @escaping @Sendable (Event) -> Void) throws {
        for channel in channels where channel.isEmpty || !channel.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw PostgresError.badURL(reason: "channel '\(channel)' is not a plain identifier (letters, digits, _)")
        }
        self.channels = channels
        let connection = try PostgresConnection(url: PostgresURL(url), backoff: backoff)
        try Self.listen(connection, channels)
        let thread = Thread { [self] in self.loop(connection, onEvent) }
        thread.name = "harvest-pg-listen"
        thread.start()
    }

    deinit { closed.store(true, ordering: .relaxed) }

    /// Stops listening: the thread ends within ``checkSeconds`` and closes its connection.
    public func close() { closed.store(true, ordering: .relaxed) }

    /// Whether the thread has ended (after ``close()``).
    public var isFinished: Bool { finished.withLock { $0 } }

    private static func listen(_ connection: PostgresConnection, _ channels: [String]) throws(PostgresError) {
        for channel in channels { try connection.execute("LISTEN \(channel)") }
    }

    private func loop(_ connection: PostgresConnection, _ onEvent: @Sendable (Event) -> Void) {
        defer { finished.withLock { $0 = true } }
        var lost = false
        while !closed.load(ordering: .relaxed) {
            do {
                if lost {
                    try connection.ensureConnected()
                    try Self.listen(connection, channels)
                    lost = false
                    onEvent(.reconnected)
                }
                for note in try connection.waitForNotifications(timeout: Self.checkSeconds) { onEvent(.notification(note)) }
            } catch {
                if !lost { onEvent(.lost(message: "\(error)")) }
                lost = true
                Thread.sleep(forTimeInterval: Self.checkSeconds / 5)
            }
        }
    }
}
