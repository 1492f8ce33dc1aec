import HarvestKit
import Testing

@Suite struct AdaptiveWindowTests {
    @Test func pinnedWindowNeverMoves() {
        var w = AdaptiveWindow(ceiling: 32, adaptive: false)
        let moved = w.recordCongestion(sequence: 10, latestSequence: 10)
        #expect(!moved)
        w.recordSuccess(latency: 0.1)
        #expect(w.size == 32)
    }

    @Test func congestionHalvesOncePerRoundTrip() {
        var w = AdaptiveWindow(ceiling: 64, adaptive: true)
        let first = w.recordCongestion(sequence: 5, latestSequence: 64)
        #expect(first && w.size == 32)
        // Requests admitted before the decrease (sequence ≤ 64) do not halve it again.
        let stale = w.recordCongestion(sequence: 60, latestSequence: 70)
        #expect(!stale && w.size == 32)
        // One admitted after it does.
        let fresh = w.recordCongestion(sequence: 65, latestSequence: 80)
        #expect(fresh)
        #expect(w.size == 16)
        for s in UInt64(81)...90 { w.recordCongestion(sequence: s, latestSequence: s) }
        #expect(w.size == 1, "never below one")
    }

    @Test func growsByOnePerWindowOfSuccessesWhileLatencyIsFlat() {
        var w = AdaptiveWindow(ceiling: 10, adaptive: true)
        w.recordCongestion(sequence: 1, latestSequence: 1)
        #expect(w.size == 5)
        for _ in 0..<4 { w.recordSuccess(latency: 0.2) }
        #expect(w.size == 5)
        w.recordSuccess(latency: 0.2)
        #expect(w.size == 6)
        for _ in 0..<200 { w.recordSuccess(latency: 0.2) }
        #expect(w.size == 10, "up to the ceiling, not beyond")
    }

    @Test func risingLatencyStopsGrowth() {
        var w = AdaptiveWindow(ceiling: 100, adaptive: true)
        w.recordCongestion(sequence: 1, latestSequence: 1)
        for _ in 0..<100 { w.recordSuccess(latency: 0.1) }
        let before = w.size
        // The teacher starts queueing: latency triples.
        for _ in 0..<60 { w.recordSuccess(latency: 0.3) }
        #expect(!w.latencyIsFlat)
        let mid = w.size
        for _ in 0..<250 { w.recordSuccess(latency: 0.3) }
        #expect(w.size <= mid + 1, "no growth while latency is high (\(before) → \(mid) → \(w.size))")
        // A lasting new latency becomes the new normal after about ten windows, and growth resumes.
        let stalled = w.size
        for _ in 0..<2000 { w.recordSuccess(latency: 0.3) }
        #expect(w.latencyIsFlat && w.size > stalled + 5)
    }
}
