/// The token ids and logprobs of a response's positions in flat columns, without token texts or `bytes` and without
/// an array per position: what the `kd` export writes, decoded straight from an `HLP2` blob by
/// ``LogprobCodec/decodeColumns(_:ids:)`` (five arrays per row instead of one per position).
///
/// Position `p`'s alternatives are entries `topStarts[p]..<topStarts[p + 1]` of ``topIds`` and ``topLogprobs``; its
/// sampled token is ``sampledIds``[p] and ``sampledLogprobs``[p]. A missing token id is stored as 0 and clears
/// ``allHaveIds``. Logprobs are bit-exact (as ``TokenLogprob`` holds them).
public struct LogprobColumns: Sendable, Equatable {
    /// Per position: the sampled token's id (0 when unknown).
    public internal(set) var sampledIds: [Int] = []
    /// Per position: the sampled token's logprob.
    public internal(set) var sampledLogprobs: [Double] = []
    /// Per position: where its alternatives start in ``topIds`` and ``topLogprobs``; one more entry at the end.
    public internal(set) var topStarts: [Int] = [0]
    /// All alternatives' token ids, position after position (0 when unknown).
    public internal(set) var topIds: [Int] = []
    /// All alternatives' logprobs, position after position.
    public internal(set) var topLogprobs: [Double] = []
    /// True when every sampled token and every alternative has a token id.
    public internal(set) var allHaveIds = true
    /// The largest token id among all entries, or -1.
    public internal(set) var maxTokenId = -1

    /// Positions (sampled tokens).
    public var count: Int { sampledIds.count }

    /// True without positions.
    public var isEmpty: Bool { sampledIds.isEmpty }

    /// An empty set of columns with room for `positions` positions and `alternatives` alternatives.
    init(reservingPositions positions: Int, alternatives: Int) {
        sampledIds.reserveCapacity(positions)
        sampledLogprobs.reserveCapacity(positions)
        topStarts.reserveCapacity(positions + 1)
        topIds.reserveCapacity(alternatives)
        topLogprobs.reserveCapacity(alternatives)
    }

    /// Columns read whole by a decoder.
    init(sampledIds: [Int], sampledLogprobs: [Double], topStarts: [Int], topIds: [Int], topLogprobs: [Double],
         allHaveIds: Bool, maxTokenId: Int) {
        self.sampledIds = sampledIds
        self.sampledLogprobs = sampledLogprobs
        self.topStarts = topStarts
        self.topIds = topIds
        self.topLogprobs = topLogprobs
        self.allHaveIds = allHaveIds
        self.maxTokenId = maxTokenId
    }

    /// The ids and logprobs of `tokens` (texts and `bytes` left out).
    public init(_ tokens: [TokenLogprob]) {
        self.init(reservingPositions: tokens.count, alternatives: tokens.reduce(0) { $0 + $1.top.count })
        for t in tokens {
            for a in t.top { appendAlternative(id: a.tokenId, logprob: a.logprob) }
            closePosition(sampledId: t.tokenId, logprob: t.logprob)
        }
    }

    /// Adds an alternative to the position being built.
    @inline(__always)
    mutating func appendAlternative(id: Int?, logprob: Double) {
        topIds.append(note(id))
        topLogprobs.append(logprob)
    }

    /// Ends the position being built (its alternatives appended before) with its sampled token.
    @inline(__always)
    mutating func closePosition(sampledId: Int?, logprob: Double) {
        sampledIds.append(note(sampledId))
        sampledLogprobs.append(logprob)
        topStarts.append(topIds.count)
    }

    @inline(__always)
    private mutating func note(_ id: Int?) -> Int {
        guard let id else {
            allHaveIds = false
            return 0
        }
        if id > maxTokenId { maxTokenId = id }
        return id
    }

    /// The number of alternatives of position `p`.
    @inline(__always)
    public func topCount(_ p: Int) -> Int { topStarts[p + 1] - topStarts[p] }

    /// The smallest number of entries at any position (its alternatives, or 1 for the sampled token alone); 0 for
    /// no positions. The same as ``TokenLogprob`` lists give in the `kd` export.
    public var uniformK: Int {
        topStarts.withUnsafeBufferPointer { starts in
            var k = Int.max
            for p in 0..<(starts.count - 1) {
                let n = starts[p + 1] - starts[p]
                k = Swift.min(k, n == 0 ? 1 : n)
            }
            return k == .max ? 0 : k
        }
    }

    /// Each position's alternative count where it differs from the previous position's, in order.
    public func topCountChanges(_ note: (Int) -> Void) {
        var previous = -1
        for p in 0..<count {
            let n = topCount(p)
            if n != previous {
                previous = n
                note(n)
            }
        }
    }

    /// The mean of the sampled tokens' finite logprobs above -9999 (vLLM's stand-in for minus infinity), or nil
    /// when there are none or no positions; summed in position order.
    public var meanSampledLogprob: Double? {
        var sum = 0.0
        var n = 0
        for lp in sampledLogprobs where lp.isFinite && lp > -9999 {
            sum += lp
            n += 1
        }
        return n > 0 ? sum / Double(n) : nil
    }

    /// Bit-exact comparison (so NaN == NaN and -0.0 != 0.0).
    public static func == (a: LogprobColumns, b: LogprobColumns) -> Bool {
        a.sampledIds == b.sampledIds && a.topStarts == b.topStarts && a.topIds == b.topIds && a.allHaveIds == b.allHaveIds
            && a.sampledLogprobs.map(\.bitPattern) == b.sampledLogprobs.map(\.bitPattern)
            && a.topLogprobs.map(\.bitPattern) == b.topLogprobs.map(\.bitPattern)
    }
}
