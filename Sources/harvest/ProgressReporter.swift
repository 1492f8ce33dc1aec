import Foundation
import HarvestKit

/// Prints sweep progress on stderr: a redrawn bar on a terminal, a line every 5 s otherwise.
final class ProgressReporter: @unchecked Sendable {
    private let line: ProgressLine
    private let runner: SweepRunner
    private let tty = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private var task: Task<Void, Never>?

    init(line: ProgressLine, runner: SweepRunner) {
        self.line = line
        self.runner = runner
    }

    func start() {
        let interval: Duration = tty ? .milliseconds(250) : .seconds(5)
        task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                draw(runner.snapshot(), final: false)
            }
        }
    }

    func finish(_ outcome: SweepOutcome) {
        task?.cancel()
        draw(outcome.counters, final: true)
    }

    private func draw(_ counters: SweepCounters, final: Bool) {
        let text = line.render(counters, elapsed: Date().timeIntervalSince(started), bar: tty)
        if tty {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text + (final ? "\n" : "")).utf8))
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
