import Foundation

/// Runs blocking `body` (sockets, child processes, synchronous store calls) on its own thread and awaits it, so a
/// test holds none of the few cooperative threads that other, timing-sensitive tests run on.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}
