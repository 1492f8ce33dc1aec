/// `HLP2` blobs: entries refer to a per-teacher vocabulary of entry keys (``VocabularyEntry``), logprobs are 4 bytes
/// when a float32 gives back the teacher's value bit for bit, else 8 (docs/FORMATS.md). Written by
/// ``LogprobTable/encode(vocabularyIndex:)``; read by ``decode(_:vocabulary:)``.
extension LogprobCodec {
    static let magic2: [UInt8] = [0x48, 0x4C, 0x50, 0x02]  // "HLP\u{2}"

    /// Whether `blob` is an `HLP2` blob (it needs its teacher's vocabulary to decode).
    public static func isVersion2(_ blob: [UInt8]) -> Bool {
        blob.count >= 4 && blob[0] == 0x48 && blob[1] == 0x4C && blob[2] == 0x50 && blob[3] == 0x02
    }

    /// How an `HLP2` value stores its logprob (the low 2 bits of its first varint).
    enum ValueMode: UInt8 {
        /// 4 bytes: a float32 whose widening is the value.
        case float32 = 0
        /// 4 bytes: a float32 whose shortest decimal text parses to the value (a server that prints float32
        /// values in their shortest form, e.g. `-0.0009114635`).
        case float32Shortest = 1
        /// 8 bytes: the value's bits.
        case float64 = 2

        /// The smallest mode that gives `bits` back exactly.
        static func choose(_ bits: UInt64) -> ValueMode {
            let value = Double(bitPattern: bits)
            let narrow = Float(value)
            if Double(narrow).bitPattern == bits { return .float32 }
            if narrow.isFinite, let back = parseShortest(narrow.description), back.bitPattern == bits { return .float32Shortest }
            return .float64
        }

        /// `Double(text)` for a float32's shortest text (`-0.05`, `1e-05`, `-3.4028235e+38`): at most 9 significant
        /// digits, so when the decimal exponent is within ±22 the value is `digits × 10^e` or `digits / 10^-e` with one
        /// IEEE rounding of two exact doubles, which is the correctly rounded result (Clinger's fast path); other texts
        /// go to `Double(text)`. Two to three times cheaper than `Double(text)` on the commit path, where most teachers'
        /// logprobs (float32 printed shortest) come through here.
        static func parseShortest(_ text: String) -> Double? {
            var digits: UInt64 = 0, significant = 0, exponent = 0, negative = false
            var seenPoint = false, seenDigit = false
            var utf8 = text.utf8.makeIterator()
            var c = utf8.next()
            if c == UInt8(ascii: "-") { negative = true; c = utf8.next() }
            while let ch = c {
                if ch >= UInt8(ascii: "0"), ch <= UInt8(ascii: "9") {
                    seenDigit = true
                    if digits != 0 || ch != UInt8(ascii: "0") {
                        guard significant < 19 else { return Double(text) }
                        digits = digits &* 10 &+ UInt64(ch &- UInt8(ascii: "0"))
                        significant += 1
                    }
                    if seenPoint { exponent -= 1 }
                } else if ch == UInt8(ascii: "."), !seenPoint {
                    seenPoint = true
                } else {
                    break
                }
                c = utf8.next()
            }
            guard seenDigit else { return Double(text) }
            if let e = c {
                guard e == UInt8(ascii: "e") || e == UInt8(ascii: "E") else { return Double(text) }
                var sign = 1, value = 0, any = false
                c = utf8.next()
                if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { sign = c == UInt8(ascii: "-") ? -1 : 1; c = utf8.next() }
                while let ch = c, ch >= UInt8(ascii: "0"), ch <= UInt8(ascii: "9"), value < 1000 {
                    value = value * 10 + Int(ch - UInt8(ascii: "0"))
                    any = true
                    c = utf8.next()
                }
                guard any, c == nil else { return Double(text) }
                exponent += sign * value
            }
            if digits == 0 { return negative ? -0.0 : 0.0 }
            guard digits < 1 << 53, (-22...22).contains(exponent) else { return Double(text) }
            let magnitude = exponent < 0 ? Double(digits) / powersOfTen[-exponent] : Double(digits) * powersOfTen[exponent]
            return negative ? -magnitude : magnitude
        }

