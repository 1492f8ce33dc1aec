import Foundation

/// A fresh temporary directory, removed by `cleanup()`.
struct TempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("harvest-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

import HarvestKit
import Synchronization

/// A clock tests move by hand.
final class ManualClock: TrafficClock {
    private let time: Mutex<Double>
    init(_ start: Double = 1000) { time = Mutex(start) }
    func now() -> Double { time.withLock { $0 } }
    func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass; checks once more at the end.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

import HarvestCore

/// Builds a runner the way every entry point does (``TeacherSpec`` → ``TeacherPipeline``: libcurl, the traffic
/// controller, the spec's attempts and fail-fast rules) for the teacher at `url`. `transport` replaces libcurl only
/// where a test must fault the HTTP seam. Shut the pipeline down when done.
func pipelineRunner(store: any JobStore, url: String, model: String = "mock-teacher", maxInFlight: Int,
                    retry: RetryPolicy = RetryPolicy(), failFast: FailFastPolicy = FailFastPolicy(), keepRaw: Bool = false,
                    rescuePath: String, stop: StopSignal = StopSignal(), transport: (any HTTPTransport)? = nil) throws -> (pipeline: TeacherPipeline, runner: SweepRunner) {
    var spec = TeacherSpec(name: "test", baseURLs: [url], model: model, limits: TeacherLimits(maxInFlight: maxInFlight),
                           maxAttempts: retry.maxAttempts, keepRaw: keepRaw)
    spec.failFast = failFast
    let pipeline = try TeacherPipeline(spec: spec, transport: transport)
    return (pipeline, pipeline.runner(store: store, session: SweepOptions(retry: retry, rescuePath: rescuePath), stop: stop))
}
