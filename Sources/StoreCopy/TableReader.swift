import Foundation
import HarvestCore

/// Reads one table of the source on its own thread, page after page in key order, and hands each page, ready for
/// the target, to the writer through a ``PagePipe``: leases dropped, logprobs carried into the target's vocabulary
/// (``LogprobCarrier``), and — when it reads the table from its first row — the source's digest of the table taken
/// on the way (``RowCanonicalizer``), so the verification need not read the source again.
///
/// Owns the source endpoint, the carrier and the canonicalizer while it runs: the copier touches none of them until
/// ``PagePipe/waitForReader()`` or ``PagePipe/cancel()`` returned (hence `@unchecked Sendable`).
final class TableReader: @unchecked Sendable {
    /// Rows ready for the target.
    struct Page: Sendable {
        /// The rows, as the target stores them.
        let rows: [[CopyValue]]
        /// Payload bytes read from the source.
        let bytes: Int
    }

    /// What the reader found besides the rows.
    struct Summary: Sendable {
        /// The source's digest of the whole table (nil when it started after the first row).
        let digest: CopyDigest?
    }

    private let source: any CopyEndpoint
    private let table: CopyTable
    private let after: [CopyValue]?
    private let pageRows: Int
    private let carrier: LogprobCarrier?
    private let canonicalizer: RowCanonicalizer

    /// A reader of `table` after key `after` (all rows when nil) in pages of `pageRows`; `carrier` carries logprobs
    /// (needed for ``CopyTable/logprobs`` tables); `canonicalizer` is the source's.
    init(_ source: any CopyEndpoint, _ table: CopyTable, after: [CopyValue]?, pageRows: Int, carrier: LogprobCarrier?,
         canonicalizer: RowCanonicalizer) {
        self.source = source
        self.table = table
        self.after = after
        self.pageRows = pageRows
        self.carrier = carrier
        self.canonicalizer = canonicalizer
    }

    /// Starts the reading thread.
    func start(into pipe: PagePipe<Page, Summary>) {
        let thread = Thread { self.run(into: pipe) }
        thread.name = "db-copy-reader"
        thread.start()
    }

    private func run(into pipe: PagePipe<Page, Summary>) {
        do {
            var after = self.after
            var digest: CopyDigest? = after == nil ? CopyDigest() : nil
            while true {
                let page = try source.readPage(table, after: after, limit: pageRows)
                guard let last = page.last else { break }
                if digest != nil {
                    for row in page { try canonicalizer.add(row, table, to: &digest!) }
                }
                let out = try page.map(carry)
                let bytes = page.reduce(0) { $0 + $1.reduce(0) { $0 + $1.byteCount } }
                after = table.keyIndices.map { last[$0] }
                guard pipe.put(Page(rows: out, bytes: bytes)) else { break }
            }
            pipe.finish(Summary(digest: digest))
        } catch {
            pipe.fail(error)
        }
    }

    /// A source row as the target stores it.
    private func carry(_ row: [CopyValue]) throws -> [CopyValue] {
        var out = StoreCopier.withoutLease(row, table)
        guard table.logprobs else { return out }
        let teacher = out.removeLast()
        guard let at = table.index(of: "logprobs"), case .blob(let blob) = out[at] else { return out }
        guard case .int(let teacherId) = teacher else {
            throw CopyError.badRow(location: source.location, table: table.name, key: "\(out[0])", detail: "its job has no teacher")
        }
        guard let carrier else {
            throw CopyError.badRow(location: source.location, table: table.name, key: "\(out[0])", detail: "no vocabulary was copied")
        }
        do {
            out[at] = .blob(try carrier.carry(blob, teacherId: teacherId))
        } catch {
            throw CopyError.badRow(location: source.location, table: table.name, key: "\(out[0])", detail: "\(error)")
        }
        return out
    }
}
