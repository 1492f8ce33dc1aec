/// Reading a blob's ids and logprobs into ``LogprobColumns`` (the `kd` export's read path).
extension LogprobCodec {
    /// Decodes the token ids and logprobs of an `HLP1` or `HLP2` blob into flat columns: an `HLP2` blob straight
    /// from its bytes (one pass through a raw pointer, no value built per entry), an `HLP1` blob through
    /// ``decode(_:)``. `ids[i]` is the token id of the teacher's vocabulary entry `i` (nil when it has none); an
    /// index past `ids` throws a ``DecodeError`` with ``DecodeError/missingVocabularyIndex`` set, so a caller can
    /// reload and retry. Ids and logprobs are those ``decode(_:vocabulary:)`` gives, bit for bit.
    public static func decodeColumns(_ blob: [UInt8], ids: UnsafeBufferPointer<Int?>) throws(DecodeError) -> LogprobColumns {
        guard isVersion2(blob) else { return LogprobColumns(try decode(blob)) }
        var r = ColumnReader(count: 0, alternatives: 0)
        blob.withUnsafeBufferPointer { r.header($0) }
        if let error = r.error { throw error }
        var columns = ColumnReader(count: r.positions, alternatives: blob.count / 5)
        blob.withUnsafeBufferPointer { columns.read($0, ids: ids) }
        if let error = columns.error { throw error }
        return columns.finish()
    }
}

/// The `HLP2` reader behind ``LogprobCodec/decodeColumns(_:ids:)``: writes into arrays sized up front (every value
/// takes at least 5 bytes, so a blob of n bytes holds at most n / 5), trimmed at the end; a corrupt blob sets
/// ``error`` and stops.
private struct ColumnReader {
    var positions = 0
    var error: LogprobCodec.DecodeError?
    private var sampledIds: [Int]
    private var sampledLogprobs: [Double]
    private var topStarts: [Int]
    private var topIds: [Int]
    private var topLogprobs: [Double]
    private var alternatives = 0
    private var allHaveIds = true
    private var maxTokenId = -1

    init(count: Int, alternatives: Int) {
        positions = count
        sampledIds = [Int](repeating: 0, count: count)
        sampledLogprobs = [Double](repeating: 0, count: count)
        topStarts = [Int](repeating: 0, count: count + 1)
        topIds = [Int](repeating: 0, count: alternatives)
        topLogprobs = [Double](repeating: 0, count: alternatives)
    }

    /// Reads the position count.
    mutating func header(_ buf: UnsafeBufferPointer<UInt8>) {
        var pos = 4
        guard let count = Self.varint(buf, &pos) else { return fail("truncated varint", pos) }
        guard count <= UInt64(buf.count) else { return fail("position count too large", pos) }
        positions = Int(count)
    }

    private mutating func fail(_ message: String, _ offset: Int, missing: Int? = nil) {
        var e = LogprobCodec.DecodeError(message: message, offset: offset)
        e.missingVocabularyIndex = missing
        error = e
    }

    @inline(__always)
    private static func varint(_ buf: UnsafeBufferPointer<UInt8>, _ pos: inout Int) -> UInt64? {
        guard pos < buf.count else { return nil }
        let first = buf[pos]
        pos &+= 1
        if first < 0x80 { return UInt64(first) }
        var result = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        while true {
            guard pos < buf.count, shift <= 63 else { return nil }
            let b = buf[pos]
            pos &+= 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift &+= 7
        }
    }

    /// Reads every position after the header.
    mutating func read(_ buf: UnsafeBufferPointer<UInt8>, ids: UnsafeBufferPointer<Int?>) {
        var cursor = Cursor(pos: 4)
        _ = Self.varint(buf, &cursor.pos)
        let alternatives = sampledIds.withUnsafeMutableBufferPointer { sIds in
            sampledLogprobs.withUnsafeMutableBufferPointer { sLps in
                topStarts.withUnsafeMutableBufferPointer { starts in
                    topIds.withUnsafeMutableBufferPointer { tIds in
                        topLogprobs.withUnsafeMutableBufferPointer { tLps in
                            Self.positions(buf, ids, sIds, sLps, starts, tIds, tLps, &cursor)
                        }
                    }
                }
            }
        }
        if let (message, offset, missing) = cursor.failure { return fail(message, offset, missing: missing) }
        if cursor.pos != buf.count { return fail("trailing bytes", cursor.pos) }
        self.alternatives = alternatives
        allHaveIds = cursor.allHaveIds
        maxTokenId = cursor.maxTokenId
    }

