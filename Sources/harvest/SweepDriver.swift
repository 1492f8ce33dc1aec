import Foundation
import HarvestCore
import HarvestJSON
import HarvestKit
import CurlTransport
import HarvestCrypto
import MockTeacher
import SQLiteStore

/// The resolved settings of one sweep: config file values overridden by flags.
struct SweepPlanBuilder {
    /// Replica base URLs (empty: the built-in mock teacher).
    var teacherURLs: [String]
    /// Teacher identity for job keys (nil: the first URL).
    var teacherName: String?
    var model: String
    var endpoint: EndpointKind
    var apiKeyEnv: String?
    var params: SamplingParams
    var samples: Int
    var concurrency: Int
    var maxAttempts: Int
    var timeouts: HTTPTimeouts
    var maxResponseBytes = 64 << 20
    var limits: TeacherLimits
    var breaker = BreakerPolicy()
    var failFast = FailFastPolicy()

    init(config: HarvestConfig, options: TeacherOptions, samples: Int?, concurrency: Int?, maxAttempts: Int?) {
        teacherURLs = options.teacher.isEmpty ? (config.baseURL.map { [$0] } ?? []) : options.teacher
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
        limits = TeacherLimits(maxInFlight: self.concurrency)
    }

    /// Applies the `sweep` traffic flags.
    mutating func apply(_ flags: TrafficFlags) {
        teacherName = flags.teacherName
        limits = TeacherLimits(maxInFlight: concurrency, requestsPerMinute: flags.rpm, tokensPerMinute: flags.tpm,
                               requestsPerSecond: flags.qps, adaptive: flags.adaptive)
        if let connect = flags.connectTimeout { timeouts.connect = connect }
        timeouts.firstByte = flags.firstByteTimeout
        timeouts.idle = flags.idleTimeout
        maxResponseBytes = flags.maxResponseMb << 20
        breaker = flags.breaker
        failFast = flags.failFast
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
    /// Seconds a first SIGINT/SIGTERM waits for in-flight requests before abandoning them.
    var drainSeconds: Double = 30
    /// Where refused answers go (nil: harvest-rescue.jsonl beside the database).
    var rescueFile: String? = nil

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
            let store = try SQLiteStore(path: databasePath, options: DiskSafety.payingStoreOptions)
            defer { store.close() }
            guard try store.setNames().contains(where: { $0.name == setName }) else {
                throw StoreError.unknownSet(setName)
            }
            let rescuePath = rescueFile ?? RescueLog.defaultPath(database: databasePath)
            try await DiskSafety.importRescued(rescuePath, into: store)
            var urls = plan.teacherURLs
            if urls.isEmpty {
                let server = MockTeacherServer(MockTeacherConfiguration(model: plan.model))
                let port = try server.start()
                mock = server
                urls = ["http://127.0.0.1:\(port)/v1"]
                printStatus("no --teacher given: using the built-in mock teacher at \(urls[0])")
            }
            // The built-in mock listens on a new port each run; its stable name keeps job keys (and re-runs) stable.
            // Replicas share one identity: the --teacher-name, else the first URL.
            let teacher = TeacherEndpoint(baseURL: urls[0], model: plan.model, kind: plan.endpoint, apiKeyEnv: plan.apiKeyEnv,
                                          name: mock == nil ? plan.teacherName : "builtin-mock")
            let apiKey = plan.apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
            let transport = try CurlTransport(configuration: .init(maxConnections: max(16, plan.concurrency * 2)))
            defer { transport.shutdown() }
            let replicas = try await Self.probe(urls, teacher: teacher, transport: transport, apiKey: apiKey)
            let name = sweepName ?? Self.defaultName(set: setName, teacher: teacher, params: plan.params, samples: plan.samples)
            let summary = try store.createSweep(name: name, setName: setName, teacher: teacher, params: plan.params, samples: plan.samples)
            printStatus("sweep \(summary.sweepId) \"\(name)\": \(summary.totalJobs) jobs (\(summary.newJobs) new, \(summary.alreadyDone) already done, \(summary.requeuedFailed) failed jobs retried) → \(teacher.baseURL) model \(teacher.model)")
            let stop = StopSignal()
            let trap = SignalTrap(stop: stop, drainSeconds: drainSeconds)
            defer { trap.cancel() }
            let client = TeacherClient(transport: transport, apiKey: apiKey, timeouts: plan.timeouts,
                                       maxResponseBytes: plan.maxResponseBytes, keepRaw: keepRaw)
            let options = SweepOptions(concurrency: plan.concurrency, retry: RetryPolicy(maxAttempts: plan.maxAttempts),
                                       rescuePath: rescuePath, failFast: plan.failFast)
            let traffic = TrafficController(options: TrafficOptions(limits: plan.limits, endpoints: replicas, breaker: plan.breaker))
            let runner = SweepRunner(store: store, client: client, options: options, stop: stop, traffic: traffic)
            await LeaseReport.takeOver(store)
            let line = ProgressLine(total: summary.totalJobs, doneBefore: summary.alreadyDone)
            let reporter = ProgressReporter(line: line, runner: runner)
            reporter.start()
            let outcome = try await runner.run(sweepId: summary.sweepId)
            reporter.finish(outcome)
            let shaped = runner.trafficSnapshot()
            if shaped.endpoints.count > 1 || shaped.breakerOpens > 0 || shaped.windowDecreases > 0 || shaped.pauses > 0 {
                for e in shaped.endpoints {
                    printStatus("  \(e.baseURL ?? teacher.baseURL): \(e.sent) requests, \(e.failures) failed\(e.breaker.isClosed ? "" : ", taken out (breaker open)")")
                }
                printStatus("  traffic: window \(shaped.window), halved \(shaped.windowDecreases)×, \(shaped.pauses) rate-limit pauses, \(shaped.breakerOpens) breaker openings")
            }
            let states = try store.jobStates(sweepId: summary.sweepId)
            let failed = states[.failed] ?? 0
            let open = (states[.pending] ?? 0) + (states[.leased] ?? 0)
            if let reason = outcome.stopReason { printStatus("stopped: \(reason)") }
            if outcome.counters.missingLogprobs > 0 {
                printStatus("warning: \(outcome.counters.missingLogprobs) answers came without logprobs although they were requested (stored anyway)")
            }
            if let code = DiskSafety.refusalExit(store: store, rescued: outcome.counters.rescued, rescuePath: rescuePath) { return code }
            if outcome.failFast != nil {
                printStatus("\(open) jobs not done yet, \(failed) failed; fix the cause and run the same command again to continue")
                return HarvestExit.failFast
            }
            if open > 0 {
                printStatus("\(open) jobs not done yet; run the same command again to continue")
                LeaseReport.explainOpen(store, sweepId: summary.sweepId)
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

    /// Probes every replica before anything is written; returns the URLs that answered. Throws the first
    /// probe error when none did; names the others that failed.
    static func probe(_ urls: [String], teacher: TeacherEndpoint, transport: any HTTPTransport, apiKey: String?) async throws -> [String] {
        var healthy: [String] = []
        var firstError: (any Error)?
        for url in urls {
            var replica = teacher
            replica.baseURL = url
            do {
                let models = try await TeacherProbe.check(replica, transport: transport, apiKey: apiKey)
                if healthy.isEmpty, !models.isEmpty, !models.contains(teacher.model) {
                    printStatus("note: the teacher lists models \(models.prefix(5).joined(separator: ", ")); \"\(teacher.model)\" is not among them")
                }
                healthy.append(url)
            } catch {
                if firstError == nil { firstError = error }
                if urls.count > 1 { printStatus("warning: replica \(url) is left out: \(error)") }
            }
        }
        if healthy.isEmpty, let firstError { throw firstError }
        return healthy
    }
}
