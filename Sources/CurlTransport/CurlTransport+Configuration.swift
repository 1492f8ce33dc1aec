extension CurlTransport {
    /// Settings shared by every transfer of one ``CurlTransport``.
    public struct Configuration: Sendable, Hashable {
        /// Size of the multi handle's connection cache (`CURLMOPT_MAXCONNECTS`).
        ///
        /// Keep it at about twice the expected number of requests in flight: when the cache is
        /// smaller, curl closes idle keep-alive connections and has to reconnect.
        public var maxConnections: Int
        /// Most simultaneous connections to one host (`CURLMOPT_MAX_HOST_CONNECTIONS`); 0 means unlimited.
        /// Transfers beyond the limit wait inside curl for a free connection.
        public var maxHostConnections: Int
        /// The `User-Agent` header sent with every request.
        public var userAgent: String
        /// Verifies TLS certificates and host names. Turn off only for local test servers.
        public var verifyTLS: Bool
        /// Lets curl honour `http_proxy`, `https_proxy` and `no_proxy` from the environment.
        /// When false, proxies are disabled outright.
        public var proxyFromEnvironment: Bool
        /// Negotiates HTTP/2 over TLS and multiplexes streams; when false, HTTP/1.1 with keep-alive.
        public var http2: Bool
        /// Sends `Accept-Encoding` for every encoding curl supports and decodes responses transparently.
        /// Off by default; when on, ``HarvestCore/HTTPRequest/maxResponseBytes`` counts decoded bytes.
        public var acceptCompressedResponses: Bool
        /// Most idle easy handles kept for reuse.
        public var maxIdleHandles: Int

        /// Creates a configuration. The defaults suit a few hundred requests in flight over HTTP/1.1.
        public init(
            maxConnections: Int = 512,
            maxHostConnections: Int = 0,
            userAgent: String = "harvest/0.1",
            verifyTLS: Bool = true,
            proxyFromEnvironment: Bool = true,
            http2: Bool = false,
            acceptCompressedResponses: Bool = false,
            maxIdleHandles: Int = 1024
        ) {
            self.maxConnections = maxConnections
            self.maxHostConnections = maxHostConnections
            self.userAgent = userAgent
            self.verifyTLS = verifyTLS
            self.proxyFromEnvironment = proxyFromEnvironment
            self.http2 = http2
            self.acceptCompressedResponses = acceptCompressedResponses
            self.maxIdleHandles = maxIdleHandles
        }
    }
}
