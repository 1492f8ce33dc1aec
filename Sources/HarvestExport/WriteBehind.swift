#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A background thread that drains filled buffers into a consumer (compress, hash, write), so serializing
/// rows and writing them overlap on two cores. At most ``depth`` buffers wait at a time (bounded memory);
/// emptied buffers come back for reuse.
///
/// Thread-safety: the queue and flags are guarded by `mutex`; `consume` runs only on the worker thread until
/// ``finish()`` or ``cancel()`` returns (both join the thread), after which the caller may read the consumer's results.
final class WriteBehind: @unchecked Sendable {
    /// Receives each buffer in order on the worker thread; `last` is true exactly once, with an empty buffer.
    typealias Consumer = (_ bytes: UnsafeRawBufferPointer, _ last: Bool) throws(ExportError) -> Void

    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var queue: [[UInt8]] = []
    private var spare: [[UInt8]] = []
    private var finishing = false
    private var cancelled = false
    private var exited = false
    private var failure: ExportError?
    private var thread = pthread_t()
    private var joined = false
    private let consume: Consumer
    private let depth = 2

    /// Starts the worker.
    init(consume: @escaping Consumer) throws(ExportError) {
        self.consume = consume
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
        let box = Unmanaged.passRetained(self)
        let rc = pthread_create(&thread, nil, { raw in
            let me = Unmanaged<WriteBehind>.fromOpaque(raw!).takeRetainedValue()
            me.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            joined = true
            throw ExportError.io(operation: "start the writer thread for", path: "export", reason: String(cString: strerror(rc)),
                                 hint: "the system is out of threads or memory; retry later")
        }
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    /// Hands `buffer` to the worker (waiting while ``depth`` buffers are queued) and replaces it with an emptied one.
    /// Throws the worker's error, if it failed.
    func submit(_ buffer: inout [UInt8]) throws(ExportError) {
        pthread_mutex_lock(&mutex)
        while queue.count >= depth && failure == nil && !exited { pthread_cond_wait(&changed, &mutex) }
        if let failure {
            pthread_mutex_unlock(&mutex)
            throw failure
        }
        queue.append(buffer)
        buffer = spare.popLast() ?? []
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        if buffer.capacity == 0 { buffer.reserveCapacity(queue.first?.capacity ?? 0) }
    }

    /// Waits until every queued buffer and the final call are consumed; throws the worker's error, if any.
    func finish() throws(ExportError) {
        pthread_mutex_lock(&mutex)
        finishing = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        join()
        if let failure { throw failure }
    }

    /// Stops the worker without consuming what is queued.
    func cancel() {
        pthread_mutex_lock(&mutex)
        cancelled = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        join()
    }

    private func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    private func run() {
        pthread_mutex_lock(&mutex)
        while true {
            while queue.isEmpty && !finishing && !cancelled { pthread_cond_wait(&changed, &mutex) }
            if cancelled || failure != nil { break }
            if queue.isEmpty {
                pthread_mutex_unlock(&mutex)
                let result = Result { () throws(ExportError) in try consume(UnsafeRawBufferPointer(start: nil, count: 0), true) }
                pthread_mutex_lock(&mutex)
                if case .failure(let e) = result { failure = e }
                break
            }
            var buffer = queue.removeFirst()
            pthread_mutex_unlock(&mutex)
            let result = Result { () throws(ExportError) in
                try withBytes(buffer) { (p) throws(ExportError) in try consume(p, false) }
            }
            buffer.removeAll(keepingCapacity: true)
            pthread_mutex_lock(&mutex)
            if case .failure(let e) = result { failure = e }
            spare.append(buffer)
            pthread_cond_broadcast(&changed)
        }
        exited = true
        queue.removeAll()
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
    }
}
