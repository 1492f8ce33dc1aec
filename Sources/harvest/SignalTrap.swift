import Dispatch
import Foundation
import HarvestKit

/// Turns SIGINT/SIGTERM into stop requests: the first drains (in-flight answers are stored), the second aborts.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    init(stop: StopSignal) {
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
                    printStatus("\nharvest: finishing in-flight requests and storing their answers (interrupt again to stop now)")
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
