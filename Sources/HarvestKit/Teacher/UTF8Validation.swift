/// Strict UTF-8 validation of response bodies (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF). JSON must be UTF-8; a body that is not was corrupted on the way or by the server, so its text
/// cannot be trusted and the attempt is retried. ASCII is checked eight bytes at a time.
public enum UTF8Validation {
    /// The offset of the first byte that is not part of a valid UTF-8 sequence, or nil when `bytes` is valid.
    public static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidOffset($0) }
    }

    /// The offset of the first invalid byte in `buf`, or nil.
    public static func firstInvalidOffset(_ buf: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = buf.baseAddress else { return nil }
        let n = buf.count
        var i = 0
        while i < n {
            // Fast path: eight ASCII bytes at once.
            if i + 8 <= n {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                    continue
                }
            }
            let b0 = base[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return i
            }
            guard i + length <= n else { return i }
            let b1 = base[i + 1]
            guard b1 >= lower, b1 <= upper else { return i }
            for k in 2..<max(2, length) where base[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}
