/// Hexadecimal text to bytes (either case), shared by the readers of hex forms (rescue files, PostgreSQL `bytea`).
public enum Hex {
    /// The bytes of `text` read as hex digit pairs; nil for an odd length or a character that is not a hex digit.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count.isMultiple(of: 2) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(text.count / 2)
        var i = text.startIndex
        while i != text.endIndex {
            let j = text.index(after: i)
            guard let hi = nibble(text[i]), let lo = nibble(text[j]) else { return nil }
            out.append(hi << 4 | lo)
            i = text.index(after: j)
        }
        return out
    }

    /// ``decode(_:)`` for bytes in memory (PostgreSQL's `bytea` text form): one table lookup per digit, no generic
    /// collection calls — the generic version is not specialized across modules and was a fifth of `harvest db copy`'s
    /// time reading from PostgreSQL.
    public static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count.isMultiple(of: 2) else { return nil }
        let n = text.count / 2
        var bad: UInt8 = 0
        let out = digits.withUnsafeBufferPointer { d in
            [UInt8](unsafeUninitializedCapacity: n) { buffer, count in
                for k in 0..<n {
                    let hi = d[Int(text[2 * k])], lo = d[Int(text[2 * k + 1])]
                    bad |= (hi | lo) & 0x10
                    buffer[k] = hi << 4 | (lo & 0x0F)
                }
                count = n
            }
        }
        return bad == 0 ? out : nil
    }

    /// Value of each byte as a hex digit; 0x10 marks a byte that is not one.
    private static let digits: [UInt8] = (0...255).map { c in nibble(UInt8(c)) ?? 0x10 }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
