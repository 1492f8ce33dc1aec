import HarvestCore
import HarvestJSON
@testable import OpenAIWire

/// The value decoder kept as a test oracle (issue #9.5: production has one logprob decode path, the transcoder
/// into `HLP1`). It reads the chat `logprobs.content` entries into ``TokenLogprob`` values directly from the JSON;
/// the transcoder's blob must equal `LogprobCodec.encode` of what it reads, and fail where it fails.
enum ValueDecoderOracle {
    /// Decodes `body` with logprobs read as values by the oracle.
    static func decode(_ body: [UInt8], kind: EndpointKind) throws(WireError) -> TeacherResponse {
        try ResponseDecoder.decode(body, kind: kind, valueDecoder: { (r: inout PullReader) throws(JSONError) -> [TokenLogprob]? in
            try r.logprobs()
        })
    }
}

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

}
