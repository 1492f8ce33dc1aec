/// A raw output window for hot loops (export logprobs): bytes go through a pointer with no per-byte capacity or
/// uniqueness checks, and reach the ``JSONWriter``'s buffer in large pieces. No automatic commas: the caller writes
/// its own separators, between a ``JSONWriter/beginArray()`` and ``JSONWriter/endArray()`` it opened.
///
/// Callers reserve room with ``ensure(_:)`` before writing a bounded piece (each writer documents its bound); a
/// piece larger than the window (a very long token text) goes through ``quoted(_:)``, which handles any length.
///
/// ```swift
/// w.beginArray()
/// w.withScratch { s in
///     for (i, x) in values.enumerated() {
///         s.ensure(1 + ShortestDouble.maxLength)
///         if i > 0 { s.byte(UInt8(ascii: ",")) }
///         s.double(x)
///     }
/// }
/// w.endArray()
/// ```
public struct JSONScratch {
    // Internal but inlinable into the writers of other modules: every hot call is a few instructions, not a call.
    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    @usableFromInline let capacity: Int
    @usableFromInline var used = 0
    @usableFromInline let target: UnsafeMutablePointer<[UInt8]>

    init(base: UnsafeMutablePointer<UInt8>, capacity: Int, target: UnsafeMutablePointer<[UInt8]>) {
        self.base = base
        self.capacity = capacity
        self.target = target
    }

    /// The window size ``JSONWriter/withScratch(_:)`` gives.
    public static let windowSize = 16 << 10

    /// Moves what was written so far into the writer's buffer.
    public mutating func flush() {
        guard used > 0 else { return }
        target.pointee.append(contentsOf: UnsafeBufferPointer(start: base, count: used))
        used = 0
    }

    /// Makes room for `n` more bytes (flushing when needed); `n` must be at most ``windowSize``.
    @inlinable @inline(__always) public mutating func ensure(_ n: Int) {
        if capacity &- used < n { flush() }
    }

    /// Writes one byte (room: 1).
    @inlinable @inline(__always) public mutating func byte(_ b: UInt8) {
        base[used] = b
        used &+= 1
    }

    /// Writes ASCII text as is (room: its length).
    @inlinable @inline(__always) public mutating func literal(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        (base + used).update(from: s.utf8Start, count: n)
        used &+= n
    }

    /// Writes a double as ``JSONWriter/double(_:)`` does (room: ``ShortestDouble/maxLength``).
    @inlinable @inline(__always) public mutating func double(_ value: Double) {
        if value.isFinite {
            used &+= ShortestDouble.write(value, to: base + used)
        } else if value.isNaN {
            literal("null")
        } else {
            if value < 0 { literal("-9999.0") } else { literal("9999.0") }
        }
    }

    /// Writes an integer (room: 20).
    @inlinable @inline(__always) public mutating func int(_ value: Int) {
        used &+= JSONWriter.writeInt(value, to: base + used)
    }

    /// Writes `[v0,v1,…]`: `count` integers from `values` (room: none needed; reserves its own). One call per list
    /// for callers in other modules, the loop compiled here.
    public mutating func intList(_ values: UnsafePointer<Int>, count: Int) {
        ensure(1 &+ 21)
        byte(UInt8(ascii: "["))
        for i in 0..<count {
            ensure(1 &+ 21)
            if i > 0 { byte(UInt8(ascii: ",")) }
            int(values[i])
        }
        ensure(1)
        byte(UInt8(ascii: "]"))
    }

    /// Writes `[x0,x1,…]`: `count` doubles from `values` as ``double(_:)`` writes each (room: none needed).
    public mutating func doubleList(_ values: UnsafePointer<Double>, count: Int) {
        ensure(1 &+ ShortestDouble.maxLength)
        byte(UInt8(ascii: "["))
        for i in 0..<count {
            ensure(1 &+ ShortestDouble.maxLength)
            if i > 0 { byte(UInt8(ascii: ",")) }
            double(values[i])
        }
        ensure(1)
        byte(UInt8(ascii: "]"))
    }

    /// Writes `[b0,b1,…]` of any length (room: none needed; reserves its own).
    @inline(__always) public mutating func byteArray(_ values: [UInt8]) {
        values.withUnsafeBufferPointer { buf in
            let need = 2 &+ 4 &* buf.count
            if need <= capacity {
                ensure(need)
                used &+= JSONWriter.writeByteArray(buf, to: base + used)
            } else {
                var w = JSONWriter(capacity: 0)
                w.intArray(buffer: buf)
                flush()
                target.pointee.append(contentsOf: w.bytes)
            }
        }
    }

    /// Writes a quoted, escaped string of any length (room: none needed; reserves its own).
    public mutating func quoted(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            let need = utf8.count &* 6 &+ 2
            if need <= capacity {
                ensure(need)
                used &+= JSONWriter.writeQuoted(utf8, to: base + used)
            } else {
                flush()
                JSONWriter.appendQuoted(utf8, to: &target.pointee)
            }
        }
    }
}

extension JSONWriter {
    /// Runs `body` with a ``JSONScratch`` window over this writer (see there); what it writes is appended in order.
    /// Comma state is left as it was: use it between a `begin…` and its `end…`.
    public mutating func withScratch<R>(_ body: (inout JSONScratch) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: JSONScratch.windowSize) { window in
            try withUnsafeMutablePointer(to: &bytes) { target in
                var scratch = JSONScratch(base: window.baseAddress!, capacity: window.count, target: target)
                defer { scratch.flush() }
                return try body(&scratch)
            }
        }
    }
}
