import CCurl
import Foundation
import HarvestCore

/// Owns one curl multi handle and the single thread that drives it.
///
/// Other threads talk to the loop only through `shared` (under its lock) plus
/// `curl_multi_wakeup`, which is thread-safe; everything else is touched by the event thread alone.
final class CurlEventLoop: @unchecked Sendable {
    private struct Shared {
        /// Tickets waiting to be added to the multi handle.
        var submissions: [RequestTicket] = []
        /// Ids of cancelled transfers whose handles must be removed.
        var cancellations: [UInt64] = []
        /// Set once by `shutdown`; afterwards nothing is accepted and nobody calls wakeup.
        var stopping = false
        /// A wakeup was sent and the event thread has not drained the queues since.
        var wakePending = false
    }

    private let shared = Locked(Shared())
    /// The `CURLM *`. Valid until the event thread exits.
    private let multi: UnsafeMutableRawPointer
    private let configuration: CurlTransport.Configuration
    private let exited = DispatchGroup()

    // Event-thread state.
    private var active: [UInt64: EasyTransfer] = [:]
    private var idleHandles: [EasyHandle] = []
    /// Active transfers with a first-byte or idle limit, and when they were last checked.
    private var watchedCount = 0
    private var lastLimitScan = 0.0
    /// How often (seconds) first-byte and idle limits are checked while any transfer has one.
    private static let limitScanInterval = 0.05

