import Dispatch
import Foundation
import HarvestKit

/// Turns SIGINT/SIGTERM into stop requests: the first drains (in-flight answers are stored), the second aborts.
/// A drain has a deadline: after `drainSeconds` the requests still in flight are abandoned (their jobs go back to
/// pending), so a slow teacher never holds a stop for the whole request timeout.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    init(stop: StopSignal, drainSeconds: Double = 30) {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if stop.isStopping {
                    stop.request(.abort, reason: "interrupted twice")
                    printStatus("\nharvest: stopping now; unanswered jobs go back to pending")
                } else {
                    stop.request(.drain, reason: "interrupted")
                    printStatus("\nharvest: finishing in-flight requests and storing their answers for up to \(Int(drainSeconds)) s (interrupt again to stop now)")
                    DispatchQueue.global().asyncAfter(deadline: .now() + max(0, drainSeconds)) {
                        guard stop.level < .abort else { return }
                        stop.request(.abort, reason: "drain deadline passed")
                        printStatus("harvest: drain deadline (\(Int(drainSeconds)) s) passed; abandoning in-flight requests, their jobs go back to pending")
                    }
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for s in sources { s.cancel() }
    }
}
