import ArgumentParser
import Foundation
import StoreCopy

/// `harvest db …`: moving a whole harvest between databases.
struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Move a harvest between databases (SQLite files and PostgreSQL).",
        subcommands: [DbCopyCommand.self])
}

/// `harvest db copy --from A --to B`: a verified, resumable copy of a whole harvest.
struct DbCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a whole harvest from one database to another (SQLite ⇄ PostgreSQL), then verify it.",
        discussion: """
            A and B are each a SQLite path or a postgres:// URL (password from PGPASSWORD or .pgpass, never in the URL).
            Copies prompt sets, prompts, members, teachers, parameters, sweeps, jobs (with keys and aliases), attempts,
            answers (logprob vocabularies first, then each blob with only its vocabulary indices rewritten for the
            target, every logprob bit kept), runs and spend, curation
            marks, runs and progress, verdicts and provider batches, keeping every id. Leased jobs arrive as pending.
            The source is read in one snapshot; stop daemons writing to it for a complete copy.
            Resumable: a copy that was interrupted (even killed) continues when run again with the same --from and --to.
            Refused before anything is written: a SQLite target that holds data and is not a copy of this source, or
            any target holding a different harvest (a prompt or job at the same id with other content).
            Afterwards every table's row count and content digest are compared between source and target and printed.
            Exit codes: 0 copied and verified, 1 verification found a difference, 4 refused, 5 database error.
            """)

    @Option(help: ArgumentHelp("The database to copy from: a SQLite path or a postgres:// URL.", valueName: "A"))
    var from: String

    @Option(help: ArgumentHelp("The database to copy into: a SQLite path (created when missing) or a postgres:// URL.", valueName: "B"))
    var to: String

    @Option(help: "Rows per batch (one transaction in the target).")
    var batchRows: Int = 500

    @Flag(help: "Print the verification as JSON on stdout.")
    var json = false

    func validate() throws {
        guard batchRows >= 1 else { throw ValidationError("--batch-rows must be at least 1") }
    }

    func run() throws {
        let report: CopyReport
        do {
            report = try StoreCopier(from: from, to: to, options: CopyOptions(pageRows: batchRows)).run()
        } catch let error as CopyError {
            printError(error.description)
            switch error {
            case .badLocation, .badSource, .sameDatabase, .targetNotEmpty, .differentHarvest: throw ExitCode(HarvestExit.badInput)
            default: throw ExitCode(HarvestExit.database)
            }
        } catch {
            printError("\(error)")
            throw ExitCode(HarvestExit.database)
        }
        let mb = Double(report.bytesCopied) / 1_000_000
        let seconds = max(report.copySeconds, 0.000_001)
        printStatus("copied \(report.rowsCopied) rows (\(String(format: "%.1f", mb)) MB) from \(StoreCopier.redact(from)) to "
                    + "\(StoreCopier.redact(to)) in \(String(format: "%.2f", report.copySeconds)) s: "
                    + "\(String(format: "%.0f", Double(report.rowsCopied) / seconds)) rows/s, \(String(format: "%.1f", mb / seconds)) MB/s"
                    + (report.resumed ? " (resumed an interrupted copy)" : "")
                    + (report.alreadyComplete ? " (the target already was a complete copy)" : ""))
        if json {
            print(Self.json(report))
        } else {
            printStatus("verification (\(String(format: "%.2f", report.verifySeconds)) s): table, source rows, target rows, digest")
            for t in report.tables {
                let status = t.matches ? "ok" : (t.sourceRows == t.targetRows ? "DIGEST DIFFERS" : "COUNT DIFFERS")
                let digests = t.matches ? "\(t.sourceDigest.prefix(16))" : "\(t.sourceDigest.prefix(16)) vs \(t.targetDigest.prefix(16))"
                printStatus("  \(t.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(t.sourceRows) \(t.targetRows) \(digests) \(status)")
            }
        }
        guard report.verified else {
            let bad = report.tables.filter { !$0.matches }.map(\.name)
            printError("the target differs from the source in \(bad.joined(separator: ", ")); was the source written to during the copy, "
                       + "or does the target hold other data? Run the copy again into a new database")
            throw ExitCode(HarvestExit.failure)
        }
        printStatus("verified: every table's rows and content are equal")
    }

    /// The report as one JSON object.
    static func json(_ r: CopyReport) -> String {
        let tables = r.tables.map { t in
            "{\"table\":\"\(t.name)\",\"source_rows\":\(t.sourceRows),\"target_rows\":\(t.targetRows),"
                + "\"source_digest\":\"\(t.sourceDigest)\",\"target_digest\":\"\(t.targetDigest)\",\"matches\":\(t.matches)}"
        }
        return "{\"verified\":\(r.verified),\"resumed\":\(r.resumed),\"already_complete\":\(r.alreadyComplete),"
            + "\"rows_copied\":\(r.rowsCopied),\"bytes_copied\":\(r.bytesCopied),"
            + "\"copy_seconds\":\(r.copySeconds),\"verify_seconds\":\(r.verifySeconds),\"tables\":[" + tables.joined(separator: ",") + "]}"
    }
}