    /// Where reading is, what it found across entries, and the first failure.
    private struct Cursor {
        var pos: Int
        var allHaveIds = true
        var maxTokenId = -1
        var failure: (String, Int, Int?)?
    }

    /// The position loop; returns the number of alternatives read (stops at the first failure, recorded in `c`).
    private static func positions(_ buf: UnsafeBufferPointer<UInt8>, _ ids: UnsafeBufferPointer<Int?>,
                                  _ sIds: UnsafeMutableBufferPointer<Int>, _ sLps: UnsafeMutableBufferPointer<Double>,
                                  _ starts: UnsafeMutableBufferPointer<Int>, _ tIds: UnsafeMutableBufferPointer<Int>,
                                  _ tLps: UnsafeMutableBufferPointer<Double>, _ c: inout Cursor) -> Int {
        var a = 0
        for p in 0..<sLps.count {
            starts[p] = a
            guard let head = varint(buf, &c.pos) else { c.failure = ("truncated varint", c.pos, nil); return a }
            let topCount = head >> 1
            guard topCount <= UInt64(buf.count) else { c.failure = ("top count too large", c.pos, nil); return a }
            var ref = -1
            if head & 1 != 0 {
                guard let r = varint(buf, &c.pos) else { c.failure = ("truncated varint", c.pos, nil); return a }
                guard r < topCount else { c.failure = ("sampled reference out of range", c.pos, nil); return a }
                ref = Int(r)
            } else {
                guard value(buf, ids, &c, sIds.baseAddress! + p, sLps.baseAddress! + p) else { return a }
            }
            let n = Int(topCount)
            guard a &+ n <= tIds.count else { c.failure = ("truncated field", c.pos, nil); return a }
            for j in 0..<n {
                guard value(buf, ids, &c, tIds.baseAddress! + (a &+ j), tLps.baseAddress! + (a &+ j)) else { return a }
            }
            if ref >= 0 {
                sIds[p] = tIds[a &+ ref]
                sLps[p] = tLps[a &+ ref]
            }
            a &+= n
        }
        starts[sLps.count] = a
        return a
    }

    /// One value into `id` and `lp`; false after recording a failure in `c`.
    @inline(__always)
    private static func value(_ buf: UnsafeBufferPointer<UInt8>, _ ids: UnsafeBufferPointer<Int?>, _ c: inout Cursor,
                              _ id: UnsafeMutablePointer<Int>, _ lp: UnsafeMutablePointer<Double>) -> Bool {
        guard let head = varint(buf, &c.pos) else { c.failure = ("truncated varint", c.pos, nil); return false }
        let index = Int(truncatingIfNeeded: head >> 2)
        guard index >= 0, index < ids.count else {
            c.failure = ("vocabulary entry \(index) is unknown", c.pos, index)
            return false
        }
        if let known = ids[index] {
            id.pointee = known
            if known > c.maxTokenId { c.maxTokenId = known }
        } else {
            id.pointee = 0
            c.allHaveIds = false
        }
        switch head & 3 {
        case 0, 1:
            guard c.pos &+ 4 <= buf.count else { c.failure = ("truncated field", c.pos, nil); return false }
            let bits = UInt32(littleEndian: UnsafeRawPointer(buf.baseAddress! + c.pos).loadUnaligned(as: UInt32.self))
            c.pos &+= 4
            let f = Float(bitPattern: bits)
            lp.pointee = head & 3 == 0 ? Double(f) : (Double(f.description) ?? Double(f))
        case 2:
            guard c.pos &+ 8 <= buf.count else { c.failure = ("truncated field", c.pos, nil); return false }
            lp.pointee = Double(bitPattern: UInt64(littleEndian: UnsafeRawPointer(buf.baseAddress! + c.pos).loadUnaligned(as: UInt64.self)))
            c.pos &+= 8
        default:
            c.failure = ("unknown value mode \(head & 3)", c.pos, nil)
            return false
        }
        return true
    }

    /// The columns read, trimmed to the alternatives found.
    mutating func finish() -> LogprobColumns {
        topIds.removeLast(topIds.count - alternatives)
        topLogprobs.removeLast(topLogprobs.count - alternatives)
        return LogprobColumns(sampledIds: sampledIds, sampledLogprobs: sampledLogprobs, topStarts: topStarts, topIds: topIds,
                              topLogprobs: topLogprobs, allHaveIds: allHaveIds, maxTokenId: maxTokenId)
    }
}
