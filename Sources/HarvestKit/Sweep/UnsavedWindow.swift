import Synchronization

/// Bounds the requests a runner has sent whose answers are not durable yet: those in flight plus the answers
/// waiting for their group commit. After a `kill -9` exactly these are paid for and lost, and the next run sends
/// them again; the window keeps that number at most the traffic window (`max_in_flight`, or the adaptive window).
///
/// The traffic controller frees a request's slot when the body has arrived (so its latency and AIMD figures are the
/// teacher's); this window frees it only when the answer is stored (or the attempt failed). Jobs claimed ahead wait
/// here, so claiming ahead keeps the teacher busy without widening what a crash can cost.
final class UnsavedWindow: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var taken = 0
        var nextId: UInt64 = 0
        var waiters: [Waiter] = []
        var cancelled: Set<UInt64> = []
    }

    private let state = Mutex(State())
    private let limit: @Sendable () -> Int

    /// Creates a window whose size is read from `limit` at every decision (it follows the traffic window live).
    init(limit: @escaping @Sendable () -> Int) {
        self.limit = limit
    }

    /// Waits for a place; false when the task was cancelled or ``abandonWaiters()`` woke it.
    func acquire() async -> Bool {
        if Task.isCancelled { return false }
        let size = max(1, limit())
        let fast = state.withLock { s -> Bool in
            guard s.waiters.isEmpty, s.taken < size else { return false }
            s.taken += 1
            return true
        }
        if fast { return true }
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let resume = state.withLock { s -> Bool? in
                    if s.cancelled.remove(id) != nil { return false }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let resume { continuation.resume(returning: resume) }
                pump()
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else {
                    s.cancelled.insert(id)
                    return nil
                }
                return s.waiters.remove(at: index).continuation
            }
            continuation?.resume(returning: false)
        }
    }

    /// Gives a place back (the answer is stored, the attempt failed, or the job was released) and lets waiters in.
    func release() {
        state.withLock { $0.taken = max(0, $0.taken - 1) }
        pump()
    }

    /// Lets waiters in while places are free (also after the traffic window grew).
    func pump() {
        let size = max(1, limit())
        let admitted = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            var out: [CheckedContinuation<Bool, Never>] = []
            while s.taken < size, !s.waiters.isEmpty {
                s.taken += 1
                out.append(s.waiters.removeFirst().continuation)
            }
            return out
        }
        for continuation in admitted { continuation.resume(returning: true) }
    }

    /// Wakes every waiter with false (a stop was requested: held jobs are released instead of sent).
    func abandonWaiters() {
        let all = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            defer { s.waiters.removeAll() }
            return s.waiters.map(\.continuation)
        }
        for continuation in all { continuation.resume(returning: false) }
    }
}
