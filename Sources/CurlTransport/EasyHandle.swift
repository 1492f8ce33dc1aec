import CCurl

/// A curl easy handle plus its error buffer, recycled across transfers.
///
/// Confined to the event thread.
final class EasyHandle {
    /// The `CURL *`.
    let raw: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER` storage, `CURL_ERROR_SIZE` bytes.
    let errorBuffer: UnsafeMutablePointer<CChar>

    /// Creates a handle, or nil when curl cannot allocate one.
    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    /// Clears every option so the handle can carry the next transfer.
    /// Live connections stay in the multi handle's cache.
    func reset() {
        curl_easy_reset(raw)
        errorBuffer[0] = 0
    }

    /// The text curl left in the error buffer, or nil when empty.
    var errorText: String? {
        errorBuffer[Int(CURL_ERROR_SIZE) - 1] = 0
        let text = String(cString: errorBuffer)
        return text.isEmpty ? nil : text
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }
}
