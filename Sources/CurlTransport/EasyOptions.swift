import CCurl

/// The C signature curl expects for `CURLOPT_WRITEFUNCTION` and `CURLOPT_HEADERFUNCTION`.
typealias CurlDataCallback = @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int

/// Sets options on one easy handle, remembering the first one curl refused.
struct EasyOptions {
    private let handle: UnsafeMutableRawPointer
    /// The first non-OK result, if any.
    private(set) var firstFailure: CURLcode?

    init(handle: UnsafeMutableRawPointer) {
        self.handle = handle
    }

    mutating func set(_ option: CURLoption, _ value: Int) {
        record(ccurl_easy_setopt_long(handle, option, value))
    }

    mutating func set(_ option: CURLoption, offset: curl_off_t) {
        record(ccurl_easy_setopt_off_t(handle, option, offset))
    }

    /// Passes a pointer curl keeps using until the transfer ends; the caller keeps it valid.
    mutating func set(_ option: CURLoption, pointer: UnsafeRawPointer?) {
        record(ccurl_easy_setopt_ptr(handle, option, pointer))
    }

    /// Passes a string; curl copies string options, so the temporary C string suffices.
    mutating func set(_ option: CURLoption, string: String) {
        let handle = self.handle
        record(string.withCString { ccurl_easy_setopt_ptr(handle, option, $0) })
    }

    mutating func setCallback(_ option: CURLoption, _ callback: CurlDataCallback) {
        record(ccurl_easy_setopt_write_cb(handle, option, callback))
    }

    private mutating func record(_ code: CURLcode) {
        if code != CURLE_OK && firstFailure == nil { firstFailure = code }
    }
}
