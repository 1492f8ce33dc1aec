#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestCore

/// Serializes ``RowBatch``es on threads of its own, one batch per thread at a time, while the caller hands back the
/// lines of earlier batches in the order the batches were submitted. No thread waits for another's share of a batch
/// (a batch is never split), so the cores stay busy as long as batches are waiting; the output does not depend on
/// the number of threads or their timing. Memory: at most ``depth`` batches in flight.
///
/// Own threads, not Dispatch: `DispatchQueue.global().async` ran nearly every batch on one worker thread on Linux
/// (`perf sched`: 494 ms on one thread, 0.04 ms on the others), which made serialization one core's work.
///
/// Thread-safety: the job queue and the done flags are guarded by `mutex`; a batch is touched by one worker
/// between its submission and its done flag, and by the caller (one thread, the caller of
/// ``ExportPipeline/drain(_:)``) otherwise. ``close()`` (or deinit) joins the threads.
final class BatchSerializer: @unchecked Sendable {
    /// One batch and whether its worker finished it.
    private final class Slot {
        let batch = RowBatch()
        var done = false
    }

    private let format: any ExportFormat
    private let options: ExportOptions
    private let threadCount: Int
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var threads: [pthread_t] = []
    /// Submitted batches no worker has taken yet (guarded by `mutex`).
    private var waiting: [Slot] = []
    private var stopping = false
    /// Batches serialized or being serialized, oldest first (the caller's).
    private var inFlight: [Slot] = []
    private var spare: [Slot] = []
    /// The slot whose batch the caller fills.
    private var current = Slot()
    /// The most batches in flight: two per thread, so a thread finds its next batch when it ends one.
    let depth: Int

    /// A serializer for `format` on `threads` threads (at least 1), started with the first batch; call ``close()``
    /// when done with it.
    init(format: any ExportFormat, options: ExportOptions, threads: Int = BatchSerializer.defaultThreads) {
        self.format = format
        self.options = options
        threadCount = Swift.max(1, threads)
        depth = 2 * threadCount
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        close()
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    /// The number of threads for exports on this machine: its online processors, at most 4.
    static var defaultThreads: Int { Swift.min(4, Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) }

    /// The batch being filled by the caller.
    var filling: RowBatch { current.batch }

    /// Sends the batch being filled to a thread (when it has rows) and starts a new one; then, when ``depth``
    /// batches are in flight, waits for the oldest and hands its lines to `place`.
    func submit(_ place: (StoredResponse, UnsafeRawBufferPointer) throws(ExportError) -> Void) throws(ExportError) {
        guard !current.batch.isEmpty else { return }
        if threads.isEmpty { startThreads() }
        let slot = current
        current = spare.popLast() ?? Slot()
        inFlight.append(slot)
        pthread_mutex_lock(&mutex)
        if threads.isEmpty {
            // No thread could be started (the system is out of them): the caller serializes.
            slot.batch.serialize(format, options: options)
            slot.done = true
        } else {
            slot.done = false
            waiting.append(slot)
        }
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        if inFlight.count >= depth { try placeOldest(place) }
    }

    /// Hands the lines of every batch in flight to `place`, oldest first.
    func flush(_ place: (StoredResponse, UnsafeRawBufferPointer) throws(ExportError) -> Void) throws(ExportError) {
        while !inFlight.isEmpty { try placeOldest(place) }
    }

    /// Drops the batches not yet taken, waits for those being serialized and stops the threads. Idempotent.
    func close() {
        pthread_mutex_lock(&mutex)
        stopping = true
        waiting.removeAll()
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
        inFlight.removeAll()
    }

    private func placeOldest(_ place: (StoredResponse, UnsafeRawBufferPointer) throws(ExportError) -> Void) throws(ExportError) {
        let slot = inFlight.removeFirst()
        pthread_mutex_lock(&mutex)
        while !slot.done { pthread_cond_wait(&changed, &mutex) }
        pthread_mutex_unlock(&mutex)
        defer {
            slot.batch.removeAll()
            spare.append(slot)
        }
        try slot.batch.forEachLine(place)
    }

    private func startThreads() {
        for _ in 0..<threadCount {
            var thread = pthread_t()
            // Unretained: ``close()`` joins every thread before the serializer can go away (deinit calls it).
            let rc = pthread_create(&thread, nil, { raw in
                Unmanaged<BatchSerializer>.fromOpaque(raw!).takeUnretainedValue().work()
                return nil
            }, Unmanaged.passUnretained(self).toOpaque())
            if rc == 0 { threads.append(thread) }
        }
    }

    /// A thread's loop: take the oldest waiting batch, serialize it, flag it done.
    private func work() {
        pthread_mutex_lock(&mutex)
        while true {
            while waiting.isEmpty && !stopping { pthread_cond_wait(&changed, &mutex) }
            if waiting.isEmpty { break }
            let slot = waiting.removeFirst()
            pthread_mutex_unlock(&mutex)
            slot.batch.serialize(format, options: options)
            pthread_mutex_lock(&mutex)
            slot.done = true
            pthread_cond_broadcast(&changed)
        }
        pthread_mutex_unlock(&mutex)
    }
}
