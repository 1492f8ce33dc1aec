import HarvestCore
import HarvestJSON

/// Transcoding a choice's `logprobs` straight into an `HLP1` blob: the chat shape is read entry by entry into
/// a ``LogprobCodec/Builder`` (no ``TokenLogprob``, `String` or `[UInt8]` per token); the legacy completions
/// columns are decoded and encoded (they are rare and small). The result equals
/// `LogprobCodec.encode(logprobs())` for every input, and every error is the same.
extension PullReader {
    /// A token's text: a range of the body, or decoded bytes when it had escapes or invalid UTF-8.
    enum TokenText {
        case range(Int, Int)
        case owned([UInt8])

        static let empty = TokenText.range(0, 0)
    }

    /// Where an entry's `bytes` ended up.
    enum BytesValue: Equatable {
        /// Absent or `null`.
        case absent
        /// Equal to the token's text read so far (not copied).
        case equalToToken
        /// In the scratch buffer.
        case stored
    }

    /// Reusable buffers for one choice's logprobs.
    struct TranscodeScratch {
        var bytes: [UInt8] = []
        var alternativeBytes: [UInt8] = []
    }

    /// Reads `choice.logprobs` into a blob and its token count; nil for `null` or an object with neither shape.
    mutating func encodedLogprobs() throws(JSONError) -> (blob: [UInt8], count: Int)? {
        let start = pos
        guard try openObject("logprobs") else { return nil }
        var chat: (blob: [UInt8], count: Int)?
        var tokens: [(String, Int?)]?
        var tokenLogprobs: [Double]?
        var tops: [[TopLogprob]]?
        var first = true
        while try nextMember(&first) {
            if keyIs("content") {
                chat = try encodedChatEntries()
            } else if keyIs("tokens") {
                tokens = try tokenColumn()
            } else if keyIs("token_logprobs") {
                tokenLogprobs = try doubleColumn()
            } else if keyIs("top_logprobs") {
                tops = try topColumn()
            } else {
                try skipValue()
            }
        }
        if let chat { return chat }
        guard let tokens else { return nil }
        let list = try Self.columns(tokens: tokens, logprobs: tokenLogprobs, tops: tops, offset: start)
        return (LogprobCodec.encode(list), list.count)
    }

    private mutating func encodedChatEntries() throws(JSONError) -> (blob: [UInt8], count: Int)? {
        guard try openArray("logprobs.content") else { return nil }
        var builder = LogprobCodec.Builder(capacity: max(256, (buf.count - pos) / 3))
        var scratch = TranscodeScratch()
        scratch.bytes.reserveCapacity(64)
        scratch.alternativeBytes.reserveCapacity(64)
        var first = true
        while try nextElement(&first) {
            try encodedChatEntry(&builder, &scratch)
        }
        return (builder.finish(), builder.tokenCount)
    }

    private mutating func encodedChatEntry(_ builder: inout LogprobCodec.Builder, _ scratch: inout TranscodeScratch) throws(JSONError) {
        guard try openObject("logprob entry") else { throw error("logprob entry is null") }
        builder.discardAlternatives()
        var token = TokenText.empty
        var logprob = Double.nan
        var bytes = BytesValue.absent
        var tokenId: Int?
        var explicitId: Int?
        var first = true
        while try nextMember(&first) {
            if keyIs("token") {
                if consumeNull() { continue }
                let text = try tokenText()
                if bytes == .equalToToken { keep(token, in: &scratch.bytes, as: &bytes) }
                token = text
                tokenId = withText(token) { Self.tokenId($0) }
            } else if keyIs("logprob") {
                logprob = try double()
            } else if keyIs("bytes") {
                bytes = try bytesMember(matching: token, into: &scratch.bytes)
            } else if keyIs("top_logprobs") {
                try encodedTopEntries(&builder, &scratch)
            } else if keyIs("id") {
                explicitId = try lenientInt()
            } else {
                try skipValue()
            }
        }
        let id = tokenId ?? explicitId
        withText(token) { text in
            switch bytes {
            case .absent: builder.appendToken(token: text, logprob: logprob, bytes: nil, tokenId: id)
            case .equalToToken: builder.appendToken(token: text, logprob: logprob, bytes: text, tokenId: id)
            case .stored:
                scratch.bytes.withUnsafeBufferPointer { builder.appendToken(token: text, logprob: logprob, bytes: $0, tokenId: id) }
            }
        }
    }

    private mutating func encodedTopEntries(_ builder: inout LogprobCodec.Builder, _ scratch: inout TranscodeScratch) throws(JSONError) {
        builder.discardAlternatives()
        guard try openArray("top_logprobs") else { return }
        var first = true
        while try nextElement(&first) {
            guard try openObject("top_logprobs entry") else { throw error("top_logprobs entry is null") }
            var token = TokenText.empty
            var logprob = Double.nan
            var bytes = BytesValue.absent
            var tokenId: Int?
            var explicitId: Int?
            var firstMember = true
            while try nextMember(&firstMember) {
                if keyIs("token") {
                    if consumeNull() { continue }
                    let text = try tokenText()
                    if bytes == .equalToToken { keep(token, in: &scratch.alternativeBytes, as: &bytes) }
                    token = text
                    tokenId = withText(token) { Self.tokenId($0) }
                } else if keyIs("logprob") {
                    logprob = try double()
                } else if keyIs("bytes") {
                    bytes = try bytesMember(matching: token, into: &scratch.alternativeBytes)
                } else if keyIs("id") {
                    explicitId = try lenientInt()
                } else {
                    try skipValue()
                }
            }
            let id = tokenId ?? explicitId
            withText(token) { text in
                switch bytes {
                case .absent: builder.appendAlternative(token: text, logprob: logprob, bytes: nil, tokenId: id)
                case .equalToToken: builder.appendAlternative(token: text, logprob: logprob, bytes: text, tokenId: id)
                case .stored:
                    scratch.alternativeBytes.withUnsafeBufferPointer {
                        builder.appendAlternative(token: text, logprob: logprob, bytes: $0, tokenId: id)
                    }
                }
            }
        }
    }

