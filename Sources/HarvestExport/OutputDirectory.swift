#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Folder handling for folder exports.
enum OutputDirectory {
    /// Makes sure `dir` exists (creating it, but not its parents) and holds no entry for which `conflicts`
    /// is true. Returns whether the folder was created here.
    static func prepare(_ dir: String, conflicts: (String) -> Bool) throws(ExportError) -> Bool {
        var created = false
        if mkdir(dir, 0o755) == 0 {
            created = true
        } else if errno != EEXIST {
            throw ExportError.io(operation: "create folder", path: dir, reason: ExportFile.lastError(),
                                 hint: "check that its parent folder exists and is writable")
        }
        guard let d = opendir(dir) else {
            throw ExportError.io(operation: "open folder", path: dir, reason: ExportFile.lastError(),
                                 hint: "check that it is a folder you can read")
        }
        defer { closedir(d) }
        var clashes: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if conflicts(name) { clashes.append(name) }
        }
        if !clashes.isEmpty {
            throw ExportError.outputNotEmpty(directory: dir, names: clashes.sorted())
        }
        return created
    }

    /// Best-effort fsync of the folder holding `path`, so the renames survive a crash.
    static func sync(containing path: String) {
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(dir.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        closeDescriptor(fd)
    }
}