    /// Creates the multi handle and starts the event thread.
    init(configuration: CurlTransport.Configuration) throws(TransportError) {
        guard let multi = curl_multi_init() else {
            throw TransportError(kind: .other, message: "curl_multi_init failed", url: "")
        }
        self.multi = multi
        self.configuration = configuration
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, configuration.maxConnections))
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, configuration.maxHostConnections))
        _ = ccurl_multi_setopt_long(
            multi, CURLMOPT_PIPELINING, configuration.http2 ? Int(CURLPIPE_MULTIPLEX) : Int(CURLPIPE_NOTHING))
        exited.enter()
        let thread = Thread { [self] in run() }
        thread.name = "harvest-curl"
        thread.start()
    }

    /// Hands a ticket to the event thread. After shutdown the ticket fails with `.cancelled`.
    func submit(_ ticket: RequestTicket) {
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.stopping else { return false }
            shared.submissions.append(ticket)
            wake(&shared)
            return true
        }
        if !accepted { ticket.finish(.failure(Self.shutDownError(ticket))) }
    }

    /// Asks the event thread to drop the transfer `id` (its caller has already been answered).
    func cancel(_ id: UInt64) {
        shared.withLock { shared in
            guard !shared.stopping else { return }
            shared.cancellations.append(id)
            wake(&shared)
        }
    }

    /// Stops the event thread, failing every unfinished request with `.cancelled`, and waits
    /// until all curl handles are cleaned up. Safe to call more than once, from any thread
    /// other than the event thread.
    func shutdown() {
        shared.withLock { shared in
            guard !shared.stopping else { return }
            shared.stopping = true
            _ = curl_multi_wakeup(multi)
        }
        exited.wait()
    }

    /// Wakes `curl_multi_poll`. Called under the lock, so never after the multi handle is gone.
    private func wake(_ shared: inout Shared) {
        guard !shared.wakePending else { return }
        shared.wakePending = true
        _ = curl_multi_wakeup(multi)
    }

    // MARK: - Event thread

    private func run() {
        while true {
            let (submissions, cancellations, stopping) = shared.withLock { shared in
                defer {
                    shared.submissions.removeAll()
                    shared.cancellations.removeAll()
                    shared.wakePending = false
                }
                return (shared.submissions, shared.cancellations, shared.stopping)
            }
            if stopping {
                tearDown(unstarted: submissions)
                return
            }
            for ticket in submissions { start(ticket) }
            for id in cancellations { abort(id) }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            if watchedCount > 0 { expireLimits() }
            // Returns on socket activity, curl's own timers, a wakeup, or after a second
            // (a tenth of that while first-byte or idle limits are watched).
            _ = curl_multi_poll(multi, nil, 0, watchedCount > 0 ? 100 : 1000, nil)
        }
    }

    private func start(_ ticket: RequestTicket) {
        guard !ticket.isFinished else { return }
        guard let easy = idleHandles.popLast() ?? EasyHandle() else {
            ticket.finish(.failure(Self.failure(ticket, "curl_easy_init failed")))
            return
        }
        let transfer = EasyTransfer(ticket: ticket, easy: easy)
        if let error = transfer.configure(configuration) {
            retire(transfer)
            ticket.finish(.failure(error))
            return
        }
        let code = curl_multi_add_handle(multi, easy.raw)
        guard code == CURLM_OK else {
            retire(transfer)
            let text = String(cString: curl_multi_strerror(code))
            ticket.finish(.failure(Self.failure(ticket, "curl_multi_add_handle failed: \(text)")))
            return
        }
        active[ticket.id] = transfer
        if transfer.isWatched {
            transfer.markStarted(at: MonotonicTime.now())
            watchedCount += 1
        }
    }

    private func abort(_ id: UInt64) {
        guard let transfer = active.removeValue(forKey: id) else { return }
        if transfer.isWatched { watchedCount -= 1 }
        _ = curl_multi_remove_handle(multi, transfer.easy.raw)
        retire(transfer)
    }

    /// Ends transfers whose first-byte or idle limit has passed with a `.timeout` error.
    /// Checked at most every ``limitScanInterval``, so a limit fires up to that much late.
    private func expireLimits() {
        let now = MonotonicTime.now()
        guard now - lastLimitScan >= Self.limitScanInterval else { return }
        lastLimitScan = now
        var expired: [(EasyTransfer, TransportError)] = []
        for transfer in active.values where transfer.isWatched {
            if let error = transfer.expiredLimit(at: now) { expired.append((transfer, error)) }
        }
        for (transfer, error) in expired {
            active.removeValue(forKey: transfer.ticket.id)
            watchedCount -= 1
            _ = curl_multi_remove_handle(multi, transfer.easy.raw)
            retire(transfer)
            transfer.ticket.finish(.failure(error))
        }
    }

    /// Answers every transfer curl reports as done.
    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var user: UnsafeMutableRawPointer?
            _ = ccurl_easy_getinfo_ptr(handle, CURLINFO_PRIVATE, &user)
            guard let user else {
                _ = curl_multi_remove_handle(multi, handle)
                continue
            }
            let transfer = Unmanaged<EasyTransfer>.fromOpaque(user).takeUnretainedValue()
            let outcome = transfer.outcome(for: code)
            _ = curl_multi_remove_handle(multi, handle)
            if active.removeValue(forKey: transfer.ticket.id)?.isWatched == true { watchedCount -= 1 }
            retire(transfer)
            transfer.ticket.finish(outcome)
        }
    }

    /// Frees the transfer's request memory and returns its handle to the free-list.
    private func retire(_ transfer: EasyTransfer) {
        transfer.releaseRequestMemory()
        transfer.easy.reset()
        if idleHandles.count < configuration.maxIdleHandles {
            idleHandles.append(transfer.easy)
        }
    }

    private func tearDown(unstarted: [RequestTicket]) {
        for ticket in unstarted {
            ticket.finish(.failure(Self.shutDownError(ticket)))
        }
        for transfer in active.values {
            _ = curl_multi_remove_handle(multi, transfer.easy.raw)
            transfer.releaseRequestMemory()
            transfer.ticket.finish(.failure(Self.shutDownError(transfer.ticket)))
        }
        active.removeAll()
        watchedCount = 0
        idleHandles.removeAll()
        _ = curl_multi_cleanup(multi)
        exited.leave()
    }

    private static func shutDownError(_ ticket: RequestTicket) -> TransportError {
        TransportError(
            kind: .cancelled, message: "transport is shut down",
            url: CurlErrorMapping.redactedURL(ticket.request.url))
    }

    private static func failure(_ ticket: RequestTicket, _ message: String) -> TransportError {
        TransportError(kind: .other, message: message, url: CurlErrorMapping.redactedURL(ticket.request.url))
    }
}
