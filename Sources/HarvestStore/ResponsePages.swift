import HarvestCore

/// A stream of stored responses in id order, read page by page (``CorpusReader/openResponsePages(query:)``).
/// Used by one thread at a time; ``close()`` ends it early and frees what it holds (a cursor, a connection).
public protocol ResponsePages: AnyObject {
    /// The next page (at most the query's `limit` rows, never empty), or nil after the last one.
    func next() throws -> [StoredResponse]?
    /// Ends the stream; later ``next()`` calls return nil. Safe to call more than once.
    func close()
}

/// ``ResponsePages`` by keyset pagination: each page is one `responses(query:)` call after the last id read.
public final class KeysetResponsePages: ResponsePages {
    private let read: (ResponseQuery) throws -> [StoredResponse]
    private var query: ResponseQuery
    private var done = false

    /// Pages of `query` (its `limit` rows each), read through `read`.
    public init(query: ResponseQuery, read: @escaping (ResponseQuery) throws -> [StoredResponse]) {
        self.query = query
        self.read = read
    }

    /// The next page, or nil after the last one.
    public func next() throws -> [StoredResponse]? {
        guard !done, query.limit > 0 else { return nil }
        let page = try read(query)
        if page.count < query.limit { done = true }
        guard let last = page.last else { return nil }
        query.afterId = last.id
        return page
    }

    /// Ends the stream.
    public func close() { done = true }
}
