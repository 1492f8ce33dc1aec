import HarvestCore

/// One caller's request and the continuation waiting for its outcome.
///
/// The ticket guarantees the continuation is resumed exactly once, whichever of
/// completion, cancellation or shutdown comes first.
final class RequestTicket: Sendable {
    private enum State {
        /// Created; no continuation installed yet.
        case created
        /// A caller is suspended waiting for the outcome.
        case waiting(CheckedContinuation<HTTPResponse, any Error>)
        /// The task was cancelled before the continuation was installed.
        case cancelledEarly
        /// The outcome has been delivered.
        case finished
    }

    /// Identifies the transfer to the event loop.
    let id: UInt64
    /// What to send.
    let request: HTTPRequest
    private let state = Locked(State.created)

    init(id: UInt64, request: HTTPRequest) {
        self.id = id
        self.request = request
    }

    /// True once an outcome has been delivered; such a ticket needs no more work.
    var isFinished: Bool {
        state.withLock { if case .finished = $0 { true } else { false } }
    }

    /// Installs the caller's continuation. Returns false (having resumed it with
    /// `CancellationError`) when the task was already cancelled.
    func install(_ continuation: CheckedContinuation<HTTPResponse, any Error>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if case .cancelledEarly = state {
                state = .finished
                return true
            }
            state = .waiting(continuation)
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    /// Resumes the caller with `CancellationError` right away.
    /// Returns true when a caller was waiting, i.e. the transfer may be in the event loop.
    func cancel() -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<HTTPResponse, any Error>? in
            switch state {
            case .created:
                state = .cancelledEarly
                return nil
            case .waiting(let continuation):
                state = .finished
                return continuation
            case .cancelledEarly, .finished:
                return nil
            }
        }
        continuation?.resume(throwing: CancellationError())
        return continuation != nil
    }

    /// Delivers the outcome unless the caller has already been answered.
    func finish(_ result: Result<HTTPResponse, TransportError>) {
        let continuation = state.withLock { state -> CheckedContinuation<HTTPResponse, any Error>? in
            guard case .waiting(let continuation) = state else { return nil }
            state = .finished
            return continuation
        }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }
}
