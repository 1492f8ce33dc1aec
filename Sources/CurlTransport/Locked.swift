import Foundation

/// A value guarded by a lock, shareable across threads.
///
/// `Synchronization.Mutex` would do the same job but needs macOS 15, above the package's macOS 14 floor.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
