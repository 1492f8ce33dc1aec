import ArgumentParser
import Foundation
import HarvestCore
import HarvestCurate
import HarvestDaemon
import HarvestExport
import HarvestKit
import PostgresStore
import SQLiteStore

/// Exit codes, documented in README.md and `harvest --help`.
enum HarvestExit {
    static let failure: Int32 = 1
    static let jobsFailed: Int32 = 2
    static let interrupted: Int32 = 3
    static let badInput: Int32 = 4
    static let database: Int32 = 5
    static let unknownName: Int32 = 6
    static let teacher: Int32 = 7
    static let failFast: Int32 = 8
}

/// Prints an error for people on stderr and turns it into the documented exit code.
func fail(_ error: any Error) -> ExitCode {
    let (code, text): (Int32, String)
    switch error {
    case let e as ImportError: (code, text) = (HarvestExit.badInput, e.description)
    case let e as StoreError:
        switch e {
        case .unknownSet, .unknownSweep: (code, text) = (HarvestExit.unknownName, e.description)
        case .conflict, .sweepConflict: (code, text) = (HarvestExit.badInput, e.description)
        default: (code, text) = (HarvestExit.database, e.description)
        }
    case let e as SQLiteError: (code, text) = (HarvestExit.database, e.description)
    case let e as PostgresError:
        if case .badURL = e { (code, text) = (HarvestExit.badInput, e.description) } else { (code, text) = (HarvestExit.database, e.description) }
    case let e as StoreLocationError: (code, text) = (HarvestExit.badInput, e.description)
    case let e as TeacherProbe.ProbeError: (code, text) = (HarvestExit.teacher, e.description)
    case let e as DaemonConfigError: (code, text) = (HarvestExit.badInput, e.description)
    case let e as ScoringSetupError: (code, text) = (HarvestExit.badInput, e.description)
    case let e as ServerSupportError: (code, text) = (HarvestExit.badInput, "--\(e.field.replacingOccurrences(of: "_", with: "-")): \(e.message)")
    case let e as SweepQueue.QueueError: (code, text) = (HarvestExit.unknownName, e.description)
    case let e as ServeService.StartError:
        switch e {
        case .config(let c): (code, text) = (HarvestExit.badInput, c.description)
        case .database(let d): return fail(d)
        case .metrics(let m): (code, text) = (HarvestExit.failure, m.description)
        }
    case let e as ExportError:
        switch e {
        case .unsafeTarget, .folderInUse, .outputNotEmpty, .invalidPlan: (code, text) = (HarvestExit.badInput, e.description)
        case .interrupted: (code, text) = (HarvestExit.interrupted, e.description)
        default: (code, text) = (HarvestExit.failure, e.description)
        }
    case let e as CurationError: (code, text) = (e.kind == .storedData ? HarvestExit.database : HarvestExit.badInput, e.description)
    default: (code, text) = (HarvestExit.failure, String(describing: error))
    }
    printError(text)
    return ExitCode(code)
}

/// `harvest: error: …` on stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data(("harvest: error: " + text + "\n").utf8))
}

/// A line on stderr (progress and summaries never go to stdout, which may carry an export).
func printStatus(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
