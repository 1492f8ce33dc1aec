#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A preallocated file beside the database (`<database>.reserve`) that holds disk space back for bad times.
///
/// When the database refuses a write because the disk is full, the reserve is deleted: the space it held lets the
/// refused answer be committed on a retry, or appended to the rescue file, and lets the final WAL checkpoint run.
/// Writes are considered possible again once the reserve can be allocated in full a second time. The file exists only
/// while a sweep or the daemon has the database open (it is removed on a clean close).
final class SpaceReserve: Sendable {
    /// The reserve file.
    let path: String
    /// Bytes to hold back.
    let bytes: Int

    init(path: String, bytes: Int) {
        self.path = path
        self.bytes = bytes
    }

    /// Allocates the reserve (blocks really taken from the file system, then fsynced); false when the disk lacks
    /// the room. A partial file is removed.
    func allocate() -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        #if canImport(Glibc)
        let ok = posix_fallocate(fd, 0, off_t(bytes)) == 0 && fsync(fd) == 0
        #else
        let ok = ftruncate(fd, off_t(bytes)) == 0 && fsync(fd) == 0
        #endif
        if !ok { unlink(path) }
        return ok
    }

    /// Deletes the reserve file, freeing its space; true when there was one.
    @discardableResult
    func release() -> Bool {
        unlink(path) == 0
    }
}
