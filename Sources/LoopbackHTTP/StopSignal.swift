#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A one-way "the server is stopping" flag with a pipe that becomes readable when it is raised, so threads
/// sleeping in `poll` (latency, stalls, slow bodies, header deadlines) wake at once.
public final class StopSignal: Sendable {
    /// The read end of the pipe; readable once ``raise()`` was called.
    public let wakeFD: Int32
    private let wakeWriteFD: Int32
    private let raised = Atomic<Bool>(false)

    /// Creates a signal that is not raised.
    public init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        }
        wakeFD = ends[0]
        wakeWriteFD = ends[1]
    }

    deinit {
        _ = close(wakeFD)
        _ = close(wakeWriteFD)
    }

    /// Whether ``raise()`` was called.
    public var isRaised: Bool { raised.load(ordering: .acquiring) }

    /// Raises the flag and wakes every sleeper. Idempotent.
    public func raise() {
        guard !raised.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
    }
}
