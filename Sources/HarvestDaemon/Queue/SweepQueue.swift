import HarvestCore
import HarvestKit
import SQLiteStore

/// Queues runs of configured sweeps for `harvest serve` (what `harvest sweep NAME` does).
public struct SweepQueue: Sendable {
    /// The database.
    public let store: any RunQueueStore

    /// Creates a queue over `store` (either backend).
    public init(store: any RunQueueStore) {
        self.store = store
    }

    /// Why a sweep could not be queued.
    public enum QueueError: Error, Sendable, CustomStringConvertible {
        /// No sweep of this name is in the config.
        case unknownSweep(name: String, configFile: String, known: [String])

        /// One line for people.
        public var description: String {
            switch self {
            case .unknownSweep(let name, let file, let known):
                let list = known.isEmpty ? "it defines none" : "it defines: " + known.joined(separator: ", ")
                return "no sweep named \"\(name)\" in \(file) (\(list)) — add it under \"sweeps\", or check the name"
            }
        }
    }

    /// Imports the sweep's prompt file when it has one (idempotent), then queues a run in one transaction and
    /// returns it. Never contacts the teacher: the daemon does, with retries. Throws ``QueueError``,
    /// `ImportError` (the prompt file), `StoreError` (unknown prompt set, database busy or unreadable).
    public func enqueue(sweepNamed name: String, config: DaemonConfig, requestedBy: String? = nil) async throws -> RunSummary {
        guard let sweep = config.sweep(named: name) else {
            throw QueueError.unknownSweep(name: name, configFile: config.file, known: config.sweeps.map(\.name))
        }
        // SweepConfig.parse guarantees the teacher exists.
        let teacher = config.teacher(named: sweep.teacher)!
        // The file is read and validated before the write lock is taken; import and queueing share one transaction.
        let importing = try sweep.promptFile.map { file in (prompts: try PromptFileReader().read(path: file), source: file) }
        let request = RunRequest(
            sweepName: sweep.name, setName: sweep.promptSet, teacher: teacher.endpointForJobs, params: sweep.params,
            samples: sweep.samples, budget: sweep.budget,
            prices: teacher.prices.map { ($0.inputPerMillion, $0.outputPerMillion) }, requestedBy: requestedBy, importing: importing,
            via: sweep.via)
        return try await store.enqueueRun(request)
    }
}
