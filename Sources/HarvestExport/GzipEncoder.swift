import CZlib

/// A streaming gzip encoder (zlib deflate with a gzip header and trailer, `windowBits` 31).
final class GzipEncoder {
    private let stream: UnsafeMutablePointer<z_stream>
    private var chunk: [UInt8]
    private let path: String

    /// Starts a stream at `level` (0–9, or -1 for zlib's default); `path` names the file in errors.
    init(level: Int32, path: String) throws(ExportError) {
        let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        s.initialize(to: z_stream())
        let rc = deflateInit2_(s, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                               Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            s.deinitialize(count: 1)
            s.deallocate()
            throw ExportError.compression(path: path, reason: "deflateInit2 returned \(rc) (level \(level))")
        }
        self.path = path
        stream = s
        chunk = [UInt8](repeating: 0, count: 1 << 18)
    }

    /// Compresses `input` (or, with `finish`, flushes and writes the trailer), handing each compressed chunk to `emit`.
    func encode(_ input: UnsafeRawBufferPointer, finish: Bool,
                emit: (UnsafeRawBufferPointer) throws(ExportError) -> Void) throws(ExportError) {
        stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.pointee.avail_in = UInt32(input.count)
        let capacity = chunk.count
        while true {
            let (rc, produced) = chunk.withUnsafeMutableBytes { out -> (Int32, Int) in
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = UInt32(capacity)
                let rc = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                return (rc, capacity - Int(stream.pointee.avail_out))
            }
            guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                throw ExportError.compression(path: path, reason: "deflate returned \(rc)")
            }
            if produced > 0 {
                try withBytes(chunk) { (out) throws(ExportError) in
                    try emit(UnsafeRawBufferPointer(rebasing: out[0..<produced]))
                }
            }
            if finish {
                if rc == Z_STREAM_END { break }
            } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 {
                break
            }
        }
        stream.pointee.next_in = nil
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }
}
