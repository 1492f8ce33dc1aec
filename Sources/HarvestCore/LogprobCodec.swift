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
        /// Set when an `HLP2` blob refers to a vocabulary entry the caller did not have.
        public var missingVocabularyIndex: Int?
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
        let out = ByteSink(capacity: 16 + tokens.count * (24 + (tokens.first?.top.count ?? 0) * 20))
        out.append(magic)
        out.appendVarint(UInt64(tokens.count))
        for t in tokens {
            putEntry(token: t.token, logprob: t.logprob, bytes: t.bytes, tokenId: t.tokenId, out)
            out.appendVarint(UInt64(t.top.count))
            for a in t.top { putEntry(token: a.token, logprob: a.logprob, bytes: a.bytes, tokenId: a.tokenId, out) }
        }
        return out.array
    }

    /// Decodes a blob produced by ``encode(_:)``. An `HLP2` blob needs its teacher's vocabulary: use
    /// ``decode(_:vocabulary:)``.
    public static func decode(_ blob: some Collection<UInt8>) throws(DecodeError) -> [TokenLogprob] {
        let bytes = Array(blob)
        return try bytes.withUnsafeBufferPointer { (buf) throws(DecodeError) -> [TokenLogprob] in
            var r = RawReader(buf: buf)
            if buf.count >= 4, Array(buf[0..<4]) == magic2 {
                throw DecodeError(message: "an HLP2 blob needs its teacher's vocabulary", offset: 0)
            }
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

    private static func putEntry(token: String, logprob: Double, bytes: [UInt8]?, tokenId: Int?, _ out: ByteSink) {
        var token = token
        token.withUTF8 { utf8 in
            if let bytes {
                bytes.withUnsafeBufferPointer { putEntry(token: utf8, logprob: logprob, bytes: $0, tokenId: tokenId, out) }
            } else {
                putEntry(token: utf8, logprob: logprob, bytes: nil, tokenId: tokenId, out)
            }
        }
    }

    /// Appends one entry (flags, token, logprob bits, `bytes` unless equal to the token, token id).
    static func putEntry(token: UnsafeBufferPointer<UInt8>, logprob: Double, bytes: UnsafeBufferPointer<UInt8>?, tokenId: Int?,
                         _ out: ByteSink) {
        var flags: UInt8 = 0
        var bytesEqual = false
        if let bytes {
            flags |= Flag.hasBytes
            bytesEqual = bytes.count == token.count && (bytes.baseAddress == token.baseAddress || Self.equal(bytes, token))
            if bytesEqual { flags |= Flag.bytesEqualToken }
        }
        if tokenId != nil { flags |= Flag.hasTokenId }
        out.append(flags)
        out.appendVarint(UInt64(token.count))
        out.append(token)
        out.appendBits(logprob.bitPattern)
        if let bytes, !bytesEqual {
            out.appendVarint(UInt64(bytes.count))
            out.append(bytes)
        }
        if let tokenId {
            out.appendVarint(UInt64(bitPattern: Int64((tokenId << 1) ^ (tokenId >> 63))))
        }
    }

    @inline(__always) private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < a.count {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    struct Entry {
        var token: String
        var logprob: Double
        var bytes: [UInt8]?
        var tokenId: Int?
    }

    struct RawReader {
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

        mutating func entry(withLogprob: Bool = true) throws(DecodeError) -> Entry {
            let flags = try take(1)[0]
            let len = try varint()
            guard len <= UInt64(buf.count) else { throw DecodeError(message: "token length too large", offset: pos) }
            let tokenBytes = try take(Int(len))
            let token = String(decoding: tokenBytes, as: UTF8.self)
            var bits: UInt64 = 0
            if withLogprob {
                let lp = try take(8)
                for i in 0..<8 { bits |= UInt64(lp[i]) << (UInt64(i) * 8) }
            }
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
