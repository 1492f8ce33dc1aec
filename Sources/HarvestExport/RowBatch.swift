#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import HarvestCore
import HarvestJSON

/// Rows that ``ExportPipeline/drain(_:)`` serializes together: the batch is cut into contiguous parts, one per
/// thread (Dispatch `concurrentPerform`), each part written into its own buffer, one line per row. The caller then
/// appends the lines in row order, so the output does not depend on the number of threads or their timing; the
/// bytes of a row are those ``ExportPipeline/consume(_:)`` writes. Memory: the batch's rows and their lines.
struct RowBatch {
    /// Rows per batch: large enough that a batch of `kd` rows (~30 KB each) outweighs the cost of waking a thread,
    /// small enough that memory stays flat (rows with decoded logprobs are ~10× their JSON size).
    static let capacity = 32

    /// The rows in order.
    private(set) var rows: [StoredResponse] = []
    private var parts: [Part]

    /// One thread's share: its rows' lines back to back, and where each line ends.
    struct Part {
        var writer = JSONWriter(capacity: 1 << 20)
        var ends: [Int] = []
    }

    /// A batch serialized by `width` threads (at least 1).
    init(width: Int) {
        parts = Array(repeating: Part(), count: Swift.max(1, width))
        rows.reserveCapacity(Self.capacity)
    }

    /// The number of threads for exports on this machine: its online processors, at most 4.
    static var defaultWidth: Int { Swift.min(4, Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) }

    var isFull: Bool { rows.count >= Self.capacity }
    var isEmpty: Bool { rows.isEmpty }

    /// Adds a row to serialize.
    mutating func append(_ row: StoredResponse) { rows.append(row) }

    /// Serializes every row with `format`: rows split into contiguous parts, one per thread.
    mutating func serialize(_ format: any ExportFormat, options: ExportOptions) {
        let used = Swift.min(parts.count, rows.count)
        rows.withUnsafeBufferPointer { input in
            parts.withUnsafeMutableBufferPointer { output in
                nonisolated(unsafe) let input = input
                nonisolated(unsafe) let output = output
                let work: @Sendable (Int) -> Void = { p in
                    let range = (input.count * p / used)..<(input.count * (p + 1) / used)
                    output[p].writer.reset()
                    output[p].ends.removeAll(keepingCapacity: true)
                    for i in range {
                        format.write(input[i], options: options, to: &output[p].writer)
                        output[p].writer.endLine()
                        output[p].ends.append(output[p].writer.bytes.count)
                    }
                }
                if used <= 1 {
                    work(0)
                } else {
                    DispatchQueue.concurrentPerform(iterations: used, execute: work)
                }
            }
        }
    }

    /// Calls `body` with each row and its line (newline included), in row order, after ``serialize(_:options:)``.
    func forEachLine(_ body: (StoredResponse, UnsafeRawBufferPointer) throws(ExportError) -> Void) throws(ExportError) {
        let used = Swift.min(parts.count, rows.count)
        var row = 0
        for p in 0..<used {
            let part = parts[p]
            let result: Result<Void, ExportError> = part.writer.bytes.withUnsafeBytes { bytes in
                var start = 0
                for end in part.ends {
                    let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    do throws(ExportError) {
                        try body(rows[row], line)
                    } catch {
                        return .failure(error)
                    }
                    row += 1
                    start = end
                }
                return .success(())
            }
            try result.get()
        }
    }

    /// Empties the batch, keeping its buffers.
    mutating func removeAll() { rows.removeAll(keepingCapacity: true) }
}
