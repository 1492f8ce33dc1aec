import Foundation
import Logging
import ServiceLifecycle
import SQLiteStore
import UnixSignals

/// Reloads the config file on SIGHUP (`systemctl reload harvest`). A valid file replaces teachers, limits,
/// prices and sweeps without dropping in-flight work; an invalid one is logged and the running config kept.
/// `database.path` and `server.metrics_address` need a restart to change.
public final class ConfigReloadService: Service, Sendable {
    private let signals: UnixSignalsSequence
    private let reload: @Sendable () async -> Void

    /// Traps SIGHUP at once (before READY=1), so an early reload cannot kill the process.
    init(reload: @escaping @Sendable () async -> Void) async {
        signals = await UnixSignalsSequence(trapping: .sighup)
        self.reload = reload
    }

    /// Reloads on every SIGHUP until graceful shutdown.
    public func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload()
        }
    }
}
