#if canImport(Glibc)
import Glibc
#endif
import HarvestCore
import Testing
@testable import SQLiteStore

/// A child process started with posix_spawn, reaped only when the test says so (so it can be seen as a zombie).
final class ChildProcess {
    let pid: pid_t
    private var reaped = false

    init(_ path: String, _ args: [String]) throws {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, path, nil, nil, argv, environ)
        guard rc == 0 else { throw StoreError.invalidInput("cannot start \(path): errno \(rc)") }
        self.pid = pid
    }

    /// Kills (SIGKILL) and waits until the process shows as a zombie; does not reap it.
    func killLeavingZombie() async {
        kill(pid, SIGKILL)
        for _ in 0..<500 where ProcessView.startTicks(of: pid) != nil { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// Kills the process if needed and reaps it.
    func reap() {
        guard !reaped else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        reaped = true
    }

    deinit { reap() }
}

@Suite struct LeaseTakeoverTests {
    /// An owner value for process `pid` of this host (the start time as /proc shows it now).
    static func owner(pid: pid_t, nonce: String = "t") throws -> LeaseOwner {
        var owner = LeaseOwner.current
        owner.pid = pid
        owner.startTicks = try #require(ProcessView.startTicks(of: pid))
        owner.nonce = nonce
        return owner
    }

    @Test func ownerTextRoundTripsAndLegacyValuesAreNotParsed() throws {
        let me = LeaseOwner.current
        #expect(me.pid == getpid())
        #expect(me.startTicks > 0 && me.boot.count == 8 && me.pidNamespace > 0 && !me.host.isEmpty)
        #expect(LeaseOwner(parsing: me.description) == me)
        #expect(LeaseOwner.thisProcess().nonce != LeaseOwner.thisProcess().nonce || LeaseOwner.thisProcess().nonce != me.nonce)
        for legacy in ["host:1234", "host:1234:9f3a", "a", "", "h:x:1:b:2:n", "h:1:2:b:n:z:extra"] {
            #expect(LeaseOwner(parsing: legacy) == nil, "\(legacy)")
        }
    }

    @Test func livenessFollowsTheRealProcess() async throws {
        #expect(LeaseOwner.current.liveness == .alive)
        #expect(LeaseOwner.current.isAlive == true)
        let child = try ChildProcess("/bin/sleep", ["3600"])
        let owner = try Self.owner(pid: child.pid)
        #expect(owner.liveness == .alive)
        // The same pid with another start time is another process (the pid was reused).
        var reused = owner
        reused.startTicks += 1
        #expect(reused.liveness == .dead)
        // Killed but not yet reaped (a zombie) counts as gone; so does a reaped pid.
        await child.killLeavingZombie()
        #expect(owner.liveness == .dead)
        child.reap()
        #expect(owner.liveness == .dead)
        #expect(owner.isAlive == false)
    }

    @Test func otherHostsNamespacesAndBootsAreJudgedByWhatCanBeKnown() throws {
        var elsewhere = LeaseOwner.current
        elsewhere.host = "another-host"
        #expect(elsewhere.liveness == .unknown)
        #expect(elsewhere.isAlive == nil)
        var container = LeaseOwner.current
        container.pidNamespace += 1
        #expect(container.liveness == .unknown)
        // This host under an earlier boot: the machine rebooted, so the owner is gone whatever runs under its pid now.
        var beforeReboot = LeaseOwner.current
        beforeReboot.boot = beforeReboot.boot == "00000000" ? "11111111" : "00000000"
        #expect(beforeReboot.liveness == .dead)
        var noIdentity = LeaseOwner.current
        noIdentity.startTicks = 0
        #expect(noIdentity.liveness == .unknown)
    }

    @Test func claimTakesOverADeadOwnersLeasesAtOnceAndKeepsALiveOwners() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 8)
        let liveChild = try ChildProcess("/bin/sleep", ["3600"])
        let deadChild = try ChildProcess("/bin/sleep", ["3600"])
        let live = try Self.owner(pid: liveChild.pid).description
        let dead = try Self.owner(pid: deadChild.pid).description
        // The live owner's leases have already expired (a late renewal); the dead owner's last ten minutes.
        let liveJobs = try await store.claimJobs(sweepId: sweepId, owner: live, limit: 2, leaseSeconds: -1)
        let deadJobs = try await store.claimJobs(sweepId: sweepId, owner: dead, limit: 3, leaseSeconds: 600)
        #expect(liveJobs.count == 2 && deadJobs.count == 3)
        #expect(try store.leaseHoldings(sweepId: sweepId).map(\.jobs).sorted() == [2, 3])
        // While both run, a third claimer gets neither's jobs, expired or not.
        let before = try await store.claimJobs(sweepId: sweepId, owner: "c", limit: 10, leaseSeconds: 60)
        #expect(Set(before.map(\.id)).isDisjoint(with: (liveJobs + deadJobs).map(\.id)))
        #expect(before.count == 3)
        deadChild.reap()
        let after = try await store.claimJobs(sweepId: sweepId, owner: "c", limit: 10, leaseSeconds: 60)
        #expect(Set(after.map(\.id)) == Set(deadJobs.map(\.id)))
        for job in liveJobs { #expect(try store.jobInfo(id: job.id)?.leaseOwner == live) }
        // Once the live owner is gone too, its jobs come back without waiting for anything.
        liveChild.reap()
        let taken = try await store.takeOverDeadLeases()
        #expect(taken.map(\.owner) == [live] && taken.map(\.jobs) == [2])
        for job in liveJobs { #expect(try store.jobInfo(id: job.id)?.state == .pending) }
        #expect(try await store.takeOverDeadLeases().isEmpty)
    }

    @Test func anotherHostsLeasesAreTakenOnlyAfterTheyExpire() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 4)
        var other = LeaseOwner.current
        other.host = "another-host"
        other.pid = 1
        let valid = try await store.claimJobs(sweepId: sweepId, owner: other.description, limit: 1, leaseSeconds: 600)
        let expired = try await store.claimJobs(sweepId: sweepId, owner: other.description, limit: 1, leaseSeconds: -1)
        #expect(try await store.takeOverDeadLeases().isEmpty)
        let claimed = try await store.claimJobs(sweepId: sweepId, owner: "c", limit: 10, leaseSeconds: 60)
        #expect(claimed.map(\.id).contains(expired[0].id))
        #expect(!claimed.map(\.id).contains(valid[0].id))
        #expect(try store.jobInfo(id: valid[0].id)?.leaseOwner == other.description)
        #expect(try store.leaseHoldings(sweepId: sweepId).first { $0.owner == other.description }?.liveness == .unknown)
    }

    @Test func aClaimerTakesBackItsOwnExpiredLeases() async throws {
        let dir = TempDir()
        let (store, sweepId) = try Fixtures.storeWithSweep(dir, prompts: 2)
        let me = LeaseOwner.current.description
        let first = try await store.claimJobs(sweepId: sweepId, owner: me, limit: 1, leaseSeconds: -1)
        // Another live owner of this process does not get it (it is alive), the same owner does (a runner ended
        // without releasing it).
        let sibling = try await store.claimJobs(sweepId: sweepId, owner: LeaseOwner.thisProcess().description, limit: 5, leaseSeconds: 60)
        #expect(!sibling.map(\.id).contains(first[0].id))
        let again = try await store.claimJobs(sweepId: sweepId, owner: me, limit: 5, leaseSeconds: 60)
        #expect(again.map(\.id) == first.map(\.id))
    }

    @Test func queueClaimsTakeOverDeadDaemonsToo() async throws {
        let dir = TempDir()
        let store = try QueueTests.store(dir, prompts: 4)
        _ = try store.enqueueRun(QueueTests.request())
        let child = try ChildProcess("/bin/sleep", ["3600"])
        let daemon = try Self.owner(pid: child.pid).description
        let held = try await store.claimQueued(teacher: Fixtures.teacher, owner: daemon, limit: 4, leaseSeconds: 600)
        #expect(held.jobs.count == 4)
        #expect(try await store.claimQueued(teacher: Fixtures.teacher, owner: "new", limit: 4, leaseSeconds: 60).jobs.isEmpty)
        await child.killLeavingZombie()
        let resumed = try await store.claimQueued(teacher: Fixtures.teacher, owner: "new", limit: 4, leaseSeconds: 60)
        #expect(Set(resumed.jobs.map(\.id)) == Set(held.jobs.map(\.id)))
    }
}
