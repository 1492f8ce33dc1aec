#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where exported bytes go: a file that appears atomically (temp file in the same folder, fsync, rename),
/// or standard output. Writes are buffered; with `gzip` they are compressed.
///
/// For splits, shards and a manifest use ``ExportPipeline``; this is the single-file building block.
public final class ExportSink {
    /// Errors writing the export.
    public struct SinkError: Error, CustomStringConvertible {
        /// What failed, with the path and the system's reason.
        public var description: String
    }

    private let file: ExportFile
    private let finalPath: String?
    private var finished = false

    /// Uncompressed bytes written so far.
    public var bytesWritten: Int { file.rawBytes }
    /// Bytes that reached the file (compressed size with gzip), complete after ``finish()``.
    public var fileBytes: Int { file.fileBytes }
    /// Hex SHA-256 of the bytes as written, set by ``finish()``.
    public var sha256: String { file.sha256 }

    /// Opens `path` for writing; `-` means standard output. With `gzip` the bytes are gzip-compressed at `gzipLevel`.
    public init(path: String, gzip: Bool = false, gzipLevel: Int32 = 6) throws(SinkError) {
        do {
            if path == "-" {
                file = try ExportFile(stdoutGzipLevel: gzip ? gzipLevel : nil)
                finalPath = nil
            } else {
                file = try ExportFile(tempPath: path + ".tmp-\(getpid())", displayPath: path, gzipLevel: gzip ? gzipLevel : nil)
                finalPath = path
            }
        } catch {
            throw SinkError(description: error.description)
        }
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws(SinkError) {
        do { try file.append(bytes) } catch { throw SinkError(description: error.description) }
    }

    /// Flushes, syncs and renames the temp file into place.
    public func finish() throws(SinkError) {
        guard !finished else { return }
        finished = true
        do {
            try file.close()
            if let finalPath { try file.commit(to: finalPath) }
        } catch {
            file.discard()
            throw SinkError(description: error.description)
        }
    }

    /// Drops a partial export: closes and deletes the temp file.
    public func abandon() {
        guard !finished else { return }
        finished = true
        file.discard()
    }

    deinit { abandon() }
}
