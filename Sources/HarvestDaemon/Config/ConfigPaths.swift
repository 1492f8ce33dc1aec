import Foundation

/// Where the config file is looked for, and how relative paths inside it are read.
public enum ConfigPaths {
    /// The config of a system install.
    public static let systemDefault = "/etc/harvest/harvest.json"

    /// `--config`, else `$HARVEST_CONFIG`, else `/etc/harvest/harvest.json` when `useSystemDefault` (nil otherwise).
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                              useSystemDefault: Bool) -> String? {
        if let explicit { return explicit }
        if let env = environment["HARVEST_CONFIG"], !env.isEmpty { return env }
        return useSystemDefault ? systemDefault : nil
    }

    /// `path` if absolute, else `path` inside `directory`.
    public static func resolve(_ path: String, against directory: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    /// The directory part of `file` ("" for a bare file name).
    public static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }
}
