import Foundation

/// Reads every row of one table of an endpoint on its own thread, page after page in key order, into a
/// ``PagePipe``: the verification digests a page (``RowCanonicalizer``, SHA-256) while the next one is read.
///
/// Owns the endpoint while it runs: the caller touches it only after ``PagePipe/waitForReader()`` or
/// ``PagePipe/cancel()`` returned (hence `@unchecked Sendable`).
final class PageReader: @unchecked Sendable {
    private let endpoint: any CopyEndpoint
    private let table: CopyTable
    private let pageRows: Int

    init(_ endpoint: any CopyEndpoint, _ table: CopyTable, pageRows: Int) {
        self.endpoint = endpoint
        self.table = table
        self.pageRows = pageRows
    }

    /// Starts the reading thread.
    func start(into pipe: PagePipe<[[CopyValue]], Bool>) {
        let thread = Thread { self.run(into: pipe) }
        thread.name = "db-copy-verify"
        thread.start()
    }

    private func run(into pipe: PagePipe<[[CopyValue]], Bool>) {
        do {
            var after: [CopyValue]? = nil
            while true {
                let page = try endpoint.readPage(table, after: after, limit: pageRows)
                guard let last = page.last else { break }
                after = table.keyIndices.map { last[$0] }
                guard pipe.put(page) else { break }
            }
            pipe.finish(true)
        } catch {
            pipe.fail(error)
        }
    }
}
