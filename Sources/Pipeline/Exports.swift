// Records are `JSONValue`s: importing Pipeline brings the JSON module with it.
@_exported import JSON
// Event times are `Timestamp`s, shared with the engines.
@_exported import Timestamps