        /// 10^0 … 10^22, each exact in a double.
        private static let powersOfTen: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { r, _ in r * 10 } }
    }

    /// One vocabulary entry: everything about a logprob entry except the logprob.
    public struct VocabularyEntry: Sendable, Equatable {
        /// Token text.
        public var token: String
        /// `bytes` as sent (nil: absent or null).
        public var bytes: [UInt8]?
        /// Token id, when known.
        public var tokenId: Int?

        /// Parses a key as ``LogprobTable/keys`` holds it (the `HLP1` entry layout without the logprob).
        public init(key: [UInt8]) throws(DecodeError) {
            let parsed = try key.withUnsafeBufferPointer { (buf) throws(DecodeError) -> Entry in
                var r = RawReader(buf: buf)
                let e = try r.entry(withLogprob: false)
                guard r.pos == buf.count else { throw DecodeError(message: "trailing bytes in vocabulary entry", offset: r.pos) }
                return e
            }
            token = parsed.token
            bytes = parsed.bytes
            tokenId = parsed.tokenId
        }
    }

    /// Decodes an `HLP1` or `HLP2` blob; `vocabulary(i)` gives the teacher's entry `i` (nil when unknown, which
    /// throws a ``DecodeError`` with ``DecodeError/missingVocabularyIndex`` set, so a caller can reload and retry).
    public static func decode(_ blob: [UInt8], vocabulary: (Int) -> VocabularyEntry?) throws(DecodeError) -> [TokenLogprob] {
        guard isVersion2(blob) else { return try decode(blob) }
        return try decodeVersion2(blob) { (r: inout RawReader) throws(DecodeError) in try r.value(vocabulary) }
    }

    /// Decodes only the token ids and logprobs of an `HLP2` blob, for readers that need neither token texts nor
    /// `bytes` (the `kd` export): every entry's `token` is empty and its `bytes` nil; ids and logprobs are exact.
    /// `ids[i]` is the token id of the teacher's vocabulary entry `i` (nil when it has none); an index past
    /// `ids` throws a ``DecodeError`` with ``DecodeError/missingVocabularyIndex`` set. An `HLP1` blob is decoded whole.
    public static func decodeIdsAndLogprobs(_ blob: [UInt8], ids: UnsafeBufferPointer<Int?>) throws(DecodeError) -> [TokenLogprob] {
        guard isVersion2(blob) else { return try decode(blob) }
        return try decodeVersion2(blob) { (r: inout RawReader) throws(DecodeError) in try r.idValue(ids) }
    }

    /// The positions of an `HLP2` blob, each value read by `value` (with or without the vocabulary's texts).
    @inline(__always)
    private static func decodeVersion2(_ blob: [UInt8],
                                       value: (inout RawReader) throws(DecodeError) -> TopLogprob) throws(DecodeError) -> [TokenLogprob] {
        try blob.withUnsafeBufferPointer { (buf) throws(DecodeError) -> [TokenLogprob] in
            var r = RawReader(buf: buf)
            r.pos = 4
            let count = try r.varint()
            guard count <= UInt64(buf.count) else { throw DecodeError(message: "position count too large", offset: r.pos) }
            var out = [TokenLogprob]()
            out.reserveCapacity(Int(count))
            for _ in 0..<count {
                let head = try r.varint()
                let topCount = head >> 1
                guard topCount <= UInt64(buf.count) else { throw DecodeError(message: "top count too large", offset: r.pos) }
                var ref = -1
                var sampled: TopLogprob?
                if head & 1 != 0 {
                    ref = Int(try r.varint())
                    guard ref < topCount else { throw DecodeError(message: "sampled reference out of range", offset: r.pos) }
                } else {
                    sampled = try value(&r)
                }
                var top = [TopLogprob]()
                top.reserveCapacity(Int(topCount))
                for _ in 0..<topCount { top.append(try value(&r)) }
                let s = sampled ?? top[ref]
                out.append(TokenLogprob(token: s.token, logprob: s.logprob, bytes: s.bytes, tokenId: s.tokenId, top: top))
            }
            guard r.pos == buf.count else { throw DecodeError(message: "trailing bytes", offset: r.pos) }
            return out
        }
    }
}

extension LogprobCodec {
    /// Where an `HLP1` entry lies in its blob.
    struct RawEntry {
        var start: Int
        var textEnd: Int
        var end: Int
        var bits: UInt64
    }
}

