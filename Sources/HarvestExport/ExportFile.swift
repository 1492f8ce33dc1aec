#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One output stream of an export: a temp file that is renamed into place by its owner, or standard output.
/// Bytes are buffered (1 MiB), optionally gzip-compressed, and SHA-256-hashed exactly as written.
final class ExportFile {
    /// The temp file, or nil for standard output.
    let tempPath: String?
    /// The path used in error messages.
    let displayPath: String
    private var fd: Int32
    private var pending: [UInt8] = []
    private let pendingLimit = 1 << 20
    private let encoder: GzipEncoder?
    private var hasher = StreamingSHA256()
    private var isOpen = true
    private(set) var committedPath: String?

    /// Rows appended.
    private(set) var rows = 0
    /// Uncompressed bytes appended.
    private(set) var rawBytes = 0
    /// Bytes handed to the file descriptor (compressed when gzip).
    private(set) var fileBytes = 0
    /// Hex SHA-256 of the bytes written, set by ``close()``.
    private(set) var sha256 = ""

    /// Creates (truncating) `tempPath`; `displayPath` names the final file in messages.
    init(tempPath: String, displayPath: String, gzipLevel: Int32?) throws(ExportError) {
        let f = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard f >= 0 else {
            throw ExportError.io(operation: "create", path: tempPath, reason: Self.lastError(),
                                 hint: "check that the folder exists, is writable and has free space")
        }
        do {
            encoder = try gzipLevel.map { (level) throws(ExportError) in try GzipEncoder(level: level, path: displayPath) }
        } catch {
            closeDescriptor(f)
            unlink(tempPath)
            throw error
        }
        fd = f
        self.tempPath = tempPath
        self.displayPath = displayPath
        pending.reserveCapacity(pendingLimit + (1 << 16))
    }

    /// Writes to standard output.
    init(stdoutGzipLevel: Int32?) throws(ExportError) {
        fd = STDOUT_FILENO
        tempPath = nil
        displayPath = "standard output"
        encoder = try stdoutGzipLevel.map { (level) throws(ExportError) in try GzipEncoder(level: level, path: "standard output") }
        pending.reserveCapacity(pendingLimit + (1 << 16))
    }

    /// Appends one serialized row (its newline included).
    func appendRow(_ bytes: [UInt8]) throws(ExportError) {
        try append(bytes)
        rows += 1
    }

    /// Appends bytes.
    func append(_ bytes: [UInt8]) throws(ExportError) {
        pending.append(contentsOf: bytes)
        rawBytes += bytes.count
        if pending.count >= pendingLimit { try flushPending(finish: false) }
    }

    private func flushPending(finish: Bool) throws(ExportError) {
        if let encoder {
            try withBytes(pending) { (p) throws(ExportError) in
                try encoder.encode(p, finish: finish) { (out) throws(ExportError) in try self.emit(out) }
            }
        } else {
            try withBytes(pending) { (p) throws(ExportError) in try emit(p) }
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws(ExportError) {
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ExportError.io(operation: "write", path: tempPath ?? displayPath, reason: Self.lastError(),
                                     hint: "check free space and quotas, then export again")
            }
            offset += n
        }
        fileBytes += bytes.count
    }

    /// Flushes everything (and the gzip trailer), syncs and closes a temp file. Idempotent.
    func close() throws(ExportError) {
        guard isOpen else { return }
        try flushPending(finish: true)
        isOpen = false
        sha256 = hasher.finalizeHex()
        guard let tempPath else { return }
        guard fsync(fd) == 0 else {
            let reason = Self.lastError()
            closeDescriptor(fd)
            throw ExportError.io(operation: "sync", path: tempPath, reason: reason, hint: "check the disk, then export again")
        }
        guard closeDescriptor(fd) == 0 else {
            throw ExportError.io(operation: "close", path: tempPath, reason: Self.lastError(), hint: "check the disk, then export again")
        }
    }

    /// Renames the closed temp file to `path`.
    func commit(to path: String) throws(ExportError) {
        guard let tempPath, !isOpen, committedPath == nil else { return }
        guard rename(tempPath, path) == 0 else {
            throw ExportError.io(operation: "rename \(tempPath) to", path: path, reason: Self.lastError(),
                                 hint: "check permissions on the output folder")
        }
        committedPath = path
    }

    /// Deletes whatever this file left on disk (temp or committed file); for rollback. Standard output is left alone.
    func discard() {
        if isOpen, tempPath != nil {
            closeDescriptor(fd)
            isOpen = false
        }
        if let committedPath { unlink(committedPath) } else if let tempPath { unlink(tempPath) }
        committedPath = nil
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}

/// `close(2)`, named apart from ``ExportFile/close()``.
@discardableResult
func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }

/// `withUnsafeBytes` that keeps the typed error of `body`.
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ExportError) -> R) throws(ExportError) -> R {
    let result: Result<R, ExportError> = bytes.withUnsafeBytes { p in
        Result { () throws(ExportError) -> R in try body(p) }
    }
    return try result.get()
}
