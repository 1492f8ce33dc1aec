import HarvestCore
import HarvestJSON

/// Pulling a choice's `logprobs` object: chat entries or the legacy completions columns.
extension PullReader {
    /// Reads `choice.logprobs`: nil for `null` or an object that holds neither shape.
    mutating func logprobs() throws(JSONError) -> [TokenLogprob]? {
        let start = pos
        guard try openObject("logprobs") else { return nil }
        var chat: [TokenLogprob]?
        var tokens: [(String, Int?)]?
        var tokenLogprobs: [Double]?
        var tops: [[TopLogprob]]?
        var first = true
        while try nextMember(&first) {
            if keyIs("content") {
                chat = try chatEntries()
            } else if keyIs("tokens") {
                tokens = try tokenColumn()
            } else if keyIs("token_logprobs") {
                tokenLogprobs = try doubleColumn()
            } else if keyIs("top_logprobs") {
                tops = try topColumn()
            } else {
                try skipValue()
            }
        }
        if let chat { return chat }
        guard let tokens else { return nil }
        return try Self.columns(tokens: tokens, logprobs: tokenLogprobs, tops: tops, offset: start)
    }

    // MARK: Chat

    private mutating func chatEntries() throws(JSONError) -> [TokenLogprob]? {
        guard try openArray("logprobs.content") else { return nil }
        var out = [TokenLogprob]()
        out.reserveCapacity(256)
        var topHint = 0
        var first = true
        while try nextElement(&first) {
            let entry = try chatEntry(topHint: topHint)
            topHint = entry.top.count
            out.append(entry)
        }
        return out
    }

    @inline(__always)
    private mutating func chatEntry(topHint: Int) throws(JSONError) -> TokenLogprob {
        guard try openObject("logprob entry") else { throw error("logprob entry is null") }
        var token = ""
        var logprob = Double.nan
        var bytes: [UInt8]?
        var tokenId: Int?
        var explicitId: Int?
        var top: [TopLogprob] = []
        var first = true
        while try nextMember(&first) {
            if keyIs("token") {
                if consumeNull() { continue }
                token = try string("token")
                tokenId = tokenIdOfLastString(token)
            } else if keyIs("logprob") {
                logprob = try double()
            } else if keyIs("bytes") {
                bytes = try byteArray()
            } else if keyIs("top_logprobs") {
                top = try topEntries(capacity: topHint)
            } else if keyIs("id") {
                explicitId = try lenientInt()
            } else {
                try skipValue()
            }
        }
        return TokenLogprob(token: token, logprob: logprob, bytes: bytes, tokenId: tokenId ?? explicitId, top: top)
    }

    private mutating func topEntries(capacity: Int) throws(JSONError) -> [TopLogprob] {
        guard try openArray("top_logprobs") else { return [] }
        var out = [TopLogprob]()
        out.reserveCapacity(capacity)
        var first = true
        while try nextElement(&first) {
            guard try openObject("top_logprobs entry") else { throw error("top_logprobs entry is null") }
            var token = ""
            var logprob = Double.nan
            var bytes: [UInt8]?
            var tokenId: Int?
            var explicitId: Int?
            var firstMember = true
            while try nextMember(&firstMember) {
                if keyIs("token") {
                    if consumeNull() { continue }
                    token = try string("token")
                    tokenId = tokenIdOfLastString(token)
                } else if keyIs("logprob") {
                    logprob = try double()
                } else if keyIs("bytes") {
                    bytes = try byteArray()
                } else if keyIs("id") {
                    explicitId = try lenientInt()
                } else {
                    try skipValue()
                }
            }
            out.append(TopLogprob(token: token, logprob: logprob, bytes: bytes, tokenId: tokenId ?? explicitId))
        }
        return out
    }

    // MARK: Legacy completions

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
