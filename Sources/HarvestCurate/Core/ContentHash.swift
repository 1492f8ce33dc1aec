/// A 128-bit non-cryptographic hash of text (two independently seeded ``FastHash`` passes), used as the key of
/// exact deduplication. Stored as 16 big-endian bytes or 32 hex digits.
public struct ContentHash: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// High 64 bits.
    public var high: UInt64
    /// Low 64 bits.
    public var low: UInt64

    /// Creates a hash from its halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Hashes the UTF-8 bytes of `text` as given (normalize first).
    public init(of text: String) {
        var text = text
        (high, low) = text.withUTF8 { buf in
            (FastHash.hash(buf, seed: 0x9e37_79b9_7f4a_7c15), FastHash.hash(buf, seed: 0xc2b2_ae3d_27d4_eb4f))
        }
    }

    /// Decodes 16 big-endian bytes.
    public init(bytes: some Collection<UInt8>) throws(CurationError) {
        guard bytes.count == 16 else {
            throw CurationError(.storedData, location: "content hash", "expected 16 bytes, got \(bytes.count)",
                                hint: "re-run exact deduplication to recompute stored hashes")
        }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// Decodes 32 hex digits.
    public init(hex: String) throws(CurationError) {
        guard let bytes = Hex.bytes(hex) else {
            throw CurationError(.storedData, location: "content hash", "\"\(hex)\" is not hexadecimal",
                                hint: "re-run exact deduplication to recompute stored hashes")
        }
        try self.init(bytes: bytes)
    }

    /// 16 big-endian bytes.
    public var bytes: [UInt8] {
        (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> UInt64(56 - 8 * (i % 8))) }
    }

    /// 32 lower-case hex digits.
    public var hex: String { Hex.string(bytes) }

    /// Same as ``hex``.
    public var description: String { hex }

    /// Orders by high, then low bits.
    public static func < (a: ContentHash, b: ContentHash) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}
