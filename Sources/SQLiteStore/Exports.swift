// Callers of the SQLite store see the shared store seam (value types and protocols) without a second import.
@_exported import HarvestStore
