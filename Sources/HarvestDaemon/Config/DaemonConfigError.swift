import HarvestKit

/// A daemon config error: the one config error of harvest (``ConfigFileError``), naming file and field path.
public typealias DaemonConfigError = ConfigFileError
