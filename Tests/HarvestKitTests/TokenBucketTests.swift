import HarvestKit
import Testing

@Suite struct TokenBucketTests {
    @Test func startsFullAndRefillsAtItsRate() {
        var b = TokenBucket(ratePerSecond: 10, capacity: 5, now: 0)
        for _ in 0..<5 {
            let d = b.delay(for: 1, now: 0)
            #expect(d == 0)
            b.take(1, now: 0)
        }
        let empty = b.delay(for: 1, now: 0)
        #expect(abs(empty - 0.1) < 1e-9, "empty: one token takes 1/rate")
        let later = b.delay(for: 1, now: 0.1)
        #expect(later == 0)
        // Never above capacity, however long it idles.
        b.refill(now: 1000)
        #expect(b.level == 5)
    }

    @Test func aCostLargerThanTheBucketWaitsForAFullBucketThenGoesIntoDebt() {
        var b = TokenBucket(ratePerSecond: 100, capacity: 100, now: 0)
        b.take(30, now: 0)
        let big = b.delay(for: 500, now: 0)
        #expect(abs(big - 0.3) < 1e-9, "waits until full, not for 500 tokens")
        b.take(500, now: 0.3)
        #expect(abs(b.level - -400) < 1e-9)
        let debt = b.delay(for: 1, now: 0.3)
        #expect(abs(debt - 4.01) < 1e-9, "the debt is paid back at the refill rate")
    }

    @Test func adjustRefundsAndChargesButNeverOverfills() {
        var b = TokenBucket.perMinute(6000, burstSeconds: 1, now: 0)
        #expect(b.capacity == 100 && b.ratePerSecond == 100)
        b.take(80, now: 0)
        b.adjust(by: 50, now: 0)
        #expect(b.level == 70)
        b.adjust(by: 500, now: 0)
        #expect(b.level == 100)
        b.adjust(by: -150, now: 0)
        #expect(b.level == -50)
    }

    @Test func overALongRunAdmissionsMatchTheRate() {
        // Admit greedily on a simulated clock for 60 s at 120 per minute: ≈ 120 + burst.
        var b = TokenBucket.perMinute(120, burstSeconds: 1, minimumBurst: 1, now: 0)
        var now = 0.0
        var admitted = 0
        while now < 60 {
            let d = b.delay(for: 1, now: now)
            if d == 0 {
                b.take(1, now: now)
                admitted += 1
            } else {
                now += d
            }
        }
        #expect((120...123).contains(admitted), "\(admitted)")
    }
}
