/// The compact binary encoding of token logprobs stored in `responses.logprobs` (format `HLP1`,
/// documented in docs/FORMATS.md). Round-trips bit-exactly: token text, logprob bit pattern,
/// `bytes` (absent/null vs. present), token id, and the order and count of top-k alternatives.
public enum LogprobCodec {
    /// Thrown when a blob is not a valid `HLP1` encoding.
    public struct DecodeError: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// Byte offset.
        public var offset: Int
        /// One line for people.
        public var description: String { "corrupt logprobs blob: \(message) at byte \(offset)" }
    }

    static let magic: [UInt8] = [0x48, 0x4C, 0x50, 0x01]  // "HLP\u{1}"

    private enum Flag {
        static let hasBytes: UInt8 = 1
        static let hasTokenId: UInt8 = 2
        static let bytesEqualToken: UInt8 = 4
    }

    /// Encodes the token list.
    public static func encode(_ tokens: [TokenLogprob]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16 + tokens.count * (24 + (tokens.first?.top.count ?? 0) * 16))
        out.append(contentsOf: magic)
        putVarint(UInt64(tokens.count), &out)
        for t in tokens {
            putEntry(token: t.token, logprob: t.logprob, bytes: t.bytes, tokenId: t.tokenId, &out)
            putVarint(UInt64(t.top.count), &out)
            for a in t.top { putEntry(token: a.token, logprob: a.logprob, bytes: a.bytes, tokenId: a.tokenId, &out) }
        }
        return out
    }

    /// Decodes a blob produced by ``encode(_:)``.
    public static func decode(_ blob: some Collection<UInt8>) throws(DecodeError) -> [TokenLogprob] {
        let bytes = Array(blob)
        return try bytes.withUnsafeBufferPointer { (buf) throws(DecodeError) -> [TokenLogprob] in
            var r = Reader(buf: buf)
            guard buf.count >= 4, Array(buf[0..<4]) == magic else { throw DecodeError(message: "bad magic", offset: 0) }
            r.pos = 4
            let count = try r.varint()
            guard count <= UInt64(buf.count) else { throw DecodeError(message: "token count too large", offset: r.pos) }
            var tokens = [TokenLogprob]()
            tokens.reserveCapacity(Int(count))
            for _ in 0..<count {
                let e = try r.entry()
                let topCount = try r.varint()
                guard topCount <= UInt64(buf.count) else { throw DecodeError(message: "top count too large", offset: r.pos) }
                var top = [TopLogprob]()
                top.reserveCapacity(Int(topCount))
                for _ in 0..<topCount {
                    let a = try r.entry()
                    top.append(TopLogprob(token: a.token, logprob: a.logprob, bytes: a.bytes, tokenId: a.tokenId))
                }
                tokens.append(TokenLogprob(token: e.token, logprob: e.logprob, bytes: e.bytes, tokenId: e.tokenId, top: top))
            }
            guard r.pos == buf.count else { throw DecodeError(message: "trailing bytes", offset: r.pos) }
            return tokens
        }
    }

    private static func putEntry(token: String, logprob: Double, bytes: [UInt8]?, tokenId: Int?, _ out: inout [UInt8]) {
        var flags: UInt8 = 0
        let utf8 = token.utf8
        if let bytes {
            flags |= Flag.hasBytes
            if bytes.elementsEqual(utf8) { flags |= Flag.bytesEqualToken }
        }
        if tokenId != nil { flags |= Flag.hasTokenId }
        out.append(flags)
        putVarint(UInt64(utf8.count), &out)
        out.append(contentsOf: utf8)
        let bits = logprob.bitPattern
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        if let bytes, flags & Flag.bytesEqualToken == 0 {
            putVarint(UInt64(bytes.count), &out)
            out.append(contentsOf: bytes)
        }
        if let tokenId {
            let z = UInt64(bitPattern: Int64((tokenId << 1) ^ (tokenId >> 63)))
            putVarint(z, &out)
        }
    }

    @inline(__always) static func putVarint(_ value: UInt64, _ out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private struct Entry {
        var token: String
        var logprob: Double
        var bytes: [UInt8]?
        var tokenId: Int?
    }

    private struct Reader {
        let buf: UnsafeBufferPointer<UInt8>
        var pos = 0

        mutating func varint() throws(DecodeError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard pos < buf.count else { throw DecodeError(message: "truncated varint", offset: pos) }
                let b = buf[pos]
                pos += 1
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
                if shift > 63 { throw DecodeError(message: "varint too long", offset: pos) }
            }
        }

        mutating func take(_ n: Int) throws(DecodeError) -> UnsafeBufferPointer<UInt8> {
            guard n >= 0, pos + n <= buf.count else { throw DecodeError(message: "truncated field", offset: pos) }
            defer { pos += n }
            return UnsafeBufferPointer(rebasing: buf[pos..<(pos + n)])
        }

        mutating func entry() throws(DecodeError) -> Entry {
            let flags = try take(1)[0]
            let len = try varint()
            guard len <= UInt64(buf.count) else { throw DecodeError(message: "token length too large", offset: pos) }
            let tokenBytes = try take(Int(len))
            let token = String(decoding: tokenBytes, as: UTF8.self)
            let lp = try take(8)
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(lp[i]) << (UInt64(i) * 8) }
            var bytes: [UInt8]? = nil
            if flags & Flag.hasBytes != 0 {
                if flags & Flag.bytesEqualToken != 0 {
                    bytes = Array(tokenBytes)
                } else {
                    let n = try varint()
                    guard n <= UInt64(buf.count) else { throw DecodeError(message: "bytes length too large", offset: pos) }
                    bytes = Array(try take(Int(n)))
                }
            }
            var tokenId: Int? = nil
            if flags & Flag.hasTokenId != 0 {
                let z = try varint()
                tokenId = Int(Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1))
            }
            return Entry(token: token, logprob: Double(bitPattern: bits), bytes: bytes, tokenId: tokenId)
        }
    }
}
