import HarvestCore
import HarvestKit
import Testing

@Suite struct RateLimitInfoTests {
    @Test func parsesOpenAIDurations() {
        #expect(RateLimitInfo.duration("6m0s") == 360)
        #expect(RateLimitInfo.duration("1s") == 1)
        #expect(RateLimitInfo.duration("20ms") == 0.02)
        #expect(RateLimitInfo.duration("1h2m3.5s") == 3723.5)
        #expect(RateLimitInfo.duration("0.5s") == 0.5)
        #expect(RateLimitInfo.duration("12") == 12)
        #expect(RateLimitInfo.duration(" 250us ") == 0.00025)
        #expect(RateLimitInfo.duration("") == nil)
        #expect(RateLimitInfo.duration("soon") == nil)
        #expect(RateLimitInfo.duration("5x") == nil)
        #expect(RateLimitInfo.duration("-1") == nil)
    }

    @Test func readsHeadersCaseInsensitively() throws {
        let headers = [
            HTTPHeader("X-RateLimit-Limit-Requests", "500"), HTTPHeader("x-ratelimit-remaining-requests", "0"),
            HTTPHeader("x-ratelimit-reset-requests", "1m30s"), HTTPHeader("x-ratelimit-limit-tokens", "90000"),
            HTTPHeader("x-ratelimit-remaining-tokens", "1200.0"), HTTPHeader("x-ratelimit-reset-tokens", "20ms"),
            HTTPHeader("Content-Type", "application/json"),
        ]
        let info = try #require(RateLimitInfo.parse(headers, now: 0))
        #expect(info.limitRequests == 500 && info.remainingRequests == 0 && info.resetRequests == 90)
        #expect(info.limitTokens == 90000 && info.remainingTokens == 1200 && info.resetTokens == 0.02)
        #expect(info.exhaustedFor == 90)
        #expect(RateLimitInfo.parse([HTTPHeader("Content-Type", "application/json")], now: 0) == nil)
    }

    @Test func retryAfterSecondsAndHTTPDate() throws {
        let now = HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT")!
        #expect(RateLimitInfo.parse([HTTPHeader("Retry-After", "7")], now: now)?.retryAfter == 7)
        #expect(RateLimitInfo.parse([HTTPHeader("retry-after", "Sun, 06 Nov 1994 08:50:07 GMT")], now: now)?.retryAfter == 30)
    }

    @Test func exhaustedOnlyWhenABudgetIsAtZeroWithAReset() {
        #expect(RateLimitInfo(remainingRequests: 3, resetRequests: 5).exhaustedFor == nil)
        #expect(RateLimitInfo(remainingRequests: 0).exhaustedFor == nil)
        #expect(RateLimitInfo(remainingRequests: 0, remainingTokens: 0, resetRequests: 2, resetTokens: 9).exhaustedFor == 9)
        #expect(RateLimitInfo(remainingTokens: 0, resetTokens: 0.5).exhaustedFor == 0.5)
    }
}
