import CurlTransport
import HarvestCore

/// Sends `total` echo requests with at most `width` in flight; returns how many came back
/// with status 200 and their own body.
func sendEchoes(total: Int, width: Int, through transport: CurlTransport, to url: String) async throws -> Int {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        var next = 0
        var good = 0
        func add() {
            let index = next
            next += 1
            group.addTask {
                let body = Array("{\"request\":\(index),\"padding\":\"0123456789abcdef\"}".utf8)
                let response = try await transport.send(HTTPRequest(url: url, body: body))
                return response.status == 200 && response.body == body
            }
        }
        while next < min(width, total) { add() }
        while let ok = try await group.next() {
            if ok { good += 1 }
            if next < total { add() }
        }
        return good
    }
}
