/// Reading a blob's ids and logprobs into ``LogprobColumns`` (the `kd` export's read path).
extension LogprobCodec {
    /// Decodes the token ids and logprobs of an `HLP1` or `HLP2` blob into flat columns: an `HLP2` blob straight
    /// from its bytes (no array per position, no token text), an `HLP1` blob through ``decode(_:)``. `ids[i]` is the
    /// token id of the teacher's vocabulary entry `i` (nil when it has none); an index past `ids` throws a
    /// ``DecodeError`` with ``DecodeError/missingVocabularyIndex`` set, so a caller can reload and retry.
    /// Ids and logprobs are those ``decode(_:vocabulary:)`` gives, bit for bit.
    public static func decodeColumns(_ blob: [UInt8], ids: UnsafeBufferPointer<Int?>) throws(DecodeError) -> LogprobColumns {
        guard isVersion2(blob) else { return LogprobColumns(try decode(blob)) }
        return try blob.withUnsafeBufferPointer { (buf) throws(DecodeError) -> LogprobColumns in
            var r = RawReader(buf: buf)
            r.pos = 4
            let count = try r.varint()
            guard count <= UInt64(buf.count) else { throw DecodeError(message: "position count too large", offset: r.pos) }
            // Every value takes at least 5 bytes: room for all of them without growing.
            var c = LogprobColumns(reservingPositions: Int(count), alternatives: buf.count / 5)
            for _ in 0..<count {
                let head = try r.varint()
                let topCount = head >> 1
                guard topCount <= UInt64(buf.count) else { throw DecodeError(message: "top count too large", offset: r.pos) }
                var ref = -1
                var sampled = TopLogprob(token: "", logprob: 0)
                if head & 1 != 0 {
                    ref = Int(try r.varint())
                    guard ref < topCount else { throw DecodeError(message: "sampled reference out of range", offset: r.pos) }
                } else {
                    sampled = try r.idValue(ids)
                }
                var refValue: TopLogprob?
                for j in 0..<Int(topCount) {
                    let v = try r.idValue(ids)
                    if j == ref { refValue = v }
                    c.appendAlternative(id: v.tokenId, logprob: v.logprob)
                }
                if let refValue { sampled = refValue }
                c.closePosition(sampledId: sampled.tokenId, logprob: sampled.logprob)
            }
            guard r.pos == buf.count else { throw DecodeError(message: "trailing bytes", offset: r.pos) }
            return c
        }
    }
}
