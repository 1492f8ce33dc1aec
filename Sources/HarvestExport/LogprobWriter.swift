import HarvestCore
import HarvestJSON

/// The logprob parts of export rows, written through a ``JSONScratch`` window (the hot loops of `openai
/// --with-logprobs` and `kd`). Byte-identical to writing the same values through ``JSONWriter`` value by value.
enum LogprobWriter {
    /// Room for everything of one entry but its token text and `bytes`: keys, a double and an id.
    static let entryRoom = 96

    /// OpenAI's `logprobs.content` array (see ``ExportFields/writeLogprobs(_:to:)``).
    static func writeOpenAI(_ tokens: [TokenLogprob], to w: inout JSONWriter) {
        w.beginArray()
        w.withScratch { s in
            tokens.withUnsafeBufferPointer { buf in
                for p in 0..<buf.count {
                    s.ensure(entryRoom)
                    if p > 0 { s.byte(UInt8(ascii: ",")) }
                    s.literal(#"{"token":"#)
                    s.quoted(buf[p].token)
                    writeEntryTail(logprob: buf[p].logprob, bytes: buf[p].bytes, tokenId: buf[p].tokenId, to: &s)
                    s.ensure(entryRoom)
                    s.literal(#","top_logprobs":["#)
                    buf[p].top.withUnsafeBufferPointer { top in
                        for j in 0..<top.count {
                            s.ensure(entryRoom)
                            if j > 0 { s.byte(UInt8(ascii: ",")) }
                            s.literal(#"{"token":"#)
                            s.quoted(top[j].token)
                            writeEntryTail(logprob: top[j].logprob, bytes: top[j].bytes, tokenId: top[j].tokenId, to: &s)
                            s.ensure(1)
                            s.byte(UInt8(ascii: "}"))
                        }
                    }
                    s.ensure(2)
                    s.literal("]}")
                }
            }
        }
        w.endArray()
    }

    /// `kd --kd-shape legacy`'s `logprobs`: per position a list of `{"token":"token_id:N","logprob":x}` (the token
    /// text when the id is unknown) for its alternatives, or for the sampled token when it has none.
    static func writeLegacyLists(_ tokens: [TokenLogprob], to w: inout JSONWriter) {
        w.beginArray()
        w.withScratch { s in
            func entry(_ token: String, _ id: Int?, _ logprob: Double) {
                s.ensure(entryRoom)
                s.literal(#"{"token":"#)
                if let id {
                    s.literal(#""token_id:"#)
                    s.int(id)
                    s.byte(UInt8(ascii: "\""))
                } else {
                    s.quoted(token)
                    s.ensure(entryRoom)
                }
                s.literal(#","logprob":"#)
                s.double(logprob)
                s.byte(UInt8(ascii: "}"))
            }
            tokens.withUnsafeBufferPointer { buf in
                for p in 0..<buf.count {
                    s.ensure(2)
                    if p > 0 { s.byte(UInt8(ascii: ",")) }
                    s.byte(UInt8(ascii: "["))
                    buf[p].top.withUnsafeBufferPointer { top in
                        if top.isEmpty {
                            entry(buf[p].token, buf[p].tokenId, buf[p].logprob)
                        } else {
                            for j in 0..<top.count {
                                if j > 0 { s.ensure(1); s.byte(UInt8(ascii: ",")) }
                                entry(top[j].token, top[j].tokenId, top[j].logprob)
                            }
                        }
                    }
                    s.ensure(1)
                    s.byte(UInt8(ascii: "]"))
                }
            }
        }
        w.endArray()
    }

    /// `,"logprob":x` then `,"bytes":[…]` and `,"token_id":n` when present.
    @inline(__always)
    private static func writeEntryTail(logprob: Double, bytes: [UInt8]?, tokenId: Int?, to s: inout JSONScratch) {
        s.ensure(entryRoom)
        s.literal(#","logprob":"#)
        s.double(logprob)
        if let bytes {
            s.literal(#","bytes":"#)
            s.byteArray(bytes)
        }
        if let tokenId {
            s.ensure(entryRoom)
            s.literal(#","token_id":"#)
            s.int(tokenId)
        }
    }

    /// `kd`'s `target_token_ids`: per position the ids of the first `k` alternatives (the sampled token's when it
    /// has none; a missing id as 0), then per closing id a list of `max(k, 1)` copies.
    static func writeIdLists(_ tokens: [TokenLogprob], k: Int, closing: ArraySlice<Int>, to w: inout JSONWriter) {
        w.beginArray()
        w.withScratch { s in
            tokens.withUnsafeBufferPointer { buf in
                for p in 0..<buf.count {
                    s.ensure(entryRoom)
                    if p > 0 { s.byte(UInt8(ascii: ",")) }
                    s.byte(UInt8(ascii: "["))
                    buf[p].top.withUnsafeBufferPointer { top in
                        if top.isEmpty {
                            s.int(buf[p].tokenId ?? 0)
                        } else {
                            for j in 0..<Swift.min(k, top.count) {
                                s.ensure(entryRoom)
                                if j > 0 { s.byte(UInt8(ascii: ",")) }
                                s.int(top[j].tokenId ?? 0)
                            }
                        }
                    }
                    s.ensure(1)
                    s.byte(UInt8(ascii: "]"))
                }
                var first = buf.isEmpty
                for id in closing {
                    s.ensure(2)
                    if !first { s.byte(UInt8(ascii: ",")) }
                    first = false
                    s.byte(UInt8(ascii: "["))
                    for j in 0..<Swift.max(k, 1) {
                        s.ensure(entryRoom)
                        if j > 0 { s.byte(UInt8(ascii: ",")) }
                        s.int(id)
                    }
                    s.ensure(1)
                    s.byte(UInt8(ascii: "]"))
                }
            }
        }
        w.endArray()
    }

    /// `kd`'s `logprobs`: per position the logprobs of the first `k` alternatives (the sampled token's when it has
    /// none), then `closingCount` lists of `max(k, 1)` copies of `share`.
    static func writeLogprobLists(_ tokens: [TokenLogprob], k: Int, closingCount: Int, share: Double, to w: inout JSONWriter) {
        w.beginArray()
        w.withScratch { s in
            tokens.withUnsafeBufferPointer { buf in
                for p in 0..<buf.count {
                    s.ensure(entryRoom)
                    if p > 0 { s.byte(UInt8(ascii: ",")) }
                    s.byte(UInt8(ascii: "["))
                    buf[p].top.withUnsafeBufferPointer { top in
                        if top.isEmpty {
                            s.double(buf[p].logprob)
                        } else {
                            for j in 0..<Swift.min(k, top.count) {
                                s.ensure(entryRoom)
                                if j > 0 { s.byte(UInt8(ascii: ",")) }
                                s.double(top[j].logprob)
                            }
                        }
                    }
                    s.ensure(1)
                    s.byte(UInt8(ascii: "]"))
                }
                for c in 0..<closingCount {
                    s.ensure(2)
                    if c > 0 || !buf.isEmpty { s.byte(UInt8(ascii: ",")) }
                    s.byte(UInt8(ascii: "["))
                    for j in 0..<Swift.max(k, 1) {
                        s.ensure(entryRoom)
                        if j > 0 { s.byte(UInt8(ascii: ",")) }
                        s.double(share)
                    }
                    s.ensure(1)
                    s.byte(UInt8(ascii: "]"))
                }
            }
        }
        w.endArray()
    }
}
