#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HarvestCore
import HarvestJSON

extension KDFormat {
    /// The k every position of a ``KDShape/current`` row gets: the smallest number of entries at any position
    /// (its alternatives, or the sampled token alone when it has none); 0 for no positions.
    public static func uniformK(_ logprobs: [TokenLogprob]) -> Int {
        LogprobScan.uniformK(logprobs)
    }

    /// How many of `closing` the completion already ends with: the longest m such that the last m sampled
    /// token ids equal the first m closing ids (a teacher that stops on `<|im_end|>` usually sends it as its last
    /// token).
    public static func closingOverlap(_ logprobs: [TokenLogprob], closing: [Int]) -> Int {
        var m = min(logprobs.count, closing.count)
        while m > 0 {
            let tail = logprobs[(logprobs.count - m)...]
            if zip(tail, closing[..<m]).allSatisfy({ $0.tokenId == $1 }) { return m }
            m -= 1
        }
        return 0
    }

    /// The closing ids a row's lists end with after its completion tokens.
    public func appendedClosingIds(_ logprobs: [TokenLogprob]) -> ArraySlice<Int> {
        closingTokenIds[Self.closingOverlap(logprobs, closing: closingTokenIds)...]
    }

    /// How many of `closing` the sampled ids of `columns` already end with (see ``closingOverlap(_:closing:)``;
    /// `columns` has every id, as rows lacking one are refused).
    public static func closingOverlap(_ columns: LogprobColumns, closing: [Int]) -> Int {
        let ids = columns.sampledIds
        var m = min(ids.count, closing.count)
        while m > 0 {
            if ids[(ids.count - m)...].elementsEqual(closing[..<m]) { return m }
            m -= 1
        }
        return 0
    }

    /// Writes `target_token_ids` and `logprobs` from flat columns (same bytes as from the ``TokenLogprob`` list).
    func writeCurrent(_ columns: LogprobColumns, to w: inout JSONWriter) {
        let k = columns.uniformK
        let closing = closingTokenIds[Self.closingOverlap(columns, closing: closingTokenIds)...]
        w.key("target_token_ids")
        LogprobWriter.writeIdLists(columns, k: k, closing: closing, to: &w)
        w.key("logprobs")
        let share = k > 1 ? -log(Double(k)) : 0
        LogprobWriter.writeLogprobLists(columns, k: k, closingCount: closing.count, share: share, to: &w)
    }

    /// Writes `target_token_ids` and `logprobs` (see ``KDShape/current``).
    func writeCurrent(_ logprobs: [TokenLogprob], to w: inout JSONWriter) {
        let k = Self.uniformK(logprobs)
        let closing = appendedClosingIds(logprobs)
        w.key("target_token_ids")
        LogprobWriter.writeIdLists(logprobs, k: k, closing: closing, to: &w)
        w.key("logprobs")
        let share = k > 1 ? -log(Double(k)) : 0
        LogprobWriter.writeLogprobLists(logprobs, k: k, closingCount: closing.count, share: share, to: &w)
    }
}
