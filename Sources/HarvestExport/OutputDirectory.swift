#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Folder handling for exports: the staging folder a folder export is built in, checks of an existing target
/// folder, and removal of what killed exports left behind.
///
/// A folder export to `DIR` is written into `PARENT/.BASE.harvest-tmp-PID/` and renamed onto `DIR` when complete,
/// so `DIR` holds either nothing or the whole export. Temp names all end in `.tmp-PID` or `.harvest-tmp-PID`;
/// an export removes those of processes that are no longer alive before it starts.
enum OutputDirectory {
    /// The parent folder and last component of `path` (`.` for a bare name).
    static func split(_ path: String) -> (parent: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let parent = String(path[..<slash])
        return (parent.isEmpty ? "/" : parent, String(path[path.index(after: slash)...]))
    }

    /// The staging folder for a folder export to `dir` by this process.
    static func stagingPath(for dir: String) -> String {
        let (parent, base) = split(dir)
        return parent + "/." + base + ".harvest-tmp-" + String(getpid())
    }

    /// Checks that `dir` can receive a folder export and removes leftovers of a killed export of `name` in it.
    /// A missing or empty folder is fine. A folder whose entries are all data files of this export name (no
    /// manifest: an older harvest killed while renaming) or temp files of dead exports is cleaned and reused.
    /// Returns the names removed. Throws when `dir` is not a folder, already holds a finished export (its
    /// manifest exists), or holds other files.
    static func prepare(_ dir: String, manifestPath: String, isExportData: (String) -> Bool) throws(ExportError) -> [String] {
        var st = stat()
        if stat(dir, &st) != 0 {
            guard errno == ENOENT || errno == ENOTDIR else {
                throw ExportError.io(operation: "inspect", path: dir, reason: ExportFile.lastError(), hint: "check permissions on the folder")
            }
            var parent = stat()
            let up = split(dir).parent
            guard stat(up, &parent) == 0, (parent.st_mode & S_IFMT) == S_IFDIR else {
                throw ExportError.io(operation: "create folder", path: dir, reason: "its parent folder \(up) does not exist or is not a folder",
                                     hint: "check that its parent folder exists and is writable")
            }
            return []
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw ExportError.unsafeTarget(path: dir, reason: "it exists and is not a folder (a folder export needs a folder)")
        }
        let names = try entries(of: dir)
        var finished: [String] = []
        if access(manifestPath, F_OK) == 0 { finished.append(split(manifestPath).base + " beside it") }
        if names.contains("manifest.json") { finished.append("manifest.json") }
        if !finished.isEmpty {
            throw ExportError.outputNotEmpty(directory: dir, names: finished + names.filter { $0 != "manifest.json" }.sorted())
        }
        var removable: [String] = []
        var foreign: [String] = []
        for name in names {
            if isExportData(name) || isStaleTemp(name) { removable.append(name) } else { foreign.append(name) }
        }
        if !foreign.isEmpty { throw ExportError.folderInUse(directory: dir, names: foreign.sorted()) }
        for name in removable where unlink(dir + "/" + name) != 0 && errno != ENOENT {
            throw ExportError.io(operation: "remove leftover", path: dir + "/" + name, reason: ExportFile.lastError(),
                                 hint: "remove the file by hand, then export again")
        }
        return removable.sorted()
    }

    /// Creates the staging folder `path`.
    static func createStaging(_ path: String) throws(ExportError) {
        guard mkdir(path, 0o755) == 0 else {
            throw ExportError.io(operation: "create folder", path: path, reason: ExportFile.lastError(),
                                 hint: "check that the output's parent folder exists and is writable")
        }
    }

    /// The hidden temp name for `path` while this process writes it: `PARENT/.BASE.harvest-tmp-PID`.
    static func tempPath(for path: String) -> String {
        let (parent, base) = split(path)
        return parent + "/." + base + tempSuffix + String(getpid())
    }

    static let tempSuffix = ".harvest-tmp-"

    /// Removes temp files and staging folders of dead exports in `parent` (for any output there), and finishes
    /// an export killed between moving its data and its manifest into place (the manifest temp is complete
    /// before any data is moved, so a data temp that is gone while its final name exists means it was moved).
    /// Returns the names handled.
    @discardableResult
    static func removeStaleTemps(in parent: String) -> [String] {
        guard let names = try? entries(of: parent) else { return [] }
        var handled: [String] = []
        let manifestTail = ".manifest.json"
        for name in names where isStaleTemp(name) {
            let path = parent + "/" + name
            if let suffix = name.ranges(of: tempSuffix).last, name.hasPrefix("."),
               name[..<suffix.lowerBound].hasSuffix(manifestTail) {
                let finalName = String(name[name.index(after: name.startIndex)..<suffix.lowerBound])
                let dataName = String(finalName.dropLast(manifestTail.count))
                let pidText = name[suffix.upperBound...]
                let dataTemp = parent + "/." + dataName + tempSuffix + pidText
                if access(dataTemp, F_OK) != 0, access(parent + "/" + dataName, F_OK) == 0, access(parent + "/" + finalName, F_OK) != 0 {
                    rename(path, parent + "/" + finalName)
                } else {
                    unlink(path)
                }
                handled.append(name)
            }
        }
        for name in names where isStaleTemp(name) && !handled.contains(name) {
            let path = parent + "/" + name
            var st = stat()
            if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { removeTree(path) } else { unlink(path) }
            handled.append(name)
        }
        return handled
    }

    /// True for a harvest temp name whose process is gone: `.X.harvest-tmp-PID` (files, manifests, staging
    /// folders), and the names of older versions (`X.jsonl.tmp-PID`, `X.jsonl.gz.tmp-PID`, `X.manifest.json.tmp-PID`,
    /// `.data-….tmp-PID`).
    static func isStaleTemp(_ name: String) -> Bool {
        guard let dash = name.ranges(of: "tmp-").last else { return false }
        let before = name[..<dash.lowerBound]
        let ours = name.hasPrefix(".") && (before.hasSuffix(".harvest-") || before.hasSuffix("."))
        let legacy = before.hasSuffix(".jsonl.") || before.hasSuffix(".jsonl.gz.") || before.hasSuffix(".manifest.json.")
        guard ours || legacy, let pid = Int32(name[dash.upperBound...]), pid > 0 else { return false }
        return !isAlive(pid)
    }

    /// Whether a process with this id exists (a pid of another user counts as alive).
    static func isAlive(_ pid: Int32) -> Bool {
        if pid == getpid() { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Entry names of `dir` without `.` and `..`.
    static func entries(of dir: String) throws(ExportError) -> [String] {
        guard let d = opendir(dir) else {
            throw ExportError.io(operation: "open folder", path: dir, reason: ExportFile.lastError(),
                                 hint: "check that it is a folder you can read")
        }
        defer { closedir(d) }
        var names: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a folder one level deep (a staging folder holds only files).
    static func removeTree(_ path: String) {
        if let names = try? entries(of: path) {
            for name in names { unlink(path + "/" + name) }
        }
        rmdir(path)
    }

    /// Best-effort fsync of a folder, so renames in it survive a crash.
    static func syncFolder(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        closeDescriptor(fd)
    }

    /// Best-effort fsync of the folder holding `path`.
    static func sync(containing path: String) { syncFolder(split(path).parent) }
}
