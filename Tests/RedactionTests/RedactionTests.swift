import Testing

@testable import Redaction
