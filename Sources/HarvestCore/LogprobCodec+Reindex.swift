/// Working on an `HLP2` blob's vocabulary indices without decoding it: the values' logprob bytes, the positions'
/// heads and references are carried byte for byte, only each value's `varint(idx << 2 | mode)` is touched. Used by
/// `harvest db copy` to move blobs between two databases' vocabularies (``reindexVersion2(_:_:)``) and to digest
/// them independently of either numbering (``appendRelabeledVersion2(_:to:label:)``).
extension LogprobCodec {
    /// The blob with every vocabulary index `i` replaced by `map(i)` (nil: the source has no entry `i`, which
    /// throws a ``DecodeError`` with ``DecodeError/missingVocabularyIndex`` set). Modes and logprob bytes stay as
    /// they are, so the blob decodes with the new vocabulary to bit-identical values. The blob is checked as the
    /// decoder checks it (truncation, trailing bytes, references, modes). `HLP1` blobs are refused: they hold no indices.
    public static func reindexVersion2(_ blob: [UInt8], _ map: (Int) -> Int?) throws(DecodeError) -> [UInt8] {
        try rewriteVersion2(blob, extra: 9) { (index: Int, mode: UInt64, out: UnsafeMutablePointer<UInt8>) -> Int? in
            guard let target = map(index), target >= 0 else { return nil }
            var v = UInt64(target) << 2 | mode
            var n = 0
            while v >= 0x80 {
                out[n] = UInt8(truncatingIfNeeded: v) | 0x80
                v >>= 7
                n += 1
            }
            out[n] = UInt8(truncatingIfNeeded: v)
            return n + 1
        }
    }

    /// Appends the blob with every value's `varint(idx << 2 | mode)` replaced by `label(idx)` (8 bytes, little-endian)
    /// and the mode (1 byte); everything else byte for byte. With a label that stands for the vocabulary entry
    /// itself (e.g. a hash of its key), two blobs of two databases give the same bytes exactly when they hold the
    /// same entries with the same logprob bytes in the same places, whatever each database's numbering. nil from
    /// `label` (no entry `i`) throws as for ``reindexVersion2(_:_:)``.
    public static func appendRelabeledVersion2(_ blob: [UInt8], to out: inout [UInt8], label: (Int) -> UInt64?) throws(DecodeError) {
        out += try rewriteVersion2(blob, extra: 8) { (index: Int, mode: UInt64, out: UnsafeMutablePointer<UInt8>) -> Int? in
            guard let l = label(index) else { return nil }
            for b in 0..<8 { out[b] = UInt8(truncatingIfNeeded: l >> (8 * UInt64(b))) }
            out[8] = UInt8(truncatingIfNeeded: mode)
            return 9
        }
    }

    /// The blob with each value's head replaced by what `write(index, mode, at)` writes (at most `extra` + 1 bytes,
    /// returning how many; nil for an unknown index); checks the structure as ``decode(_:vocabulary:)`` does.
    @inline(__always)
    private static func rewriteVersion2(_ blob: [UInt8], extra: Int,
                                        _ write: (Int, UInt64, UnsafeMutablePointer<UInt8>) -> Int?) throws(DecodeError) -> [UInt8] {
        try blob.withUnsafeBufferPointer { (buf) throws(DecodeError) -> [UInt8] in
            guard isVersion2(buf) else { throw DecodeError(message: "not an HLP2 blob", offset: 0) }
            // Every value takes at least 5 bytes and grows by at most `extra`.
            let capacity = buf.count + (buf.count / 5 + 1) * extra
            var failure: DecodeError?
            let out = [UInt8](unsafeUninitializedCapacity: capacity) { dst, written in
                var o = 0
                var r = RawReader(buf: buf)
                /// Copies `buf[from..<to]` (a few bytes: heads, references, payloads).
                func copy(_ from: Int, _ to: Int) {
                    var i = from
                    while i < to {
                        dst[o] = buf[i]
                        o += 1
                        i += 1
                    }
                }
                func value() throws(DecodeError) {
                    let start = r.pos
                    let head = try r.varint()
                    let payload = r.pos
                    switch head & 3 {
                    case 0, 1: _ = try r.take(4)
                    case 2: _ = try r.take(8)
                    default: throw DecodeError(message: "unknown value mode \(head & 3)", offset: payload)
                    }
                    let index = Int(truncatingIfNeeded: head >> 2)
                    guard let n = write(index, head & 3, dst.baseAddress! + o) else {
                        var e = DecodeError(message: "vocabulary entry \(index) is unknown", offset: start)
                        e.missingVocabularyIndex = index
                        throw e
                    }
                    o += n
                    copy(payload, r.pos)
                }
                do throws(DecodeError) {
                    r.pos = 4
                    let count = try r.varint()
                    guard count <= UInt64(buf.count) else { throw DecodeError(message: "position count too large", offset: r.pos) }
                    copy(0, r.pos)
                    for _ in 0..<count {
                        let start = r.pos
                        let head = try r.varint()
                        let topCount = head >> 1
                        guard topCount <= UInt64(buf.count) else { throw DecodeError(message: "top count too large", offset: r.pos) }
                        if head & 1 != 0 {
                            guard try r.varint() < topCount else { throw DecodeError(message: "sampled reference out of range", offset: r.pos) }
                            copy(start, r.pos)
                        } else {
                            copy(start, r.pos)
                            try value()
                        }
                        for _ in 0..<topCount { try value() }
                    }
                    guard r.pos == buf.count else { throw DecodeError(message: "trailing bytes", offset: r.pos) }
                } catch {
                    failure = error
                }
                written = failure == nil ? o : 0
            }
            if let failure { throw failure }
            return out
        }
    }

    private static func isVersion2(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        buf.count >= 4 && buf[0] == 0x48 && buf[1] == 0x4C && buf[2] == 0x50 && buf[3] == 0x02
    }
}
