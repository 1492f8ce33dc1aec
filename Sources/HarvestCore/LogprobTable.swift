/// An `HLP1` blob split into what a per-teacher vocabulary stores once (each distinct entry's *key*: flags,
/// token text, `bytes` and token id, exactly as `HLP1` writes them, without the logprob) and what each response
/// stores (per position: which keys, and the logprob bits). ``encode(vocabularyIndex:)`` writes the `HLP2` blob
/// (docs/FORMATS.md); ``LogprobCodec/decode(_:vocabulary:)`` reads it back bit-identical.
///
/// Built on the caller's thread (parsing and de-duplication); the store only maps the distinct keys to its
/// vocabulary indices and writes the bytes.
public struct LogprobTable: Sendable {
    /// The distinct entry keys, in first-seen order.
    public private(set) var keys: [[UInt8]] = []
    /// Per position: the alternatives' count.
    private var topCounts: [Int32] = []
    /// Per position: the index among its alternatives of the entry equal to the sampled one (same key, same
    /// logprob bits), or -1 when the sampled entry is written on its own.
    private var sampledRefs: [Int32] = []
    /// Per position: the sampled entry's key (an index into ``keys``) and logprob bits.
    private var sampledKeys: [Int32] = []
    private var sampledBits: [UInt64] = []
    /// All alternatives, position after position.
    private var alternativeKeys: [Int32] = []
    private var alternativeBits: [UInt64] = []

    /// Positions (sampled tokens).
    public var positionCount: Int { topCounts.count }

    /// Parses an `HLP1` blob (as ``LogprobCodec/encode(_:)`` or the decoders' builder wrote it).
    public init(hlp1 blob: [UInt8]) throws(LogprobCodec.DecodeError) {
        try blob.withUnsafeBufferPointer { (buf) throws(LogprobCodec.DecodeError) in
            var r = LogprobCodec.RawReader(buf: buf)
            guard buf.count >= 4, Array(buf[0..<4]) == LogprobCodec.magic else {
                throw LogprobCodec.DecodeError(message: "bad magic", offset: 0)
            }
            r.pos = 4
            let count = try r.varint()
            guard count <= UInt64(buf.count) else { throw LogprobCodec.DecodeError(message: "token count too large", offset: r.pos) }
            topCounts.reserveCapacity(Int(count))
            sampledRefs.reserveCapacity(Int(count))
            sampledKeys.reserveCapacity(Int(count))
            sampledBits.reserveCapacity(Int(count))
            var interner = KeyInterner()
            for _ in 0..<count {
                let sampled = try r.rawEntry()
                let sampledKey = interner.intern(sampled, buf, &keys)
                let topCount = try r.varint()
                guard topCount <= UInt64(buf.count) else { throw LogprobCodec.DecodeError(message: "top count too large", offset: r.pos) }
                var ref: Int32 = -1
                for j in 0..<Int(topCount) {
                    let a = try r.rawEntry()
                    let key = interner.intern(a, buf, &keys)
                    if ref < 0, key == sampledKey, a.bits == sampled.bits { ref = Int32(j) }
                    alternativeKeys.append(key)
                    alternativeBits.append(a.bits)
                }
                topCounts.append(Int32(topCount))
                sampledRefs.append(ref)
                sampledKeys.append(sampledKey)
                sampledBits.append(sampled.bits)
            }
            guard r.pos == buf.count else { throw LogprobCodec.DecodeError(message: "trailing bytes", offset: r.pos) }
        }
    }

    /// The `HLP2` blob, `vocabularyIndex[i]` being the teacher's vocabulary index of ``keys``[i].
    public func encode(vocabularyIndex: [Int]) -> [UInt8] {
        precondition(vocabularyIndex.count == keys.count, "one vocabulary index per key")
        let out = LogprobCodec.ByteSink(capacity: 8 + positionCount * 8 + alternativeKeys.count * 7)
        out.append(LogprobCodec.magic2)
        out.appendVarint(UInt64(positionCount))
        var a = 0
        for p in 0..<positionCount {
            let top = Int(topCounts[p])
            let ref = sampledRefs[p]
            out.appendVarint(UInt64(top) << 1 | (ref >= 0 ? 1 : 0))
            if ref >= 0 {
                out.appendVarint(UInt64(ref))
            } else {
                Self.putValue(index: vocabularyIndex[Int(sampledKeys[p])], bits: sampledBits[p], out)
            }
            for _ in 0..<top {
                Self.putValue(index: vocabularyIndex[Int(alternativeKeys[a])], bits: alternativeBits[a], out)
                a += 1
            }
        }
        return out.array
    }

    /// One value: `varint(index << 2 | mode)` then 4 or 8 bytes (see ``LogprobCodec/ValueMode``).
    private static func putValue(index: Int, bits: UInt64, _ out: LogprobCodec.ByteSink) {
        let mode = LogprobCodec.ValueMode.choose(bits)
        out.appendVarint(UInt64(index) << 2 | UInt64(mode.rawValue))
        switch mode {
        case .float32, .float32Shortest: out.appendBits32(Float(Double(bitPattern: bits)).bitPattern)
        case .float64: out.appendBits(bits)
        }
    }
}

/// De-duplicates entry keys straight from an `HLP1` buffer (open addressing over FNV-1a hashes): a key already
/// seen costs a hash and a compare, no allocation.
private struct KeyInterner {
    private var slots = [Int32](repeating: -1, count: 1024)
    private var hashes: [UInt64] = []

    mutating func intern(_ e: LogprobCodec.RawEntry, _ buf: UnsafeBufferPointer<UInt8>, _ keys: inout [[UInt8]]) -> Int32 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in e.start..<e.textEnd { h = (h ^ UInt64(buf[i])) &* 0x100_0000_01B3 }
        for i in (e.textEnd + 8)..<e.end { h = (h ^ UInt64(buf[i])) &* 0x100_0000_01B3 }
        let length = e.end - e.start - 8
        var slot = Int(truncatingIfNeeded: h) & (slots.count - 1)
        while true {
            let k = slots[slot]
            if k < 0 { break }
            if hashes[Int(k)] == h, keys[Int(k)].count == length, Self.equal(keys[Int(k)], e, buf) { return k }
            slot = (slot + 1) & (slots.count - 1)
        }
        var key = [UInt8]()
        key.reserveCapacity(length)
        key.append(contentsOf: buf[e.start..<e.textEnd])
        key.append(contentsOf: buf[(e.textEnd + 8)..<e.end])
        let index = Int32(keys.count)
        keys.append(key)
        hashes.append(h)
        slots[slot] = index
        if keys.count * 2 > slots.count { rehash() }
        return index
    }

    private static func equal(_ key: [UInt8], _ e: LogprobCodec.RawEntry, _ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        var j = 0
        for i in e.start..<e.textEnd {
            if key[j] != buf[i] { return false }
            j += 1
        }
        for i in (e.textEnd + 8)..<e.end {
            if key[j] != buf[i] { return false }
            j += 1
        }
        return true
    }

    private mutating func rehash() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for (i, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & (slots.count - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = Int32(i)
        }
    }
}
