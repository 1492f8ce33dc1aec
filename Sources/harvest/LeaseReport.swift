import Foundation
import SQLiteStore

/// What a foreground sweep says about job leases: the jobs it takes over from a harvest process that is gone
/// (a `kill -9`, a crash, a full disk), and who holds the jobs still open when it ends.
enum LeaseReport {
    /// Before the run: returns the jobs of lease owners known to be gone to pending (claims would take them
    /// anyway) and says so, so a re-run after a crash shows why it can go on at once.
    static func takeOver(_ store: any RecoveryStore) async {
        do {
            for holding in try await store.takeOverDeadLeases() {
                printStatus("resuming \(holding.jobs) jobs left leased by \(describe(holding.owner)), which is no longer running")
            }
        } catch {
            printStatus("warning: could not check for jobs left by ended harvest processes: \(error)")
        }
    }

    /// After a run that left jobs open: one line per other holder of this sweep's jobs, saying what to do.
    static func explainOpen(_ store: any RecoveryStore, sweepId: Int64) async {
        guard let holdings = try? await store.leaseHoldings(sweepId: sweepId) else { return }
        let now = Date().timeIntervalSince1970
        for holding in holdings {
            let who = describe(holding.owner)
            switch holding.liveness {
            case .alive:
                printStatus("  \(holding.jobs) of them are being answered by \(who), which is still running; they are done there (run the same command again after it ends to check)")
            case .dead:
                printStatus("  \(holding.jobs) of them were left by \(who), which is no longer running; the next run takes them over at once")
            case .unknown:
                let wait = max(0, Int((holding.expires - now).rounded(.up)))
                printStatus("  \(holding.jobs) of them are leased to \(who); if it is no longer running, its leases run out in \(wait) s and a run after that takes them over")
            }
        }
    }

    /// `harvest process 1234 on host` for owners in the ``LeaseOwner`` format, else the stored owner text.
    static func describe(_ owner: String) -> String {
        guard let parsed = LeaseOwner(parsing: owner) else { return "lease owner \"\(owner)\"" }
        return "harvest process \(parsed.pid) on \(parsed.host)"
    }
}
