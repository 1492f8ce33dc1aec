import HarvestCore
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 8)

    @Test func retriesTransientAndFailsPermanent() {
        for status in [408, 409, 429, 500, 502, 503, 504] {
            #expect(RetryPolicy.isRetryable(.http(status: status)), "\(status)")
        }
        for status in [400, 401, 403, 404, 422] {
            #expect(!RetryPolicy.isRetryable(.http(status: status)), "\(status)")
        }
        #expect(RetryPolicy.isRetryable(.transport(.timeout)))
        #expect(RetryPolicy.isRetryable(.transport(.connectionLost)))
        #expect(!RetryPolicy.isRetryable(.transport(.tls)))
        #expect(!RetryPolicy.isRetryable(.transport(.responseTooLarge)))
        #expect(RetryPolicy.isRetryable(.malformedBody))
        #expect(!RetryPolicy.isRetryable(.invalidRequest))
    }

    @Test func backoffGrowsWithJitterAndCap() {
        #expect(policy.decide(.http(status: 500), attempt: 1, random: 0) == .retry(after: 0.5))
        #expect(policy.decide(.http(status: 500), attempt: 1, random: 0.999) == .retry(after: 0.5 + 0.5 * 0.999))
        #expect(policy.decide(.http(status: 500), attempt: 3, random: 0) == .retry(after: 2))
        #expect(policy.decide(.http(status: 500), attempt: 4, random: 1) == .retry(after: 8))
        #expect(policy.decide(.http(status: 500), attempt: 5, random: 0) == .fail)
        #expect(policy.decide(.http(status: 400), attempt: 1, random: 0) == .fail)
    }

    @Test func honoursRetryAfter() {
        #expect(policy.decide(.http(status: 429), attempt: 1, retryAfter: 7, random: 0.5) == .retry(after: 7))
        let capped = RetryPolicy(maxRetryAfter: 10).decide(.http(status: 429), attempt: 1, retryAfter: 3600, random: 0)
        #expect(capped == .retry(after: 10))
    }

    @Test func parsesRetryAfterSecondsAndHTTPDate() {
        #expect(RetryPolicy.parseRetryAfter("120", now: 0) == 120)
        #expect(RetryPolicy.parseRetryAfter(" 1.5 ", now: 0) == 1.5)
        // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
        #expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_770) == 7)
        #expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_800) == 0)
        #expect(RetryPolicy.parseRetryAfter("soon", now: 0) == nil)
    }
}
