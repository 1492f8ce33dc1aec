/// Working on an `HLP2` blob's vocabulary indices without decoding it: the values' logprob bytes, the positions'
/// heads and references are carried byte for byte, only each value's `varint(idx << 2 | mode)` is touched. Used by
/// `harvest db copy` to move blobs between two databases' vocabularies (``reindexVersion2(_:_:)``) and to digest
/// them independently of either numbering (``appendKeyedVersion2(_:to:key:)``).
extension LogprobCodec {
    /// The blob with every vocabulary index `i` replaced by `map(i)` (nil: the source has no entry `i`, which
    /// throws a ``DecodeError`` with ``DecodeError/missingVocabularyIndex`` set). Modes and logprob bytes stay as
    /// they are, so the blob decodes with the new vocabulary to bit-identical values. The blob is checked as the
    /// decoder checks it (truncation, trailing bytes, references, modes). `HLP1` blobs are refused: they hold no indices.
    public static func reindexVersion2(_ blob: [UInt8], _ map: (Int) -> Int?) throws(DecodeError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(blob.count + 16)
        try blob.withUnsafeBufferPointer { (buf) throws(DecodeError) in
            var copied = 0
            try walkVersion2(buf) { (start: Int, end: Int, head: UInt64) throws(DecodeError) in
                let index = Int(truncatingIfNeeded: head >> 2)
                guard let target = map(index), target >= 0 else {
                    var e = DecodeError(message: "vocabulary entry \(index) is unknown", offset: start)
                    e.missingVocabularyIndex = index
                    throw e
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[copied..<start]))
                appendVarint(UInt64(target) << 2 | (head & 3), to: &out)
                copied = end
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[copied..<buf.count]))
        }
        return out
    }

    /// Appends the blob with every value's index replaced by its vocabulary entry's key: `varint(key length)`, the
    /// key (``LogprobTable/keys``' layout), then the mode as one byte; everything else byte for byte. Two blobs of
    /// two databases give the same bytes exactly when they hold the same entries (keys) with the same logprob bytes
    /// in the same places, whatever each database's numbering. `key(i)` is entry `i`'s key, nil when there is none
    /// (thrown as for ``reindexVersion2(_:_:)``).
    public static func appendKeyedVersion2(_ blob: [UInt8], to out: inout [UInt8],
                                           key: (Int) -> [UInt8]?) throws(DecodeError) {
        try blob.withUnsafeBufferPointer { (buf) throws(DecodeError) in
            var copied = 0
            try walkVersion2(buf) { (start: Int, end: Int, head: UInt64) throws(DecodeError) in
                let index = Int(truncatingIfNeeded: head >> 2)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[copied..<start]))
                guard let k = key(index) else {
                    var e = DecodeError(message: "vocabulary entry \(index) is unknown", offset: start)
                    e.missingVocabularyIndex = index
                    throw e
                }
                appendVarint(UInt64(k.count), to: &out)
                out.append(contentsOf: k)
                out.append(UInt8(truncatingIfNeeded: head & 3))
                copied = end
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[copied..<buf.count]))
        }
    }

    /// Visits every value of an `HLP2` blob: `value(start, end, head)` with the byte range of its
    /// `varint(idx << 2 | mode)` and the varint; checks the structure as ``decode(_:vocabulary:)`` does.
    @inline(__always)
    static func walkVersion2(_ buf: UnsafeBufferPointer<UInt8>,
                             _ value: (Int, Int, UInt64) throws(DecodeError) -> Void) throws(DecodeError) {
        guard isVersion2(buf) else { throw DecodeError(message: "not an HLP2 blob", offset: 0) }
        var r = RawReader(buf: buf)
        r.pos = 4
        let count = try r.varint()
        guard count <= UInt64(buf.count) else { throw DecodeError(message: "position count too large", offset: r.pos) }
        func one(_ r: inout RawReader) throws(DecodeError) {
            let start = r.pos
            let head = try r.varint()
            let end = r.pos
            switch head & 3 {
            case 0, 1: _ = try r.take(4)
            case 2: _ = try r.take(8)
            default: throw DecodeError(message: "unknown value mode \(head & 3)", offset: end)
            }
            try value(start, end, head)
        }
        for _ in 0..<count {
            let head = try r.varint()
            let topCount = head >> 1
            guard topCount <= UInt64(buf.count) else { throw DecodeError(message: "top count too large", offset: r.pos) }
            if head & 1 != 0 {
                guard try r.varint() < topCount else { throw DecodeError(message: "sampled reference out of range", offset: r.pos) }
            } else {
                try one(&r)
            }
            for _ in 0..<topCount { try one(&r) }
        }
        guard r.pos == buf.count else { throw DecodeError(message: "trailing bytes", offset: r.pos) }
    }

    private static func isVersion2(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        buf.count >= 4 && buf[0] == 0x48 && buf[1] == 0x4C && buf[2] == 0x50 && buf[3] == 0x02
    }

    @inline(__always)
    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
    }
}
