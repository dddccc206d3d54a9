// Records are `JSONValue`s: importing Pipeline brings the JSON module with it.
@_exported import JSON
