import Foundation
import HarvestCore
import HarvestKit
import PostgresStore
import SQLiteStore
import Synchronization
import Testing

/// Many daemons on one database: LISTEN/NOTIFY wake-ups and heartbeat shares of a teacher's limits.
@Suite struct PostgresFleetTests {
    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func aNotificationReachesAListeningConnectionAndATimeoutReturnsNothing() throws {
        let db = try PostgresTestDatabase()
        defer { db.drop() }
        let listener = try PostgresConnection(url: PostgresURL(db.url))
        let sender = try PostgresConnection(url: PostgresURL(db.url))
        try listener.execute("LISTEN harvest_test")
        let started = Date()
        #expect(try listener.waitForNotifications(timeout: 0.3).isEmpty)
        #expect(Date().timeIntervalSince(started) >= 0.29, "it waited for the timeout instead of returning at once")
        try sender.execute("SELECT pg_notify('harvest_test', 'run 7')")
        let got = try listener.waitForNotifications(timeout: 30)
        #expect(got.map(\.channel) == ["harvest_test"])
        #expect(got.first?.payload == "run 7")
        // Sent inside a transaction: delivered at commit, not before.
        try sender.execute("BEGIN")
        try sender.execute("NOTIFY harvest_test, 'later'")
        #expect(try listener.waitForNotifications(timeout: 0.3).isEmpty)
        try sender.execute("COMMIT")
        #expect(try listener.waitForNotifications(timeout: 30).map(\.payload) == ["later"])
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func queuingARunWakesTheListenerThroughTheTrigger() async throws {
        let fixture = try PostgresFixture()
        defer { fixture.cleanup() }
        let sweep = try await fixture.sweep(prompts: 3, samples: 1, baseURL: "http://127.0.0.1:9/v1")
        let store = try PostgresStore(url: fixture.database.url, connections: 1)
        defer { store.close() }
        let events = Mutex<[PostgresListener.Event]>([])
        let listener = try store.listenForRuns { e in events.withLock { $0.append(e) } }
        defer { listener.close() }
        let c = try PostgresConnection(url: PostgresURL(fixture.database.url))
        let run = try c.execute("INSERT INTO sweep_runs(sweep_id, state, created_at) VALUES($1, 'active', 0) RETURNING id", [.int(sweep)]).int64(0, 0)
        try await waitFor("the run's notification") { events.withLock { $0 }.contains { if case .notification(let n) = $0 { n.payload == "\(run)" } else { false } } }
        // A run finishing does not notify; one made active again does.
        try c.execute("UPDATE sweep_runs SET state = 'done' WHERE id = $1", [.int(run)])
        try c.execute("UPDATE sweep_runs SET state = 'active' WHERE id = $1", [.int(run)])
        try await waitFor("the re-activation's notification") {
            events.withLock { $0 }.filter { if case .notification = $0 { true } else { false } }.count == 2
        }
        try await store.notifyRunQueued(runId: 42)
        try await waitFor("an explicit notification") {
            events.withLock { $0 }.contains { if case .notification(let n) = $0 { n.payload == "42" } else { false } }
        }
        listener.close()
        try await waitFor("the listener's thread to end") { listener.isFinished }
    }

    @Test(.enabled(if: PostgresTestDatabase.available, PostgresTestDatabase.skipNote))
    func heartbeatsDivideATeachersLimitsAmongLiveDaemons() async throws {
        let db = try PostgresTestDatabase()
        defer { db.drop() }
        let a = try PostgresStore(url: db.url, connections: 1)
        let b = try PostgresStore(url: db.url, connections: 1)
        defer { a.close(); b.close() }
        #expect(try await a.heartbeat(owner: "daemon-a", teachers: ["gpt"], ttlSeconds: 3600) == ["gpt": .alone])
        #expect(try await b.heartbeat(owner: "daemon-b", teachers: ["gpt", "mini"], ttlSeconds: 3600)
                == ["gpt": FleetShare(rank: 1, members: 2), "mini": .alone])
        let shareA = try #require(try await a.heartbeat(owner: "daemon-a", teachers: ["gpt"], ttlSeconds: 3600)["gpt"])
        let shareB = FleetShare(rank: 1, members: 2)
        #expect(shareA == FleetShare(rank: 0, members: 2))
        let limits = TeacherLimits(maxInFlight: 33, requestsPerMinute: 600, tokensPerMinute: 90_000)
        let (pa, pb) = (limits.part(for: shareA), limits.part(for: shareB))
        #expect(pa.maxInFlight + pb.maxInFlight == 33)
        #expect(pa.requestsPerMinute == 300 && pb.requestsPerMinute == 300)
        #expect(pa.tokensPerMinute == 45_000)
        // A daemon whose heartbeat is older than the TTL (an hour here, so a starved test run cannot expire a live row)
        // no longer counts; one that leaves is gone at once.
        let c = try PostgresConnection(url: PostgresURL(db.url))
        try c.execute("UPDATE fleet_members SET heartbeat_at = heartbeat_at - 7200 WHERE owner = 'daemon-b' AND teacher = 'gpt'")
        #expect(try await a.heartbeat(owner: "daemon-a", teachers: ["gpt"], ttlSeconds: 3600)["gpt"] == .alone)
        #expect(try await b.heartbeat(owner: "daemon-b", teachers: ["gpt"], ttlSeconds: 3600)["gpt"] == FleetShare(rank: 1, members: 2))
        try await b.leaveFleet(owner: "daemon-b")
        #expect(try await a.heartbeat(owner: "daemon-a", teachers: ["gpt"], ttlSeconds: 3600)["gpt"] == .alone)
        #expect(try c.execute("SELECT count(*) FROM fleet_members WHERE owner = 'daemon-b'").int(0, 0) == 0)
    }

    @Test func sharesAddUpToTheLimit() {
        for limit in [1, 2, 7, 10, 33, 64] {
            for members in 1...5 {
                let parts = (0..<members).map { FleetShare(rank: $0, members: members).part(of: limit) }
                if limit >= members {
                    #expect(parts.reduce(0, +) == limit, "limit \(limit) over \(members) daemons: \(parts)")
                } else {
                    #expect(parts.allSatisfy { $0 >= FleetShare.minimum })
                }
                #expect(parts.max()! - parts.min()! <= 1)
            }
        }
        #expect(TeacherLimits(maxInFlight: 8).part(for: .alone) == TeacherLimits(maxInFlight: 8))
    }

    @Test func backoffDoublesUpToItsCapAndStartsOverAfterASuccess() {
        var b = PostgresBackoff(initial: 0.1, cap: 0.5)
        #expect(b.wait(now: 100) == 0)
        b.failed(now: 100)
        #expect(abs(b.wait(now: 100) - 0.1) < 1e-9)
        b.failed(now: 100)
        b.failed(now: 100)
        #expect(abs(b.wait(now: 100) - 0.4) < 1e-9)
        b.failed(now: 100)
        b.failed(now: 100)
        #expect(abs(b.wait(now: 100) - 0.5) < 1e-9, "capped")
        b.succeeded()
        #expect(b.wait(now: 100) == 0)
        b.failed(now: 100)
        #expect(abs(b.wait(now: 100) - 0.1) < 1e-9)
    }
}

/// Waits (up to `seconds`, default 120 s) for `condition`, checking every 50 ms; fails the test naming `what` when it never holds.
func waitFor(_ what: String, seconds: Double = 120, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}
