import CSHA256

/// SHA-256 (FIPS 180-4): the project's one implementation, for content addressing, idempotency keys, request
/// fingerprints and export file digests.
///
/// Whole 64-byte blocks are compressed straight from the caller's buffer, with the CPU's SHA instructions when it
/// has them (x86 SHA extensions, about 1.5 GB/s) and a portable implementation otherwise (about 170 MB/s).
///
/// ```swift
/// let digest = SHA256.digest("abc".utf8)      // one shot, 32 bytes
/// var hasher = SHA256()                      // streaming
/// hasher.update(chunk)
/// let hex = hasher.finalizeHex()
/// ```
public struct SHA256: Sendable {
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    /// Bytes of an incomplete block (fewer than 64).
    private var tail: [UInt8] = []
    private var length: UInt64 = 0
    private let hardware: Bool

    /// True when this CPU has SHA instructions that the hasher uses.
    public static let hardwareAvailable = harvest_sha256_hw_available() != 0

    /// Creates an empty hasher; `portable` forces the portable implementation (for tests and comparisons).
    public init(portable: Bool = false) {
        hardware = !portable && Self.hardwareAvailable
    }

    /// Feeds raw bytes.
    public mutating func update(_ input: UnsafeRawBufferPointer) {
        guard var p = input.baseAddress, input.count > 0 else { return }
        var n = input.count
        length &+= UInt64(n)
        if !tail.isEmpty {
            let take = min(64 - tail.count, n)
            tail.append(contentsOf: UnsafeRawBufferPointer(start: p, count: take))
            p += take
            n -= take
            if tail.count == 64 {
                let block = tail
                block.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
                tail.removeAll(keepingCapacity: true)
            }
        }
        let whole = n / 64
        if whole > 0 {
            compress(p, blocks: whole)
            p += whole * 64
            n -= whole * 64
        }
        if n > 0 { tail.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n)) }
    }

    /// Feeds the bytes of a buffer.
    public mutating func update(buffer: UnsafeBufferPointer<UInt8>) {
        update(UnsafeRawBufferPointer(buffer))
    }

    /// Feeds bytes; contiguous collections are hashed straight from their storage, others through a copy.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done != nil { return }
        let copy = Array(bytes)
        copy.withUnsafeBytes { update($0) }
    }

    /// Finishes and returns the 32-byte digest. The hasher must not be fed afterwards.
    public mutating func finalize() -> [UInt8] {
        pad()
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7] {
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return out
    }

    /// Finishes and returns the digest as 64 lowercase hex digits. The hasher must not be fed afterwards.
    public mutating func finalizeHex() -> String {
        pad()
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for word in [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7] {
            for shift in stride(from: 28, through: 0, by: -4) { out.append(hex[Int((word >> UInt32(shift)) & 15)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One-shot digest (32 bytes).
    public static func digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var s = SHA256()
        s.update(bytes)
        return s.finalize()
    }

    /// One-shot digest as 64 lowercase hex digits.
    public static func hexDigest(_ bytes: some Sequence<UInt8>) -> String {
        var s = SHA256()
        s.update(bytes)
        return s.finalizeHex()
    }

    /// Appends the 0x80 marker, zeros and the bit length, compressing the final block(s).
    private mutating func pad() {
        let bitLength = length &* 8
        let rem = Int(length % 64)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { padding in
            let count = (rem < 56 ? 56 - rem : 120 - rem) + 8
            padding.initialize(repeating: 0)
            padding[0] = 0x80
            for i in 0..<8 { padding[count - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8)) }
            update(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(padding)[0..<count]))
        }
    }

    private mutating func compress(_ start: UnsafeRawPointer, blocks: Int) {
        if hardware {
            withUnsafeMutablePointer(to: &h) { state in
                state.withMemoryRebound(to: UInt32.self, capacity: 8) { words in
                    harvest_sha256_hw_blocks(words, start.assumingMemoryBound(to: UInt8.self), blocks)
                }
            }
        } else {
            h = Self.portable(h, start, blocks: blocks)
        }
    }

    private static func portable(_ state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                                 _ start: UnsafeRawPointer, blocks: Int)
        -> (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) {
        var (h0, h1, h2, h3, h4, h5, h6, h7) = state
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { buffer in
            let w = buffer.baseAddress!
            var p = start
            for _ in 0..<blocks {
                for i in 0..<16 { w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)) }
                for i in 16..<64 {
                    let a = w[i &- 15], b = w[i &- 2]
                    let s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >> 3)
                    let s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >> 10)
                    w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                }
                var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7
                for i in 0..<64 {
                    let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = hh &+ s1 &+ ch &+ roundConstants[i] &+ w[i]
                    let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ s0 &+ maj
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= hh
                p += 64
            }
        }
        return (h0, h1, h2, h3, h4, h5, h6, h7)
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }
}

/// SHA-256 round constants in memory that never moves (no bounds checks or retains in the hot loop).
nonisolated(unsafe) private let roundConstants: UnsafeMutablePointer<UInt32> = {
    let values: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    p.initialize(from: values, count: 64)
    return p
}()
