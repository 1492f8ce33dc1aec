import Synchronization

/// The config in use, replaced by reloads.
final class DaemonConfigBox: Sendable {
    private let storage: Mutex<DaemonConfig>

    init(_ config: DaemonConfig) { storage = Mutex(config) }

    var value: DaemonConfig {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
