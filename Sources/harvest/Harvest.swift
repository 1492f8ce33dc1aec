import ArgumentParser

/// `harvest`: harvest distillation data from a teacher LLM into SQLite and export training files.
@main
struct Harvest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harvest",
        abstract: "Harvest answers and token logprobs from a teacher LLM into SQLite, and export training files.",
        discussion: """
            Every command takes --db PATH (default: $HARVEST_DB, else ./harvest.sqlite).
            Exit codes: 0 ok, 1 error, 2 some jobs failed, 3 interrupted, 4 bad input, 5 database error,
            6 unknown prompt set or sweep, 7 teacher unusable, 64 usage error.
            """,
        version: HarvestVersion.string,
        subcommands: [
            InitCommand.self, ImportCommand.self, SweepCommand.self, ScoreCommand.self, ServeCommand.self, StatusCommand.self, CurateCommand.self, StatsCommand.self,
            InspectCommand.self, ExportCommand.self,
            MockTeacherCommand.self, DemoCommand.self,
            RescueCommand.self, BackupCommand.self, BatchCommand.self,
            DbCommand.self,
        ]
    )
}

enum HarvestVersion {
    static let string = "0.1.0"
}
