#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite

/// What ``SQLiteStore/backup(to:)`` wrote.
public struct BackupSummary: Sendable, Equatable {
    /// The backup file.
    public var path: String
    /// Its size in bytes.
    public var bytes: Int
    /// Stored answers in the copy.
    public var responses: Int
    /// Jobs in the copy.
    public var jobs: Int
}

extension SQLiteStore {
    /// Writes a consistent copy of the database to `destination` while writers keep running (`VACUUM INTO` on a
    /// read connection: one snapshot, every answer committed before it began). The copy is written to a temporary
    /// file beside `destination`, checked with `PRAGMA integrity_check`, fsynced, then renamed into place; a failed
    /// backup leaves nothing behind. Refuses (``StoreError/invalidInput(_:)``) a destination that is this database
    /// or its `-wal`/`-shm`/`-journal`, a directory, a device node or a FIFO.
    public func backup(to destination: String) throws -> BackupSummary {
        try Self.checkBackupTarget(destination, database: path)
        let slash = destination.lastIndex(of: "/")
        let dir = slash.map { String(destination[..<$0]) } ?? "."
        let base = slash.map { String(destination[destination.index(after: $0)...]) } ?? destination
        let temp = (dir.isEmpty ? "" : dir + "/") + ".\(base).tmp-\(getpid())"
        unlink(temp)
        var renamed = false
        defer { if !renamed { unlink(temp) } }
        do {
            let source = try SQLiteDatabase(path: path, mode: .readOnly, busyTimeoutMs: options.busyTimeoutMs)
            let vacuum = try source.prepare("VACUUM INTO ?1")
            try vacuum.bind(temp, at: 1)
            try vacuum.run()
            let copy = try SQLiteDatabase(path: temp, mode: .readWrite, busyTimeoutMs: options.busyTimeoutMs)
            let check = try copy.pragma("integrity_check") ?? "no result"
            guard check == "ok" else {
                throw StoreError.corrupt(path: temp, detail: "the backup copy failed PRAGMA integrity_check: \(check)")
            }
            let responses = try copy.queryOne("SELECT count(*) FROM responses") { $0.int(0) } ?? 0
            let jobs = try copy.queryOne("SELECT count(*) FROM jobs") { $0.int(0) } ?? 0
            try syncToDisk(temp)
            guard rename(temp, destination) == 0 else {
                throw StoreError.invalidInput("cannot rename the backup \(temp) to \(destination): \(String(cString: strerror(errno)))")
            }
            renamed = true
            try syncToDisk(dir.isEmpty ? "/" : dir)
            var st = stat()
            let bytes = stat(destination, &st) == 0 ? Int(st.st_size) : 0
            return BackupSummary(path: destination, bytes: bytes, responses: responses, jobs: jobs)
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Refuses targets a backup must never replace.
    static func checkBackupTarget(_ destination: String, database: String) throws {
        var target = stat()
        guard lstat(destination, &target) == 0 else { return }  // a new file
        let kind = target.st_mode & S_IFMT
        if kind == S_IFDIR { throw StoreError.invalidInput("\(destination) is a directory; give the backup a file name") }
        if kind != S_IFREG {
            throw StoreError.invalidInput("\(destination) is not a regular file (device, FIFO, socket or symlink); choose a file path for the backup")
        }
        for live in [database, database + "-wal", database + "-shm", database + "-journal", database + ".reserve"] {
            var st = stat()
            if stat(live, &st) == 0, st.st_dev == target.st_dev, st.st_ino == target.st_ino {
                throw StoreError.invalidInput("\(destination) is the live database \(database) (or one of its files); "
                                              + "a backup must go to another path — nothing was written")
            }
        }
    }
}

/// fsyncs the file or directory at `path`.
private func syncToDisk(_ path: String) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw StoreError.invalidInput("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw StoreError.invalidInput("cannot sync \(path) to disk: \(String(cString: strerror(errno)))") }
}
