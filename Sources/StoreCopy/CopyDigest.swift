import HarvestCrypto

/// An order-independent digest of a table's rows: the sum (mod 2^256) of each row's SHA-256 over its canonical
/// encoding. Rows are unique by key, so equal sums mean equal row sets for any practical purpose, whatever order
/// each backend reads them in.
struct CopyDigest {
    private var words: [UInt64] = [0, 0, 0, 0]
    private(set) var rows = 0

    /// Adds one row (already in its canonical, backend-independent form).
    mutating func add(_ row: [CopyValue]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        for v in row { v.appendCanonical(to: &bytes) }
        add(encoded: bytes)
    }

    /// Adds one row given as its canonical encoding (``CopyValue/appendCanonical(to:)`` of each value).
    mutating func add(encoded bytes: [UInt8]) {
        let hash = SHA256.digest(bytes)
        var carry: UInt64 = 0
        for w in 0..<4 {
            var part: UInt64 = 0
            for b in 0..<8 { part |= UInt64(hash[w * 8 + b]) << (8 * b) }
            let (s1, o1) = words[w].addingReportingOverflow(part)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            words[w] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        rows += 1
    }

    /// The digest as hex.
    var hex: String {
        words.reversed().map { w in
            let s = String(w, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }
}
