import Logging
import ServiceLifecycle
import Synchronization
import SQLiteStore
import UnixSignals

/// The service that sends queued jobs: one ``TeacherWorker`` per configured teacher, claiming across every
/// active run of the database that uses that teacher.
///
/// Graceful shutdown (SIGTERM/SIGINT): every worker stops claiming, in-flight requests finish and their answers
/// are stored; after `drain_seconds` the rest are abandoned and their jobs handed back. ``apply(_:)`` (SIGHUP)
/// starts, updates or retires workers without dropping in-flight work.
public final class QueueService: Service, Sendable {
    private enum Command: Sendable { case start(TeacherWorker) }

    private struct State {
        var workers: [String: TeacherWorker] = [:]
        var drainSeconds: Double
        var shuttingDown = false
        var finished = false
    }

    private let context: WorkerContext
    private let state: Mutex<State>
    private let commands: AsyncStream<Command>
    private let continuation: AsyncStream<Command>.Continuation
    private let onShutdown: @Sendable () -> Void

    init(config: DaemonConfig, context: WorkerContext, onShutdown: @escaping @Sendable () -> Void) {
        self.context = context
        self.onShutdown = onShutdown
        (commands, continuation) = AsyncStream.makeStream(of: Command.self)
        state = Mutex(State(drainSeconds: config.drainSeconds))
        for teacher in config.teachers { startWorker(teacher) }
    }

    private func startWorker(_ teacher: TeacherConfig) {
        let worker = TeacherWorker(teacher: teacher, context: context)
        state.withLock { $0.workers[teacher.name] = worker }
        continuation.yield(.start(worker))
    }

    /// Applies a reloaded config: new teachers get a worker, changed ones take their new settings once their
    /// in-flight requests are stored, removed ones finish what is in flight and stop.
    func apply(_ config: DaemonConfig) {
        let (current, shuttingDown) = state.withLock { s -> ([String: TeacherWorker], Bool) in
            s.drainSeconds = config.drainSeconds
            return (s.workers, s.shuttingDown)
        }
        if shuttingDown { return }
        for teacher in config.teachers {
            if let worker = current[teacher.name] {
                if worker.settings != teacher { worker.update(teacher) }
                worker.reloaded()
            } else {
                startWorker(teacher)
            }
        }
        for (name, worker) in current where config.teacher(named: name) == nil {
            worker.retire()
            state.withLock { _ = $0.workers.removeValue(forKey: name) }
        }
    }

    /// Applies this daemon's part of each teacher's limits (``FleetService``); a teacher missing from `shares` gets
    /// its whole limits.
    func applyShares(_ shares: [String: FleetShare]) {
        let workers = state.withLock { $0.workers }
        for (name, worker) in workers { worker.setShare(shares[name] ?? .alone) }
    }

    /// Runs the workers until graceful shutdown, then drains them within the deadline.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for await command in commands {
                    switch command {
                    case .start(let worker):
                        group.addTask { try await worker.run() }
                    }
                }
            }
            state.withLock { $0.finished = true }
        } onGracefulShutdown: { [self] in
            beginShutdown()
        }
    }

    /// Stops claiming everywhere and arms the drain deadline. Idempotent.
    func beginShutdown() {
        let (workers, deadline, first) = state.withLock { s -> ([TeacherWorker], Double, Bool) in
            defer { s.shuttingDown = true }
            return (Array(s.workers.values), s.drainSeconds, !s.shuttingDown)
        }
        guard first else { return }
        onShutdown()
        context.logger.notice("shutting down: no new jobs are claimed; waiting for in-flight requests",
                              metadata: ["drain.seconds": "\(deadline)"])
        for worker in workers { worker.drain() }
        continuation.finish()
        let deadlineTask = Task {
            try? await Task.sleep(for: .milliseconds(Int(deadline * 1000)))
            if Task.isCancelled { return }
            abortAll(reason: "drain deadline passed")
        }
        // A second SIGTERM/SIGINT (Ctrl-C twice) does not wait for the deadline.
        Task {
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                context.logger.notice("second signal: stopping now", metadata: ["signal": "\(signal)"])
                deadlineTask.cancel()
                abortAll(reason: "second signal")
                return
            }
        }
    }

    private func abortAll(reason: String) {
        let (left, finished) = state.withLock { (Array($0.workers.values), $0.finished) }
        if finished { return }
        context.logger.warning("\(reason): abandoning in-flight requests; their jobs go back to the queue")
        for worker in left { worker.abort() }
    }
}
