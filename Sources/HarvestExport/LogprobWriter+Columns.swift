import HarvestCore
import HarvestJSON

/// `kd`'s lists written from ``LogprobColumns`` (rows read with `ResponseQuery.logprobColumns`): the same bytes as
/// the ``TokenLogprob`` writers of ``LogprobWriter`` for the same ids and logprobs, with no array per position to
/// walk. Rows whose entries lack a token id never reach these (`kd` refuses them), so a missing id (stored as 0)
/// is written as the ``TokenLogprob`` writers write it: 0 in the current shape.
extension LogprobWriter {
    /// Room for one list separator and one value (a double or an id).
    private static let valueRoom = 1 + ShortestDouble.maxLength

    /// `kd`'s `target_token_ids` (see ``writeIdLists(_:k:closing:to:)``).
    static func writeIdLists(_ c: LogprobColumns, k: Int, closing: ArraySlice<Int>, to w: inout JSONWriter) {
        w.beginArray()
        w.withScratch { s in
            c.topStarts.withUnsafeBufferPointer { starts in
                c.topIds.withUnsafeBufferPointer { ids in
                    c.sampledIds.withUnsafeBufferPointer { sampled in
                        for p in 0..<sampled.count {
                            if p > 0 { s.ensure(1); s.byte(UInt8(ascii: ",")) }
                            let start = starts[p], n = starts[p &+ 1] &- start
                            if n == 0 {
                                s.intList(sampled.baseAddress! + p, count: 1)
                            } else {
                                s.intList(ids.baseAddress! + start, count: Swift.min(k, n))
                            }
                        }
                    }
                }
            }
            writeClosingLists(closing.count, k: k, afterPositions: !c.isEmpty, to: &s) { s, i in
                s.int(closing[closing.startIndex &+ i])
            }
        }
        w.endArray()
    }

    /// `kd`'s `logprobs` (see ``writeLogprobLists(_:k:closingCount:share:to:)``).
    static func writeLogprobLists(_ c: LogprobColumns, k: Int, closingCount: Int, share: Double, to w: inout JSONWriter) {
        w.beginArray()
        w.withScratch { s in
            c.topStarts.withUnsafeBufferPointer { starts in
                c.topLogprobs.withUnsafeBufferPointer { values in
                    c.sampledLogprobs.withUnsafeBufferPointer { sampled in
                        for p in 0..<sampled.count {
                            if p > 0 { s.ensure(1); s.byte(UInt8(ascii: ",")) }
                            let start = starts[p], n = starts[p &+ 1] &- start
                            if n == 0 {
                                s.doubleList(sampled.baseAddress! + p, count: 1)
                            } else {
                                s.doubleList(values.baseAddress! + start, count: Swift.min(k, n))
                            }
                        }
                    }
                }
            }
            writeClosingLists(closingCount, k: k, afterPositions: !c.isEmpty, to: &s) { s, _ in s.double(share) }
        }
        w.endArray()
    }

    /// `closingCount` lists of `max(k, 1)` values written by `value(s, i)` for closing token `i`.
    @inline(__always)
    private static func writeClosingLists(_ closingCount: Int, k: Int, afterPositions: Bool, to s: inout JSONScratch,
                                          _ value: (inout JSONScratch, Int) -> Void) {
        for i in 0..<closingCount {
            s.ensure(2)
            if i > 0 || afterPositions { s.byte(UInt8(ascii: ",")) }
            s.byte(UInt8(ascii: "["))
            for j in 0..<Swift.max(k, 1) {
                s.ensure(valueRoom)
                if j > 0 { s.byte(UInt8(ascii: ",")) }
                value(&s, i)
            }
            s.ensure(1)
            s.byte(UInt8(ascii: "]"))
        }
    }

    /// `{"token":"token_id:N","logprob":x}`.
    @inline(__always)
    private static func legacyEntry(_ id: Int, _ logprob: Double, to s: inout JSONScratch) {
        s.ensure(entryRoom)
        s.literal(#"{"token":"token_id:"#)
        s.int(id)
        s.literal(#"","logprob":"#)
        s.double(logprob)
        s.byte(UInt8(ascii: "}"))
    }

    /// `kd --kd-shape legacy`'s `logprobs` (see ``writeLegacyLists(_:to:)``).
    static func writeLegacyLists(_ c: LogprobColumns, to w: inout JSONWriter) {
        w.beginArray()
        w.withScratch { s in
            c.topStarts.withUnsafeBufferPointer { starts in
                c.topIds.withUnsafeBufferPointer { ids in
                    c.topLogprobs.withUnsafeBufferPointer { values in
                        for p in 0..<c.count {
                            s.ensure(2)
                            if p > 0 { s.byte(UInt8(ascii: ",")) }
                            s.byte(UInt8(ascii: "["))
                            let start = starts[p], end = starts[p &+ 1]
                            if start == end {
                                legacyEntry(c.sampledIds[p], c.sampledLogprobs[p], to: &s)
                            } else {
                                for j in start..<end {
                                    if j > start { s.ensure(1); s.byte(UInt8(ascii: ",")) }
                                    legacyEntry(ids[j], values[j], to: &s)
                                }
                            }
                            s.ensure(1)
                            s.byte(UInt8(ascii: "]"))
                        }
                    }
                }
            }
        }
        w.endArray()
    }
}
