import HarvestCore
import HarvestStore

/// A server-side cursor over the responses of a query (``PostgresStore/openResponsePages(query:)``): its own
/// connection, one `REPEATABLE READ, READ ONLY` transaction (every page comes from the same snapshot), and
/// `FETCH FORWARD n` per page, so the client holds one page at a time however large the export.
final class PostgresResponseCursor: ResponsePages {
    private let connection: PostgresConnection
    private let rows: PostgresResponseRows
    private let vocabulary: PostgresReadVocabulary
    private let pageSize: Int
    private var open = false

    /// Opens a connection to `url` and declares the cursor for `query` (pages of `query.limit` rows).
    init(url: PostgresURL, query: ResponseQuery, vocabulary: PostgresReadVocabulary) throws {
        connection = try PostgresConnection(url: url)
        self.vocabulary = vocabulary
        pageSize = max(1, query.limit)
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        do {
            rows = try PostgresResponseRows(query, paged: false, connection)
            try connection.execute("DECLARE harvest_responses NO SCROLL CURSOR FOR " + rows.sql, rows.params)
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
        open = true
    }

    deinit { close() }

    /// The next page, or nil after the last one (the transaction then ends).
    func next() throws -> [StoredResponse]? {
        guard open else { return nil }
        do {
            let result = try connection.execute("FETCH FORWARD \(pageSize) FROM harvest_responses")
            let page = try rows.decode(result, vocabulary: vocabulary, connection)
            if page.count < pageSize { close() }
            return page.isEmpty ? nil : page
        } catch {
            close()
            throw error
        }
    }

    /// Ends the transaction (and with it the cursor); the connection closes with the object.
    func close() {
        guard open else { return }
        open = false
        _ = try? connection.execute("ROLLBACK")
    }
}
