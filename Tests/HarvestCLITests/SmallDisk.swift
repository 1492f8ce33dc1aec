#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small tmpfs mounted for one test (the database on a disk that fills up), unmounted by ``unmount()``.
/// Mounting needs root (or CAP_SYS_ADMIN); ``mount(megabytes:readOnly:)`` returns nil where it is not allowed.
final class SmallDisk: @unchecked Sendable {
    let dir: URL

    private init(dir: URL) { self.dir = dir }

    /// Mounts a fresh tmpfs of `megabytes` (read-only when asked); nil when mounting is not allowed here.
    static func mount(megabytes: Int, readOnly: Bool = false) -> SmallDisk? {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("harvest-disk-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let options = "size=\(megabytes)m" + (readOnly ? ",ro" : "")
        guard run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir.path]) == 0 else {
            try? FileManager.default.removeItem(at: dir)
            return nil
        }
        return SmallDisk(dir: dir)
    }

    /// Unmounts and removes the mount point.
    func unmount() {
        _ = Self.run("/bin/umount", ["-l", dir.path])
        try? FileManager.default.removeItem(at: dir)
    }

    /// Bytes free on the disk.
    var freeBytes: Int {
        var s = statvfs()
        guard statvfs(dir.path, &s) == 0 else { return 0 }
        return Int(s.f_bavail) * Int(s.f_frsize)
    }

    /// Writes a file of `bytes` zeros (really allocated) to take space; returns its path.
    func fill(_ bytes: Int, name: String = "filler") -> String {
        let path = dir.appendingPathComponent(name).path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        _ = posix_fallocate(fd, 0, off_t(bytes))
        return path
    }

    /// The message tests print when they cannot mount.
    static let skipMessage = "skipped: cannot mount a tmpfs here (needs root); the small-disk tests run in CI as root"

    private static func run(_ tool: String, _ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
