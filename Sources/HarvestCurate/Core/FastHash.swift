/// A fast, seeded, non-cryptographic 64-bit hash in the style of wyhash (final version 4): 64×64→128-bit
/// multiply-and-fold mixing over 16-byte steps. Deterministic across runs and machines (little-endian reads),
/// so hashes may be stored. Not bit-compatible with any published wyhash release; it is versioned by
/// ``FastHash/version`` in curation parameters.
public enum FastHash {
    /// Algorithm version recorded in curation parameters; bump when the output changes.
    public static let version = "fasthash64-v1"

    @usableFromInline static let s0: UInt64 = 0x2d35_8dcc_aa6c_78a5
    @usableFromInline static let s1: UInt64 = 0x8bb8_4b93_962e_acc9
    @usableFromInline static let s2: UInt64 = 0x4b33_a62e_d433_d4a3
    @usableFromInline static let s3: UInt64 = 0x4d5a_2da5_1de1_aa47

    /// Multiplies to 128 bits and folds the halves with xor.
    @inlinable @inline(__always)
    public static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    /// Combines a running hash with one more 64-bit value (order-dependent).
    @inlinable @inline(__always)
    public static func combine(_ h: UInt64, _ v: UInt64) -> UInt64 {
        mix(h ^ v ^ s0, v ^ s1)
    }

    @inlinable @inline(__always)
    static func r8(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }

    @inlinable @inline(__always)
    static func r4(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
        UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
    }

    /// Hashes `count` bytes at `p` with `seed`.
    @inlinable
    public static func hash(_ p: UnsafeRawPointer, count len: Int, seed: UInt64 = 0) -> UInt64 {
        var seed = seed ^ mix(seed ^ s0, s1)
        var a: UInt64
        var b: UInt64
        if len <= 16 {
            if len >= 4 {
                let q = (len >> 3) << 2
                a = (r4(p, 0) << 32) | r4(p, q)
                b = (r4(p, len - 4) << 32) | r4(p, len - 4 - q)
            } else if len > 0 {
                let bytes = p.assumingMemoryBound(to: UInt8.self)
                a = UInt64(bytes[0]) << 16 | UInt64(bytes[len >> 1]) << 8 | UInt64(bytes[len - 1])
                b = 0
            } else {
                a = 0
                b = 0
            }
        } else {
            var i = len
            var o = 0
            if i >= 48 {
                var see1 = seed
                var see2 = seed
                repeat {
                    seed = mix(r8(p, o) ^ s1, r8(p, o + 8) ^ seed)
                    see1 = mix(r8(p, o + 16) ^ s2, r8(p, o + 24) ^ see1)
                    see2 = mix(r8(p, o + 32) ^ s3, r8(p, o + 40) ^ see2)
                    o += 48
                    i -= 48
                } while i >= 48
                seed ^= see1 ^ see2
            }
            while i > 16 {
                seed = mix(r8(p, o) ^ s1, r8(p, o + 8) ^ seed)
                i -= 16
                o += 16
            }
            a = r8(p, o + i - 16)
            b = r8(p, o + i - 8)
        }
        a ^= s1
        b ^= seed
        let m = a.multipliedFullWidth(by: b)
        return mix(m.low ^ s0 ^ UInt64(len), m.high ^ s1)
    }

    /// Hashes a byte buffer.
    @inlinable
    public static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64 = 0) -> UInt64 {
        guard let base = bytes.baseAddress else { return hash(UnsafeRawPointer(bitPattern: 1)!, count: 0, seed: seed) }
        return hash(UnsafeRawPointer(base), count: bytes.count, seed: seed)
    }

    /// Hashes the UTF-8 bytes of a string.
    @inlinable
    public static func hash(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var text = text
        return text.withUTF8 { hash($0, seed: seed) }
    }
}

/// Lower-case hexadecimal.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Hex of bytes.
    static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a hex string, or nil when it is not hex of even length.
    static func bytes(_ hex: String) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let hi = value(u[i]), let lo = value(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