extension LogprobCodec.RawReader {
    /// An `HLP1` entry's extent: its key is `start..<textEnd` plus `textEnd + 8..<end` (the entry without the
    /// logprob), and its logprob bits.
    mutating func rawEntry() throws(LogprobCodec.DecodeError) -> LogprobCodec.RawEntry {
        let start = pos
        _ = try take(1)
        let len = try varint()
        guard len <= UInt64(buf.count) else { throw LogprobCodec.DecodeError(message: "token length too large", offset: pos) }
        _ = try take(Int(len))
        let textEnd = pos
        let lp = try take(8)
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(lp[i]) << (UInt64(i) * 8) }
        let flags = buf[start]
        if flags & 1 != 0, flags & 4 == 0 {
            let n = try varint()
            guard n <= UInt64(buf.count) else { throw LogprobCodec.DecodeError(message: "bytes length too large", offset: pos) }
            _ = try take(Int(n))
        }
        if flags & 2 != 0 { _ = try varint() }
        return LogprobCodec.RawEntry(start: start, textEnd: textEnd, end: pos, bits: bits)
    }

    /// An `HLP2` value: vocabulary entry and logprob.
    mutating func value(_ vocabulary: (Int) -> LogprobCodec.VocabularyEntry?) throws(LogprobCodec.DecodeError) -> TopLogprob {
        let head = try varint()
        guard let mode = LogprobCodec.ValueMode(rawValue: UInt8(head & 3)) else {
            throw LogprobCodec.DecodeError(message: "unknown value mode \(head & 3)", offset: pos)
        }
        let index = Int(truncatingIfNeeded: head >> 2)
        guard let entry = vocabulary(index) else {
            var e = LogprobCodec.DecodeError(message: "vocabulary entry \(index) is unknown", offset: pos)
            e.missingVocabularyIndex = index
            throw e
        }
        return TopLogprob(token: entry.token, logprob: try logprob(mode), bytes: entry.bytes, tokenId: entry.tokenId)
    }

    /// An `HLP2` value's token id (from `ids`, see ``LogprobCodec/decodeIdsAndLogprobs(_:ids:)``) and logprob.
    @inline(__always)
    mutating func idValue(_ ids: UnsafeBufferPointer<Int?>) throws(LogprobCodec.DecodeError) -> TopLogprob {
        let head = try varint()
        guard let mode = LogprobCodec.ValueMode(rawValue: UInt8(head & 3)) else {
            throw LogprobCodec.DecodeError(message: "unknown value mode \(head & 3)", offset: pos)
        }
        let index = Int(truncatingIfNeeded: head >> 2)
        guard index >= 0, index < ids.count else {
            var e = LogprobCodec.DecodeError(message: "vocabulary entry \(index) is unknown", offset: pos)
            e.missingVocabularyIndex = index
            throw e
        }
        return TopLogprob(token: "", logprob: try logprob(mode), bytes: nil, tokenId: ids[index])
    }

    /// The logprob of a value stored in `mode`.
    @inline(__always)
    mutating func logprob(_ mode: LogprobCodec.ValueMode) throws(LogprobCodec.DecodeError) -> Double {
        switch mode {
        case .float32, .float32Shortest:
            let b = try take(4)
            var bits: UInt32 = 0
            for i in 0..<4 { bits |= UInt32(b[i]) << (UInt32(i) * 8) }
            let f = Float(bitPattern: bits)
            return mode == .float32 ? Double(f) : (Double(f.description) ?? Double(f))
        case .float64:
            let b = try take(8)
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(b[i]) << (UInt64(i) * 8) }
            return Double(bitPattern: bits)
        }
    }
}

extension LogprobCodec.ByteSink {
    @inline(__always) func appendBits32(_ bits: UInt32) {
        append(UInt8(truncatingIfNeeded: bits))
        append(UInt8(truncatingIfNeeded: bits >> 8))
        append(UInt8(truncatingIfNeeded: bits >> 16))
        append(UInt8(truncatingIfNeeded: bits >> 24))
    }
}

extension LogprobCodec {
    /// The token (position) count in an `HLP1` or `HLP2` blob's header, nil when it has none.
    public static func positionCount(_ blob: [UInt8]) -> Int? {
        guard blob.count > 4, blob[0] == 0x48, blob[1] == 0x4C, blob[2] == 0x50, blob[3] == 0x01 || blob[3] == 0x02 else { return nil }
        return blob.withUnsafeBufferPointer { buf in
            var r = RawReader(buf: buf)
            r.pos = 4
            return (try? r.varint()).map { Int(truncatingIfNeeded: $0) }
        }
    }
}
