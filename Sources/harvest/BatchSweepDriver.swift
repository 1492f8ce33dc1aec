import CurlTransport
import Foundation
import HarvestCore
import HarvestKit
import MockTeacher
import SQLiteStore

/// `harvest sweep SET --run --via batch`: submits the missing jobs through the teacher's batch API, waits with
/// progress, collects. Ctrl-C leaves the batches running; the same command collects them later.
struct BatchSweepDriver {
    /// The database (SQLite or PostgreSQL).
    var location: StoreLocation
    var setName: String
    /// The teacher (no base URL: the built-in mock) and its sampling, built by `SweepTeacher` as for `--run`.
    var spec: TeacherSpec
    /// Samples per prompt.
    var samples: Int
    var settings: BatchSettings
    var sweepName: String?

    /// Returns the process exit code.
    func run() async -> Int32 {
        var mock: MockTeacherServer?
        defer { mock?.stop() }
        do {
            let store = try StoreFactory.open(location, options: DiskSafety.payingStoreOptions)
            defer { store.close() }
            guard try await store.setNames().contains(where: { $0.name == setName }) else { throw StoreError.unknownSet(setName) }
            // Answers of earlier normal sweeps that the database refused; batch answers need no rescue file (a batch
            // whose results could not be stored stays open and its output file is downloaded again by the next run).
            try await DiskSafety.importRescued(location.defaultRescueFile(), into: store)
            let derived = TeacherSpec.defaultName(baseURLs: spec.baseURLs, model: spec.model, endpoint: spec.endpoint)
            let explicitName: String? = spec.name == derived ? nil : spec.name
            var url = spec.baseURLs.first
            if url == nil {
                let server = MockTeacherServer(MockTeacherConfiguration(model: spec.model))
                url = "http://127.0.0.1:\(try server.start())/v1"
                mock = server
                printStatus("no --teacher given: using the built-in mock teacher at \(url!) (its batches live only while this command runs)")
            }
            if spec.baseURLs.count > 1 { printStatus("note: batch mode uses the first --teacher only (\(TeacherURL.redacted(url!)))") }
            let identity = try await SweepIdentity.resolve(store: store, setName: setName, explicitName: explicitName, model: spec.model,
                                                     kind: spec.endpoint, params: spec.sampling, builtinMock: mock != nil)
            for line in identity.warnings { printStatus(line) }
            let teacher = TeacherEndpoint(baseURL: url!, model: spec.model, kind: spec.endpoint, apiKeyEnv: spec.apiKeyEnv,
                                          name: identity.name)
            let apiKey = spec.apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
            let transport = try CurlTransport(configuration: .init(maxConnections: 4))
            defer { transport.shutdown() }
            // The probe speaks the OpenAI-compatible API; an Anthropic batch teacher is checked by its first call.
            if settings.wire == .openai {
                _ = try await SweepDriver.probe([teacher.baseURL], teacher: teacher, transport: transport, apiKey: apiKey)
            }
            let name = sweepName ?? SweepDriver.defaultName(set: setName, teacher: teacher, params: spec.sampling, samples: samples)
            let summary = try await store.createSweep(name: name, setName: setName, teacher: teacher, params: spec.sampling, samples: samples)
            printStatus("sweep \(summary.sweepId) \"\(name)\" via batch: \(summary.totalJobs) jobs (\(summary.newJobs) new, \(summary.alreadyDone) already done) → \(teacher.publicBaseURL) model \(teacher.model)")
            await LeaseReport.takeOver(store)
            if mock != nil {
                for batch in try await store.openBatches(sweepId: summary.sweepId) {
                    let back = try await store.finishBatch(id: batch.id, roundLimit: nil)
                    printStatus("batch \(batch.id) was sent to an earlier built-in mock teacher, which is gone: \(back.pending) jobs go back to pending")
                }
            }
            let stop = StopSignal()
            let trap = SignalTrap(stop: stop)
            defer { trap.cancel() }
            let api = settings.wire.client(transport: transport, baseURL: teacher.baseURL, apiKey: apiKey,
                                           timeouts: HTTPTimeouts(connect: spec.connectTimeout, total: max(600, spec.totalTimeout)))
            let coordinator = BatchCoordinator(store: store, api: api, settings: settings, maxAttempts: spec.maxAttempts, stop: stop,
                                               report: Self.report)
            let outcome = try await coordinator.run(sweepId: summary.sweepId)
            let states = try await store.jobStates(sweepId: summary.sweepId)
            let failed = states[.failed] ?? 0
            let open = (states[.pending] ?? 0) + (states[.leased] ?? 0)
            let done = states[.done] ?? 0
            switch outcome {
            case .leftRunning(let ids):
                printStatus("stopped waiting: \(ids.count) batch(es) keep running at the provider (\(ids.joined(separator: ", "))); "
                            + "run the same command again to collect them — nothing is submitted twice")
                return HarvestExit.interrupted
            case .finished(let rounds):
                printStatus("\(done) of \(summary.totalJobs) jobs done after \(rounds) submission round(s); \(failed) failed, \(open) not done")
            }
            if open > 0 {
                printStatus("\(open) jobs not done yet; run the same command again to submit them")
                return HarvestExit.interrupted
            }
            if failed > 0 {
                printStatus("\(failed) jobs failed; run again to retry them")
                return HarvestExit.jobsFailed
            }
            return 0
        } catch {
            return fail(error).rawValue
        }
    }

    /// One progress line per event, on stderr.
    @Sendable static func report(_ event: BatchEvent) {
        switch event {
        case .recorded(let b):
            printStatus("batch \(b.id): \(b.requests) requests, \(b.bytes) bytes recorded")
        case .resumed(let b):
            printStatus("batch \(b.id) from an earlier run (\(b.stage.rawValue)\(b.providerBatchId.map { ", \($0)" } ?? "")\(b.providerStatus.map { ", \($0)" } ?? "")): picking it up")
        case .uploaded(let id, let fileId):
            printStatus("batch \(id): input file uploaded as \(fileId)")
        case .submitted(let id, let providerId, let found):
            printStatus("batch \(id): \(found ? "found again at the provider" : "created") as \(providerId)")
        case .twinCancelled(let id, let providerId, let recorded, let cancelled):
            printStatus("batch \(id): another process recorded \(recorded) first; this process's \(providerId) "
                        + (cancelled ? "was cancelled" : "could not be cancelled: cancel it at the provider by hand"))
        case .status(let id, let info):
            printStatus("batch \(id) (\(info.id)): \(info.status), \(info.completed)/\(info.total) done, \(info.failed) failed")
        case .collected(let id, let s, let returned, let status, let error):
            var text = "batch \(id) \(status): \(s.answered) answers stored, \(s.errored) line errors, \(returned.pending) jobs back to pending"
            if returned.failed > 0 { text += ", \(returned.failed) failed (unanswered in every batch round)" }
            if s.duplicates > 0 { text += ", \(s.duplicates) duplicate answers (already answered)" }
            if s.skipped > 0 { text += ", \(s.skipped) lines already stored" }
            if let error { text += "; provider: \(error)" }
            printStatus(text)
        }
    }
}
