#if canImport(Glibc)
import Glibc
#endif

/// Where exported bytes go: a file that appears atomically (temp file in the same folder, fsync, rename),
/// or standard output. Writes are buffered.
public final class ExportSink {
    /// Errors writing the export.
    public struct SinkError: Error, CustomStringConvertible {
        /// What failed, with the path and the system's reason.
        public var description: String
    }

    private let fd: Int32
    private let finalPath: String?
    private let tempPath: String?
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    private var finished = false
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    /// Opens `path` for writing; `-` means standard output.
    public init(path: String) throws(SinkError) {
        buffer.reserveCapacity(bufferLimit + 65536)
        if path == "-" {
            fd = STDOUT_FILENO
            finalPath = nil
            tempPath = nil
            return
        }
        let temp = path + ".tmp-\(getpid())"
        let f = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard f >= 0 else {
            throw SinkError(description: "cannot create \(temp): \(String(cString: strerror(errno))) — check that the folder exists and is writable")
        }
        fd = f
        finalPath = path
        tempPath = temp
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws(SinkError) {
        buffer.append(contentsOf: bytes)
        bytesWritten += bytes.count
        if buffer.count >= bufferLimit { try flush() }
    }

    private func flush() throws(SinkError) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { p in Glibc.write(fd, p.baseAddress! + offset, p.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SinkError(description: "cannot write \(finalPath ?? "stdout"): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the temp file into place.
    public func finish() throws(SinkError) {
        try flush()
        finished = true
        guard let finalPath, let tempPath else { return }
        guard fsync(fd) == 0, close(fd) == 0 else {
            throw SinkError(description: "cannot sync \(tempPath): \(String(cString: strerror(errno)))")
        }
        guard rename(tempPath, finalPath) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(tempPath)
            throw SinkError(description: "cannot rename \(tempPath) to \(finalPath): \(reason)")
        }
    }

    /// Drops a partial export: closes and deletes the temp file.
    public func abandon() {
        guard !finished else { return }
        finished = true
        guard let tempPath else { return }
        close(fd)
        unlink(tempPath)
    }

    deinit { abandon() }
}
