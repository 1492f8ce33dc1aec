/// How a teacher's identity (``TeacherEndpoint/name``, part of every ``JobKey``) is derived.
///
/// Rules, in order:
/// 1. an explicit name (`--teacher-name`, a configured teacher's `name`) is used as given;
/// 2. the built-in mock teacher is `builtin-mock` (it listens on a new port each run);
/// 3. otherwise ``defaultName(model:kind:)``: the model name plus the endpoint kind, never the URL — so a teacher
///    restarted on another port, moved to another host or given a new replica is the same teacher and nothing
///    done is paid for again.
///
/// Databases written before this rule hold identities that are URLs (`http://127.0.0.1:8000/v1`): those rows keep
/// their stored identity (their job keys stay valid); ``isLegacyURLName(_:)`` recognises them so that a re-run of
/// the same command without `--teacher-name` can adopt the stored identity (see `SweepIdentity` in HarvestKit).
public enum TeacherIdentity {
    /// The name of the built-in mock teacher.
    public static let builtinMockName = "builtin-mock"

    /// The default identity: `MODEL@KIND`, e.g. `Qwen/Qwen2.5-7B-Instruct@chat`.
    public static func defaultName(model: String, kind: EndpointKind) -> String {
        "\(model)@\(kind.rawValue)"
    }

    /// The identity for a teacher given on the command line: rule 1, 2 or 3 above.
    public static func resolve(explicitName: String?, model: String, kind: EndpointKind, builtinMock: Bool) -> String {
        if let explicitName, !explicitName.isEmpty { return explicitName }
        if builtinMock { return builtinMockName }
        return defaultName(model: model, kind: kind)
    }

    /// True for an identity written by older versions, which used the base URL as the default name.
    public static func isLegacyURLName(_ name: String) -> Bool {
        name.hasPrefix("http://") || name.hasPrefix("https://")
    }
}
