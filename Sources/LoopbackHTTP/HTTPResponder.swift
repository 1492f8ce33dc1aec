/// Answers the requests of one connection. ``HTTPServer`` makes one responder per accepted connection and calls it
/// from that connection's thread only, so a responder may keep per-connection scratch buffers without locking.
public protocol HTTPResponder: AnyObject {
    /// Answers one complete request (`body` is valid only during the call). Returns whether the connection may
    /// serve another request (the server also closes it when the client asked to, or when the server is stopping).
    func respond(to request: HTTPRequestHead, body: UnsafeBufferPointer<UInt8>, on channel: HTTPChannel) -> Bool

    /// Answers a request the server refused before handing it over: 400 (malformed head), 411 (chunked body),
    /// 413 (body too large) or 431 (head too large). The connection is closed afterwards.
    func refuse(status: Int, message: String, on channel: HTTPChannel)
}
