import HarvestCore
import HarvestExport
import HarvestJSON
import SQLiteStore

/// Streams stored responses into a JSONL file page by page (bounded memory), atomically.
public struct Exporter: Sendable {
    /// What to export.
    public struct Selection: Sendable {
        /// Only responses to prompts of this set.
        public var setName: String?
        /// Only responses of this sweep.
        public var sweepId: Int64?
        /// Stop after this many rows.
        public var limit: Int?

        /// Creates a selection.
        public init(setName: String? = nil, sweepId: Int64? = nil, limit: Int? = nil) {
            self.setName = setName
            self.sweepId = sweepId
            self.limit = limit
        }
    }

    /// Counts of a finished export.
    public struct Summary: Sendable, Equatable {
        /// Rows written.
        public var rows: Int
        /// Bytes written.
        public var bytes: Int
    }

    /// Formats by `--format` name.
    public static let formats: [String: any ExportFormat] = ["openai": OpenAIChatFormat()]

    let store: SQLiteStore

    /// Creates an exporter over `store`.
    public init(store: SQLiteStore) {
        self.store = store
    }

    /// Writes every selected row to `path` (`-` for stdout). A failure leaves no partial file.
    public func export(_ selection: Selection, format: any ExportFormat, options: ExportOptions, to path: String) throws -> Summary {
        let sink = try ExportSink(path: path)
        var rows = 0
        var afterId: Int64 = 0
        var writer = JSONWriter(capacity: 1 << 16)
        let pageSize = 512
        do {
            page: while true {
                let page = try store.responses(query: ResponseQuery(setName: selection.setName, sweepId: selection.sweepId,
                                                                    afterId: afterId, limit: pageSize, includeLogprobs: options.withLogprobs))
                if page.isEmpty { break }
                for row in page {
                    if let limit = selection.limit, rows >= limit { break page }
                    writer.reset()
                    format.write(row, options: options, to: &writer)
                    writer.bytes.append(0x0A)
                    try sink.write(writer.bytes)
                    rows += 1
                    afterId = row.id
                }
                if page.count < pageSize { break }
            }
            try sink.finish()
        } catch {
            sink.abandon()
            throw error
        }
        return Summary(rows: rows, bytes: sink.bytesWritten)
    }
}
