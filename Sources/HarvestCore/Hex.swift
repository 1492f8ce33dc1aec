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

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
