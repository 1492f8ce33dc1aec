#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts plain pthreads running Swift closures. ``HTTPServer`` uses one joinable accept
/// thread and one detached thread per connection (blocking I/O).
public enum NativeThread {
    private final class Entry {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts a thread. Returns its handle (joinable unless `detached`), or nil with `errno` set.
    public static func start(stackSize: Int, detached: Bool, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        let context = Unmanaged.passRetained(Entry(body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, &attributes, { raw in
            let entry = Unmanaged<Entry>.fromOpaque(raw!).takeRetainedValue()
            entry.body()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<Entry>.fromOpaque(context).release()
            errno = rc
            return nil
        }
        return handle
    }

    /// Waits for a joinable thread to finish.
    public static func join(_ handle: pthread_t) {
        pthread_join(handle, nil)
    }
}
