import HarvestKit

/// One configured teacher of the daemon: the engine's ``TeacherSpec`` (read by ``TeacherSpec/parse(_:)``).
public typealias TeacherConfig = TeacherSpec
