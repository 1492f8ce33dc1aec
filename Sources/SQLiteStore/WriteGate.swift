import CSQLite
import Synchronization

/// Watches a store's writes: the first refused write (see ``WriteRefusal``) releases the space reserve and closes
/// the gate for claims; ``reopen(probe:)`` opens it again once the reserve can be allocated anew and a write passes.
final class WriteGate: Sendable {
    private let reserve: SpaceReserve?
    /// Without a reserve: a 1 MiB file allocated and deleted again to see whether the disk has room.
    private let probeFile: SpaceReserve
    private let state = Mutex<WriteRefusal?>(nil)

    init(reserve: SpaceReserve?, probePath: String) {
        self.reserve = reserve
        probeFile = SpaceReserve(path: probePath, bytes: 1 << 20)
    }

    /// The current refusal, if any.
    var refusal: WriteRefusal? { state.withLock { $0 } }

    /// Takes the reserve at open; a disk without room for it starts in the refused state.
    func start(path: String) {
        guard let reserve, !reserve.allocate() else { return }
        state.withLock {
            $0 = WriteRefusal(reason: "\(path): no room on the disk for the \(reserve.bytes >> 20) MiB space reserve \(reserve.path)",
                              diskFull: true, since: unixNow())
        }
    }

    /// Records `error` when it is a refusal, releasing the reserve at the first one.
    func observe(_ error: any Error) {
        guard let code = WriteRefusal.refusalCode(error) else { return }
        let first = state.withLock { s -> Bool in
            guard s == nil else { return false }
            s = WriteRefusal(reason: "\(error)", diskFull: code == SQLITE_FULL, since: unixNow())
            return true
        }
        if first { reserve?.release() }
    }

    /// Ends the refused state when the reserve can be allocated again and `probe` (a small write) succeeds.
    func reopen(probe: () async throws -> Void) async -> Bool {
        guard refusal != nil else { return true }
        if let reserve {
            guard reserve.allocate() else { return false }
        } else {
            guard probeFile.allocate() else { return false }
            probeFile.release()
        }
        do {
            try await probe()
        } catch {
            reserve?.release()
            return false
        }
        state.withLock { $0 = nil }
        return true
    }

    /// Removes the reserve file (clean close).
    func close() {
        reserve?.release()
    }
}
