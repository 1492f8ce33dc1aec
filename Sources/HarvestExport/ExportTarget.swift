#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Refuses `-o` targets that an export must never replace: the database in use and its `-wal`, `-shm` and
/// `-journal` files (by identity of the file, and by name when they do not exist yet), device nodes, FIFOs,
/// sockets and folders given as a single-file target.
public enum ExportTarget {
    /// The files that belong to the SQLite database at `databasePath` (the database, its WAL, shared memory and
    /// rollback journal).
    public static func databaseFiles(_ databasePath: String) -> [String] {
        [databasePath, databasePath + "-wal", databasePath + "-shm", databasePath + "-journal"]
    }

    /// Throws ``ExportError/unsafeTarget(path:reason:)`` when writing `path` as a regular file would replace
    /// something else: one of `protected`, or anything that is not a regular file.
    public static func check(file path: String, protecting protected: [String]) throws(ExportError) {
        var st = stat()
        if stat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw .unsafeTarget(path: path, reason: "it is a folder (end -o with / for a folder export)")
            case S_IFCHR, S_IFBLK: throw .unsafeTarget(path: path, reason: "it is a device node")
            case S_IFIFO: throw .unsafeTarget(path: path, reason: "it is a FIFO (for a pipe use -o - and redirect standard output)")
            case S_IFSOCK: throw .unsafeTarget(path: path, reason: "it is a socket")
            default: throw .unsafeTarget(path: path, reason: "it is not a regular file")
            }
            for p in protected {
                var other = stat()
                if stat(p, &other) == 0, other.st_dev == st.st_dev, other.st_ino == st.st_ino {
                    throw .unsafeTarget(path: path, reason: "it is \(p), a file of the database this export reads")
                }
            }
        }
        let canonical = canonicalPath(path)
        for p in protected where canonicalPath(p) == canonical {
            throw .unsafeTarget(path: path, reason: "it is \(p), a file of the database this export reads")
        }
    }

    /// `path` with its folder resolved (symlinks, `.`, `..`) and its last component kept; `path` when the
    /// folder cannot be resolved.
    static func canonicalPath(_ path: String) -> String {
        let (parent, base) = OutputDirectory.split(path)
        guard let resolved = realpath(parent, nil) else { return path }
        defer { free(resolved) }
        let dir = String(cString: resolved)
        return (dir == "/" ? "" : dir) + "/" + base
    }
}
