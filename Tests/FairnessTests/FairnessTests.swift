import Testing

@testable import Fairness
