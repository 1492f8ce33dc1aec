import HarvestCore

/// A whole harvest database as the engine, the daemon and the commands import/sweep/serve/status use it, on either
/// backend: setup, the job path (``JobStore``), the run queue, recovery, status, maintenance, the corpus reads of
/// export, inspect and stats (``CorpusReader``), provider batches (``BatchStore``) and the writes of curate
/// (``CurationStore``). Opened by `StoreFactory` (HarvestKit) from `--db` / `$HARVEST_DB` / `database.url` / `database.path`.
public protocol HarvestDatabase: SetupStore, JobStore, RunQueueStore, RecoveryStore, StatusStore, StoreMaintenance, CorpusReader,
    ScoringStore, BatchStore, CurationStore {}
