import Logging
import SQLiteStore

/// Writes the configured prices of every teacher to the database, so answers are charged at them, and warns
/// about active runs that no configured teacher can serve (their jobs would wait forever).
enum PriceSync {
    static func checkRuns(_ config: DaemonConfig, store: any RunQueueStore, logger: Logger) async {
        guard let runs = try? await store.activeRuns() else { return }
        for active in runs {
            let t = active.teacher
            let served = config.teachers.contains { $0.name == t.name && $0.model == t.model && $0.endpoint == t.kind }
            if !served {
                logger.warning("no configured teacher serves this run; its jobs wait (add the teacher back to the config and reload)",
                               metadata: ["run.id": "\(active.run.runId)", "sweep.id": "\(active.run.sweepId)", "sweep.name": "\(active.run.sweepName)",
                                          "teacher.name": "\(t.name)", "teacher.model": "\(t.model)", "teacher.endpoint": "\(t.kind.rawValue)"])
            }
        }
    }

    static func write(_ config: DaemonConfig, to store: any RunQueueStore, logger: Logger) async {
        for teacher in config.teachers {
            do {
                _ = try await store.setPrices(teacher: teacher.endpointForJobs, inputPerMillion: teacher.prices?.inputPerMillion,
                                          outputPerMillion: teacher.prices?.outputPerMillion)
            } catch {
                logger.error("cannot store the teacher's prices", metadata: ["teacher": "\(teacher.name)", "error": "\(error)"])
            }
        }
    }
}
