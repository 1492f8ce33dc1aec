import Synchronization

/// A cooperative stop request shared by the sweep runner and whoever asks it to stop (a signal handler, a test).
public final class StopSignal: Sendable {
    /// How hard the stop is.
    public enum Level: Int, Sendable, Comparable {
        /// Keep going.
        case running = 0
        /// Claim nothing new, let in-flight requests finish and store them, release the rest.
        case drain = 1
        /// Also abandon in-flight requests (their jobs go back to pending).
        case abort = 2

        /// Orders levels by severity.
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    private let state = Mutex<(Level, String?)>((.running, nil))

    /// Creates a signal in the running state.
    public init() {}

    /// Raises the level (never lowers it) and records why.
    public func request(_ level: Level, reason: String? = nil) {
        state.withLock { s in
            if level > s.0 {
                s.0 = level
                if s.1 == nil { s.1 = reason }
            }
        }
    }

    /// Current level.
    public var level: Level { state.withLock { $0.0 } }
    /// The first reason given, if any.
    public var reason: String? { state.withLock { $0.1 } }
    /// True once a drain or abort was requested.
    public var isStopping: Bool { level >= .drain }
}
