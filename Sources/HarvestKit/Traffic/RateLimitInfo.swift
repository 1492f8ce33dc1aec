import HarvestCore

/// What a teacher said about its rate limits in one response: OpenAI-style `x-ratelimit-*` headers and
/// `Retry-After`. Durations are seconds from the moment the response was received.
public struct RateLimitInfo: Sendable, Equatable {
    /// `x-ratelimit-limit-requests`.
    public var limitRequests: Int?
    /// `x-ratelimit-limit-tokens`.
    public var limitTokens: Int?
    /// `x-ratelimit-remaining-requests`.
    public var remainingRequests: Int?
    /// `x-ratelimit-remaining-tokens`.
    public var remainingTokens: Int?
    /// `x-ratelimit-reset-requests`, in seconds.
    public var resetRequests: Double?
    /// `x-ratelimit-reset-tokens`, in seconds.
    public var resetTokens: Double?
    /// `Retry-After`, in seconds.
    public var retryAfter: Double?

    /// Creates a value; every field defaults to "not sent".
    public init(limitRequests: Int? = nil, limitTokens: Int? = nil, remainingRequests: Int? = nil, remainingTokens: Int? = nil,
                resetRequests: Double? = nil, resetTokens: Double? = nil, retryAfter: Double? = nil) {
        self.limitRequests = limitRequests
        self.limitTokens = limitTokens
        self.remainingRequests = remainingRequests
        self.remainingTokens = remainingTokens
        self.resetRequests = resetRequests
        self.resetTokens = resetTokens
        self.retryAfter = retryAfter
    }

    /// True when nothing was sent.
    public var isEmpty: Bool { self == RateLimitInfo() }

    /// How long admissions must pause, if the teacher said a budget is used up: the reset of every exhausted
    /// budget (remaining 0), the longest one. Nil when no budget is exhausted or no reset was given.
    public var exhaustedFor: Double? {
        var pause: Double?
        if let r = remainingRequests, r <= 0, let reset = resetRequests { pause = max(pause ?? 0, reset) }
        if let r = remainingTokens, r <= 0, let reset = resetTokens { pause = max(pause ?? 0, reset) }
        return pause
    }

    /// Reads the headers of a response received at `now` (Unix seconds, for HTTP-dates in `Retry-After`).
    /// Returns nil when none of them is present. Unparseable values are ignored.
    public static func parse(_ headers: [HTTPHeader], now: Double) -> RateLimitInfo? {
        var info = RateLimitInfo()
        for header in headers {
            let name = header.name.lowercased()
            if name == "retry-after" {
                info.retryAfter = RetryPolicy.parseRetryAfter(header.value, now: now)
                continue
            }
            guard name.hasPrefix("x-ratelimit-") else { continue }
            switch name.dropFirst("x-ratelimit-".count) {
            case "limit-requests": info.limitRequests = count(header.value)
            case "limit-tokens": info.limitTokens = count(header.value)
            case "remaining-requests": info.remainingRequests = count(header.value)
            case "remaining-tokens": info.remainingTokens = count(header.value)
            case "reset-requests": info.resetRequests = duration(header.value)
            case "reset-tokens": info.resetTokens = duration(header.value)
            default: break
            }
        }
        return info.isEmpty ? nil : info
    }

    /// A whole number, also when written with a fraction (`"59.0"`); nil otherwise.
    static func count(_ text: String) -> Int? {
        let t = text.trimmedBlanks
        if let i = Int(t) { return i }
        if let d = Double(t), d.isFinite { return Int(d.rounded(.down)) }
        return nil
    }

    /// An OpenAI-style duration in seconds: `"6m0s"`, `"1s"`, `"20ms"`, `"1h2m3.5s"`, `"500us"`, `"0.5s"`, or a
    /// bare number of seconds (`"12"`, `"0.25"`). Nil for anything else or a negative value.
    public static func duration(_ text: String) -> Double? {
        let t = text.trimmedBlanks
        if t.isEmpty { return nil }
        if let seconds = Double(t) { return seconds.isFinite && seconds >= 0 ? seconds : nil }
        var total = 0.0
        var rest = Substring(t)
        while !rest.isEmpty {
            let numberEnd = rest.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? rest.endIndex
            guard numberEnd > rest.startIndex, let value = Double(rest[..<numberEnd]) else { return nil }
            rest = rest[numberEnd...]
            let unitEnd = rest.firstIndex { $0.isASCII && ($0.isNumber || $0 == ".") } ?? rest.endIndex
            let scale: Double
            switch rest[..<unitEnd] {
            case "h": scale = 3600
            case "m": scale = 60
            case "s": scale = 1
            case "ms": scale = 1e-3
            case "us", "µs": scale = 1e-6
            case "ns": scale = 1e-9
            default: return nil
            }
            total += value * scale
            rest = rest[unitEnd...]
        }
        return total
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    fileprivate var trimmedBlanks: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
