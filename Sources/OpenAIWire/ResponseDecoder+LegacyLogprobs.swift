import HarvestCore
import HarvestJSON

/// The legacy completions `logprobs` columns (`tokens`, `token_logprobs`, `top_logprobs` maps), read into values and
/// zipped; the transcoder encodes them (they are rare and small).
extension PullReader {
    mutating func tokenColumn() throws(JSONError) -> [(String, Int?)]? {
        guard try openArray("logprobs.tokens") else { return nil }
        var out = [(String, Int?)]()
        out.reserveCapacity(256)
        var first = true
        while try nextElement(&first) {
            if consumeNull() {
                out.append(("", nil))
                continue
            }
            let token = try string("token")
            out.append((token, tokenIdOfLastString(token)))
        }
        return out
    }

    mutating func doubleColumn() throws(JSONError) -> [Double]? {
        guard try openArray("logprobs.token_logprobs") else { return nil }
        var out = [Double]()
        out.reserveCapacity(256)
        var first = true
        while try nextElement(&first) { out.append(try double()) }
        return out
    }

    mutating func topColumn() throws(JSONError) -> [[TopLogprob]]? {
        guard try openArray("logprobs.top_logprobs") else { return nil }
        var out = [[TopLogprob]]()
        out.reserveCapacity(256)
        var hint = 0
        var first = true
        while try nextElement(&first) {
            var alternatives = [TopLogprob]()
            if try openObject("top_logprobs entry") {
                alternatives.reserveCapacity(hint)
                var firstMember = true
                while try nextMember(&firstMember) {
                    let token = key
                    let tokenId = keyTokenId
                    alternatives.append(TopLogprob(token: token, logprob: try double(), tokenId: tokenId))
                }
                hint = alternatives.count
            }
            out.append(alternatives)
        }
        return out
    }

    /// Zips the legacy columns. `token_logprobs` and a non-empty `top_logprobs` must have one
    /// entry per token; a missing `token_logprobs` column gives NaN logprobs.
    static func columns(tokens: [(String, Int?)], logprobs: [Double]?, tops: [[TopLogprob]]?,
                                offset: Int) throws(JSONError) -> [TokenLogprob] {
        if let logprobs, logprobs.count != tokens.count {
            throw JSONError("logprobs.token_logprobs has \(logprobs.count) entries for \(tokens.count) tokens", offset: offset)
        }
        if let tops, !tops.isEmpty, tops.count != tokens.count {
            throw JSONError("logprobs.top_logprobs has \(tops.count) entries for \(tokens.count) tokens", offset: offset)
        }
        var out = [TokenLogprob]()
        out.reserveCapacity(tokens.count)
        for i in tokens.indices {
            let top = tops.flatMap { $0.isEmpty ? nil : $0[i] } ?? []
            out.append(TokenLogprob(token: tokens[i].0, logprob: logprobs?[i] ?? .nan, tokenId: tokens[i].1, top: top))
        }
        return out
    }
}
