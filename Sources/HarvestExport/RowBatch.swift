import HarvestCore
import HarvestJSON

/// Rows that ``ExportPipeline/drain(_:)`` serializes together on one thread (see ``BatchSerializer``): their lines
/// back to back in one buffer and where each ends. The bytes of a row are those ``ExportPipeline/consume(_:)``
/// writes. Memory: the batch's rows and their lines (the buffer is kept for the next batch).
final class RowBatch {
    /// Rows per batch: large enough that a batch of `kd` rows (~30 KB each) outweighs handing it to a thread,
    /// small enough that memory stays flat (rows with decoded logprobs are about the size of their JSON).
    static let capacity = 32

    /// The rows in order.
    private(set) var rows: [StoredResponse] = []
    private var writer = JSONWriter(capacity: 1 << 20)
    private var ends: [Int] = []

    init() {
        rows.reserveCapacity(Self.capacity)
        ends.reserveCapacity(Self.capacity)
    }

    var isFull: Bool { rows.count >= Self.capacity }
    var isEmpty: Bool { rows.isEmpty }

    /// Adds a row to serialize.
    func append(_ row: StoredResponse) { rows.append(row) }

    /// Serializes every row with `format`, one line each.
    func serialize(_ format: any ExportFormat, options: ExportOptions) {
        writer.reset()
        ends.removeAll(keepingCapacity: true)
        for row in rows {
            format.write(row, options: options, to: &writer)
            writer.endLine()
            ends.append(writer.bytes.count)
        }
    }

    /// Calls `body` with each row and its line (newline included), in row order, after ``serialize(_:options:)``.
    func forEachLine(_ body: (StoredResponse, UnsafeRawBufferPointer) throws(ExportError) -> Void) throws(ExportError) {
        let result: Result<Void, ExportError> = writer.bytes.withUnsafeBytes { bytes in
            var start = 0
            for (row, end) in zip(rows, ends) {
                do throws(ExportError) {
                    try body(row, UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                } catch {
                    return .failure(error)
                }
                start = end
            }
            return .success(())
        }
        try result.get()
    }

    /// Empties the batch, keeping its buffers.
    func removeAll() {
        rows.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}
