import HarvestCore

/// Single passes over a row's token logprobs for the export's bookkeeping (token-id coverage, largest id, k per
/// position), through buffer pointers so no entry is copied (a copy retains its token text, `bytes` and list).
enum LogprobScan {
    /// True when every sampled token and every alternative has a token id.
    static func allHaveIds(_ tokens: [TokenLogprob]) -> Bool {
        tokens.withUnsafeBufferPointer { buf in
            for p in 0..<buf.count {
                if buf[p].tokenId == nil { return false }
                let ok = buf[p].top.withUnsafeBufferPointer { top in
                    for j in 0..<top.count where top[j].tokenId == nil { return false }
                    return true
                }
                if !ok { return false }
            }
            return true
        }
    }

    /// The smallest number of entries at any position (alternatives, or 1 for the sampled token alone); 0 for none.
    static func uniformK(_ tokens: [TokenLogprob]) -> Int {
        tokens.withUnsafeBufferPointer { buf in
            var k = Int.max
            for p in 0..<buf.count {
                let n = buf[p].top.count
                k = Swift.min(k, n == 0 ? 1 : n)
            }
            return k == .max ? 0 : k
        }
    }

    /// The largest token id among all entries, or -1.
    static func maxTokenId(_ tokens: [TokenLogprob]) -> Int {
        tokens.withUnsafeBufferPointer { buf in
            var m = -1
            for p in 0..<buf.count {
                m = Swift.max(m, buf[p].tokenId ?? -1)
                buf[p].top.withUnsafeBufferPointer { top in
                    for j in 0..<top.count { m = Swift.max(m, top[j].tokenId ?? -1) }
                }
            }
            return m
        }
    }

    /// Calls `note` with each position's alternative count where it differs from the previous position's.
    static func topCounts(_ tokens: [TokenLogprob], _ note: (Int) -> Void) {
        tokens.withUnsafeBufferPointer { buf in
            var previous = -1
            for p in 0..<buf.count {
                let n = buf[p].top.count
                if n != previous {
                    previous = n
                    note(n)
                }
            }
        }
    }
}