    /// Reads a string as its UTF-8 bytes exactly as ``string(_:)`` would decode it: a range of the body when it
    /// has no escapes and is ASCII or valid UTF-8, else the decoded (and, for invalid UTF-8, repaired) bytes.
    private mutating func tokenText() throws(JSONError) -> TokenText {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected token to be a string") }
        let start = pos + 1
        var i = start
        var ascii = true
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                pos = i + 1
                if ascii { return .range(start, i - start) }
                let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
                return .owned(Array(s.utf8))
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            if c >= 0x80 { ascii = false }
            i += 1
        }
        return .owned(Array(try string("token").utf8))
    }

    private func withText<R, E: Error>(_ text: TokenText, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        switch text {
        case .range(let start, let count): return try body(UnsafeBufferPointer(rebasing: buf[start..<(start + count)]))
        case .owned(let bytes):
            return try bytes.withUnsafeBufferPointer { (b) throws(E) -> R in try body(b) }
        }
    }

    /// `bytes` were found equal to a token that is now replaced by a later `token` member: copy them out.
    private func keep(_ token: TokenText, in out: inout [UInt8], as bytes: inout BytesValue) {
        out.removeAll(keepingCapacity: true)
        withText(token) { out.append(contentsOf: $0) }
        bytes = .stored
    }

    /// The `bytes` member, compared with `token` (see ``byteArray(matching:into:)``).
    @inline(__always)
    private mutating func bytesMember(matching token: TokenText, into out: inout [UInt8]) throws(JSONError) -> BytesValue {
        switch token {
        case .range(let start, let count):
            return try byteArray(matching: UnsafeBufferPointer(rebasing: buf[start..<(start + count)]), into: &out)
        case .owned(let text):
            let copy = text
            return try copy.withUnsafeBufferPointer { (t) throws(JSONError) -> BytesValue in try byteArray(matching: t, into: &out) }
        }
    }

    /// A `bytes` array compared with `token` as it is read: `.equalToToken` without copying when it holds exactly
    /// the token's bytes (the common case), else `.stored` in `out`; `.absent` for `null`. Accepts and rejects
    /// exactly what ``byteArray()`` does.
    mutating func byteArray(matching token: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) throws(JSONError) -> BytesValue {
        let start = pos
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "["), pos + 1 < buf.count {
            // Compact form, compared in place.
            var i = pos + 1
            var k = 0
            if buf[i] == UInt8(ascii: "]") {
                if token.isEmpty {
                    pos = i + 1
                    return .equalToToken
                }
            } else {
                while true {
                    var value = 0
                    let digits = i
                    while i < buf.count {
                        let d = buf[i] &- 0x30
                        if d > 9 { break }
                        value = value &* 10 &+ Int(d)
                        i += 1
                    }
                    guard i > digits, i - digits <= 3, value <= 255, i < buf.count, k < token.count,
                          token[k] == UInt8(truncatingIfNeeded: value) else { break }
                    k += 1
                    let c = buf[i]
                    i += 1
                    if c == UInt8(ascii: ",") { continue }
                    if c == UInt8(ascii: "]"), k == token.count {
                        pos = i
                        return .equalToToken
                    }
                    break
                }
            }
        }
        pos = start
        return try byteArray(into: &out) ? .stored : .absent
    }

    /// A `bytes` array read into `out` (reused); false for `null`. Accepts and rejects exactly what
    /// ``byteArray()`` does.
    mutating func byteArray(into out: inout [UInt8]) throws(JSONError) -> Bool {
        out.removeAll(keepingCapacity: true)
        guard try openArray("bytes") else { return false }
        guard pos < buf.count else { throw error("unexpected end of input inside an array") }
        if buf[pos] == UInt8(ascii: "]") {
            pos += 1
            return true
        }
        // Compact form in one pass: digits, then ',' or ']'.
        var i = pos
        while true {
            var value = 0
            let digits = i
            while i < buf.count {
                let d = buf[i] &- 0x30
                if d > 9 { break }
                value = value &* 10 &+ Int(d)
                i += 1
            }
            guard i > digits, i - digits <= 3, value <= 255, i < buf.count else { break }
            let c = buf[i]
            i += 1
            if c == UInt8(ascii: ",") {
                out.append(UInt8(truncatingIfNeeded: value))
                continue
            }
            if c == UInt8(ascii: "]") {
                out.append(UInt8(truncatingIfNeeded: value))
                pos = i
                return true
            }
            break
        }
        // Anything else: element by element from the start, with errors.
        out.removeAll(keepingCapacity: true)
        var first = true
        while try nextElement(&first) {
            let start = pos
            let v = try int()
            guard v >= 0, v <= 255 else { throw JSONError("byte value out of range", offset: start) }
            out.append(UInt8(truncatingIfNeeded: v))
        }
        return true
    }
}
