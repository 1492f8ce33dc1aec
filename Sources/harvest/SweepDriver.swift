import Foundation
import HarvestCore
import HarvestJSON
import HarvestKit
import CurlTransport
import HarvestCrypto
import MockTeacher
import SQLiteStore

/// Runs one foreground sweep for the CLI: mock or real teacher, pre-flight, enqueue, run with progress, summary.
struct SweepDriver {
    /// The database (SQLite or PostgreSQL).
    var location: StoreLocation
    var setName: String
    /// The teacher; no base URL means the built-in mock teacher.
    var spec: TeacherSpec
    /// Samples per prompt.
    var samples: Int
    /// Sweep name; nil derives one from the set, model and a short hash of the definition.
    var sweepName: String? = nil
    /// Seconds a first SIGINT/SIGTERM waits for in-flight requests before abandoning them.
    var drainSeconds: Double = 30
    /// Where refused answers go (nil: harvest-rescue.jsonl beside a SQLite database, in the working directory for
    /// PostgreSQL).
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
            let store = try StoreFactory.open(location, options: DiskSafety.payingStoreOptions)
            defer { store.close() }
            guard try await store.setNames().contains(where: { $0.name == setName }) else {
                throw StoreError.unknownSet(setName)
            }
            if spec.sampling.score != nil {
                let unscorable = try await store.unscorableMembers(setName: setName)
                if unscorable.count > 0 {
                    throw ScoringSetupError("set \"\(setName)\": \(unscorable.count) prompts do not end with the assistant turn to score (first: id \"\(unscorable.firstId ?? "?")\"); "
                        + "build a scoring set from stored answers with harvest score SET --into NAME, or import an SFT file with --sft")
                }
            }
            let rescuePath = rescueFile ?? location.defaultRescueFile()
            try await DiskSafety.importRescued(rescuePath, into: store)
            var spec = self.spec
            // A name other than the derived default was chosen (configured teacher or --teacher-name).
            let derived = TeacherSpec.defaultName(baseURLs: spec.baseURLs, model: spec.model, endpoint: spec.endpoint)
            let explicitName: String? = spec.name == derived ? nil : spec.name
            if spec.baseURLs.isEmpty {
                let server = MockTeacherServer(MockTeacherConfiguration(model: spec.model))
                let port = try server.start()
                mock = server
                // The built-in mock listens on a new port each run; its stable name keeps job keys (and re-runs) stable.
                spec.baseURLs = ["http://127.0.0.1:\(port)/v1"]
                printStatus("no --teacher given: using the built-in mock teacher at \(spec.baseURLs[0])")
            }
            // One identity for all replicas and ports (SweepIdentity: a configured name or --teacher-name,
            // builtin-mock, a stored legacy URL identity, else model@kind); a set answered under another identity is
            // named before anything is sent.
            let identity = try await SweepIdentity.resolve(store: store, setName: setName, explicitName: explicitName, model: spec.model,
                                                     kind: spec.endpoint, params: spec.sampling, builtinMock: mock != nil)
            for line in identity.warnings { printStatus(line) }
            spec.name = identity.name
            let teacher = spec.endpointForJobs
            let pipeline = try TeacherPipeline(spec: spec)
            defer { pipeline.shutdown() }
            let apiKey = spec.apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
            let replicas = try await Self.probe(spec.baseURLs, teacher: teacher, transport: pipeline.transport, apiKey: apiKey)
            if replicas != spec.baseURLs {
                var healthy = spec
                healthy.baseURLs = replicas
                pipeline.update(healthy)
            }
            let params = spec.sampling
            let name = sweepName ?? Self.defaultName(set: setName, teacher: teacher, params: params, samples: samples)
            let summary = try await store.createSweep(name: name, setName: setName, teacher: teacher, params: params, samples: samples)
            printStatus("sweep \(summary.sweepId) \"\(name)\": \(summary.totalJobs) jobs (\(summary.newJobs) new, \(summary.alreadyDone) already done, \(summary.requeuedFailed) failed jobs retried) → \(teacher.publicBaseURL) model \(teacher.model)")
            let stop = StopSignal()
            let trap = SignalTrap(stop: stop, drainSeconds: drainSeconds)
            defer { trap.cancel() }
            let runner = pipeline.runner(store: store, session: SweepOptions(rescuePath: rescuePath), stop: stop)
            await LeaseReport.takeOver(store)
            let line = ProgressLine(total: summary.totalJobs, doneBefore: summary.alreadyDone)
            let reporter = ProgressReporter(line: line, runner: runner)
            reporter.start()
            let outcome = try await runner.run(sweepId: summary.sweepId)
            reporter.finish(outcome)
            let shaped = runner.trafficSnapshot()
            if shaped.endpoints.count > 1 || shaped.breakerOpens > 0 || shaped.windowDecreases > 0 || shaped.pauses > 0 {
                for e in shaped.endpoints {
                    printStatus("  \(TeacherURL.redacted(e.baseURL ?? teacher.baseURL)): \(e.sent) requests, \(e.failures) failed\(e.breaker.isClosed ? "" : ", taken out (breaker open)")")
                }
                printStatus("  traffic: window \(shaped.window), halved \(shaped.windowDecreases)×, \(shaped.pauses) rate-limit pauses, \(shaped.breakerOpens) breaker openings")
            }
            let states = try await store.jobStates(sweepId: summary.sweepId)
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
                await LeaseReport.explainOpen(store, sweepId: summary.sweepId)
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
                if urls.count > 1 { printStatus("warning: replica \(TeacherURL.redacted(url)) is left out: \(error)") }
            }
        }
        if healthy.isEmpty, let firstError { throw firstError }
        return healthy
    }
}
