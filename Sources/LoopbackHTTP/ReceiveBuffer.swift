#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable byte buffer that a connection thread reads a socket into.
/// Bytes in `start..<end` are received but not yet consumed.
public final class ReceiveBuffer {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0
    private var end = 0
    /// Offset (from `start`) up to which the header terminator has already been searched.
    private var scanned = 0

    /// Creates an empty buffer of `capacity` bytes (it grows as needed).
    public init(capacity: Int = 16 * 1024) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// Number of unconsumed bytes.
    public var count: Int { end - start }

    /// The unconsumed bytes. Valid until the next mutating call.
    public var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage + start, count: end - start) }

    /// Receives once from `fd`, making room first. Returns the byte count, 0 at EOF, -1 on error.
    public func receive(from fd: Int32) -> Int {
        if end == capacity { makeRoom(forTotal: count + 16 * 1024) }
        while true {
            let n = recv(fd, storage + end, capacity - end, 0)
            if n < 0 && errno == EINTR { continue }
            if n > 0 { end += n }
            return n
        }
    }

    /// Ensures the buffer can hold `total` unconsumed bytes without another move.
    public func makeRoom(forTotal total: Int) {
        if start > 0 {
            if end > start { memmove(storage, storage + start, end - start) }
            end -= start
            start = 0
        }
        if total > capacity {
            var newCapacity = capacity
            while newCapacity < total { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: storage, count: end)
            storage.deallocate()
            storage = grown
            capacity = newCapacity
        }
    }

    /// Drops `n` bytes from the front.
    public func consume(_ n: Int) {
        start += n
        scanned = 0
        if start == end {
            start = 0
            end = 0
        }
    }

    /// The length of the request head including its final CRLFCRLF, if it has fully arrived.
    public func headLength() -> Int? {
        let buf = bytes
        var i = max(scanned - 3, 0)
        while i + 3 < buf.count {
            if buf[i + 3] != 0x0A { i += 1; continue }
            if buf[i] == 0x0D && buf[i + 1] == 0x0A && buf[i + 2] == 0x0D {
                scanned = 0
                return i + 4
            }
            i += 1
        }
        scanned = buf.count
        return nil
    }
}
