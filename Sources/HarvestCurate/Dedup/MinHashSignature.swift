/// A MinHash signature: for each permutation, the low 32 bits of the minimum permuted shingle hash.
/// The fraction of equal positions between two signatures estimates the Jaccard similarity of their shingle sets.
public struct MinHashSignature: Sendable, Hashable {
    /// One value per permutation.
    public var values: [UInt32]

    /// Creates a signature from its values.
    public init(values: [UInt32]) {
        self.values = values
    }

    /// Compact storage form: 4 little-endian bytes per value (512 bytes for 128 permutations).
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * 4)
        out.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        return out
    }

    /// Decodes ``bytes``.
    public init(bytes: some Collection<UInt8>) throws(CurationError) {
        guard bytes.count % 4 == 0, !bytes.isEmpty else {
            throw CurationError(.storedData, location: "MinHash signature",
                                "\(bytes.count) bytes is not a whole number of 4-byte values",
                                hint: "recompute the stored signatures by re-running near-duplicate detection")
        }
        let count = bytes.count / 4
        let decode = { (raw: UnsafeRawBufferPointer) in
            [UInt32](unsafeUninitializedCapacity: count) { out, n in
                for i in 0..<count { out[i] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
                n = count
            }
        }
        values = bytes.withContiguousStorageIfAvailable { decode(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes(decode)
    }

    /// Estimated Jaccard similarity: the fraction of equal values (0 when the lengths differ).
    public func jaccard(_ other: MinHashSignature) -> Double {
        guard values.count == other.values.count, !values.isEmpty else { return 0 }
        return values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in Double(Self.equalCount(a, b)) / Double(a.count) }
        }
    }

    @inline(__always)
    static func equalCount(_ a: UnsafeBufferPointer<UInt32>, _ b: UnsafeBufferPointer<UInt32>) -> Int {
        var n = 0
        for i in 0..<a.count where a[i] == b[i] { n += 1 }
        return n
    }
}
