import Foundation
import HarvestCore
import HarvestJSON
import HarvestKit
import CurlTransport
import MockTeacher
import SQLiteStore

/// The resolved settings of one sweep: config file values overridden by flags.
struct SweepPlanBuilder {
    var teacherURL: String?
    var model: String
    var endpoint: EndpointKind
    var apiKeyEnv: String?
    var params: SamplingParams
    var samples: Int
    var concurrency: Int
    var maxAttempts: Int
    var timeouts: HTTPTimeouts

    init(config: HarvestConfig, options: TeacherOptions, samples: Int?, concurrency: Int?, maxAttempts: Int?) {
        teacherURL = options.teacher ?? config.baseURL
        model = options.model ?? config.model ?? "mock-teacher"
        endpoint = options.endpoint.flatMap(EndpointKind.init(rawValue:)) ?? config.endpoint
        apiKeyEnv = options.apiKeyEnv ?? config.apiKeyEnv
        var p = config.sampling
        if let v = options.maxTokens { p.maxTokens = v }
        if let v = options.temperature { p.temperature = v }
        if let v = options.topP { p.topP = v }
        if let v = options.seed { p.seed = v }
        if !options.stop.isEmpty { p.stop = options.stop }
        if let v = options.logprobs { p.topLogprobs = v }
        if let extra = options.extraBody, case .object(let members)? = try? JSONValue.parse(extra) { p.extraBody = members }
        params = p
        self.samples = samples ?? config.samples
        self.concurrency = concurrency ?? config.concurrency
        self.maxAttempts = maxAttempts ?? config.maxAttempts
        timeouts = HTTPTimeouts(connect: config.connectTimeout, total: options.timeout ?? config.totalTimeout)
    }
}

/// Runs one foreground sweep for the CLI: mock or real teacher, pre-flight, enqueue, run with progress, summary.
struct SweepDriver {
    var databasePath: String
    var setName: String
    var plan: SweepPlanBuilder
    var keepRaw: Bool
    /// Sweep name; nil derives one from the set, model and a short hash of the definition.
    var sweepName: String? = nil

    /// `SET:MODEL:xxxxxx`, stable for the same set, teacher identity, parameters and sample count.
    static func defaultName(set: String, teacher: TeacherEndpoint, params: SamplingParams, samples: Int) -> String {
        let definition = "\(teacher.name)\n\(teacher.kind.rawValue)\n\(params.canonicalJSON)\n\(samples)"
        return "\(set):\(teacher.model):" + PromptHash.hex(SHA256.digest(definition.utf8)).prefix(6)
    }

    /// Returns the process exit code.
    func run() async -> Int32 {
        var mock: MockTeacherServer?
        defer { mock?.stop() }
        do {
            let store = try SQLiteStore(path: databasePath)
            guard try store.setNames().contains(where: { $0.name == setName }) else {
                throw StoreError.unknownSet(setName)
            }
            var baseURL = plan.teacherURL
            if baseURL == nil {
                let server = MockTeacherServer(MockTeacherConfiguration(model: plan.model))
                let port = try server.start()
                mock = server
                baseURL = "http://127.0.0.1:\(port)/v1"
                printStatus("no --teacher given: using the built-in mock teacher at \(baseURL!)")
            }
            // The built-in mock listens on a new port each run; its stable name keeps job keys (and re-runs) stable.
            let teacher = TeacherEndpoint(baseURL: baseURL!, model: plan.model, kind: plan.endpoint, apiKeyEnv: plan.apiKeyEnv,
                                          name: mock == nil ? nil : "builtin-mock")
            let apiKey = plan.apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
            let transport = try CurlTransport(configuration: .init(maxConnections: max(16, plan.concurrency * 2)))
            defer { transport.shutdown() }
            let models = try await TeacherProbe.check(teacher, transport: transport, apiKey: apiKey)
            if !models.isEmpty, !models.contains(teacher.model) {
                printStatus("note: the teacher lists models \(models.prefix(5).joined(separator: ", ")); \"\(teacher.model)\" is not among them")
            }
            let name = sweepName ?? Self.defaultName(set: setName, teacher: teacher, params: plan.params, samples: plan.samples)
            let summary = try store.createSweep(name: name, setName: setName, teacher: teacher, params: plan.params, samples: plan.samples)
            printStatus("sweep \(summary.sweepId) \"\(name)\": \(summary.totalJobs) jobs (\(summary.newJobs) new, \(summary.alreadyDone) already done, \(summary.requeuedFailed) failed jobs retried) → \(teacher.baseURL) model \(teacher.model)")
            let stop = StopSignal()
            let trap = SignalTrap(stop: stop)
            defer { trap.cancel() }
            let client = TeacherClient(transport: transport, apiKey: apiKey, timeouts: plan.timeouts, keepRaw: keepRaw)
            let options = SweepOptions(concurrency: plan.concurrency, retry: RetryPolicy(maxAttempts: plan.maxAttempts))
            let runner = SweepRunner(store: store, client: client, options: options, stop: stop)
            let line = ProgressLine(total: summary.totalJobs, doneBefore: summary.alreadyDone)
            let reporter = ProgressReporter(line: line, runner: runner)
            reporter.start()
            let outcome = try await runner.run(sweepId: summary.sweepId)
            reporter.finish(outcome)
            let states = try store.jobStates(sweepId: summary.sweepId)
            let failed = states[.failed] ?? 0
            let open = (states[.pending] ?? 0) + (states[.leased] ?? 0)
            if let reason = outcome.stopReason { printStatus("stopped: \(reason)") }
            if outcome.counters.missingLogprobs > 0 {
                printStatus("warning: \(outcome.counters.missingLogprobs) answers came without logprobs although they were requested (stored anyway)")
            }
            if open > 0 {
                printStatus("\(open) jobs not done yet; run the same command again to continue")
                return HarvestExit.interrupted
            }
            if failed > 0 {
                printStatus("\(failed) jobs failed (last error: \(outcome.counters.lastError ?? "see attempts")); run again to retry them")
                return HarvestExit.jobsFailed
            }
            return 0
        } catch {
            return fail(error).rawValue
        }
    }
}
