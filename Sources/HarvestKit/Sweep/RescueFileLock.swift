import Foundation

/// The exclusive `flock` that appenders and the importer of a rescue file share.
///
/// An appender that waited for the lock while the importer renamed the file away re-opens the path, so its line
/// lands in the live file, never in one already imported.
enum RescueFileLock {
    /// Opens `path` for appending (creating it, and then syncing its directory), locks it, checks that the open file
    /// is still the one at `path`, and runs `body` with the descriptor.
    static func withLockedAppend(_ path: String, _ body: (Int32) throws(RescueError) -> Void) throws(RescueError) {
        while true {
            let created = access(path, F_OK) != 0
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw RescueError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            guard flock(fd, LOCK_EX) == 0 else { throw RescueError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
            defer { flock(fd, LOCK_UN) }
            guard isSameFile(fd, path) else { continue }
            try body(fd)
            if created { syncDirectory(of: path) }
            return
        }
    }

    /// True when descriptor `fd` is the file now at `path`.
    static func isSameFile(_ fd: Int32, _ path: String) -> Bool {
        var open = stat()
        var named = stat()
        return fstat(fd, &open) == 0 && stat(path, &named) == 0 && open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// fsyncs the directory holding `path`, so a new or renamed entry survives power loss.
    static func syncDirectory(of path: String) {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(dir, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
