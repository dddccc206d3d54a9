import Foundation
import Testing

@testable import Privacy

@Suite struct AccountingTests {
    @Test func conversionIsTighterThanTheSimpleBoundAndConsistent() {
        for rho in [0.01, 0.1, 0.5, 2.0] {
            for delta in [1e-5, 1e-6, 1e-9] {
                let eps = Accountant.epsilon(rho: rho, delta: delta)
                // The classic bound ρ + 2√(ρ log(1/δ)) is looser.
                #expect(eps < rho + 2 * (rho * log(1 / delta)).squareRoot())
                #expect(eps > rho)
                // Converting back gives δ at that ε (same conversion, optimised for δ).
                let back = Accountant.delta(rho: rho, epsilon: eps)
                #expect(abs(log(back) - log(delta)) < 0.01, "ρ \(rho) δ \(delta): δ(ε) = \(back)")
            }
        }
    }

    @Test func compositionAddsRhoAcrossSeries() {
        let event = PrivacyGuarantee(configuration: PrivacyConfiguration(rho: 0.25, seriesPerEvent: 4))
        #expect(event.rho == 1.0)
        let user = PrivacyGuarantee(
            configuration: PrivacyConfiguration(
                rho: 0.1, unit: .user, userField: "uid", caps: .init(perWindow: 5, perSeries: 2, perUser: 8)))
        #expect(abs(user.rho - 0.4) < 1e-12)
        #expect(user.epsilon == Accountant.epsilon(rho: 0.4, delta: 1e-6))
        // What `steward privacy simulate` reports for several series: the sum of their ρ.
        #expect(Accountant.compose([0.25, 0.25, 0.5]) == 1.0)
        #expect(abs(Accountant.compose(Array(repeating: 0.1, count: 4)) - 0.4) < 1e-12)
    }

    @Test func composedRhoIsRoundedOnceFromTheExactProduct() {
        // 0.1 × 6 in doubles is 0.6000000000000001; the exact product rounds to the double of 0.6.
        let event = PrivacyGuarantee(configuration: PrivacyConfiguration(rho: 0.1, seriesPerEvent: 6))
        #expect(event.rho == 0.6)
        #expect("\(event.rho)" == "0.6")
        #expect(PrivacyGuarantee(configuration: PrivacyConfiguration(rho: 0.05, seriesPerEvent: 48)).rho == 2.4)
        let user = PrivacyConfiguration(
            rho: 0.1, unit: .user, userField: "uid", caps: .init(perWindow: 5, perSeries: 3, perUser: 7))
        // 0.1 · 7 / 3 = 7/30.
        #expect(PrivacyGuarantee(configuration: user).rho == 7.0 / 30.0)
    }

    @Test func spentBudgetGrowsPerEpochForUsersOnly() throws {
        let user = PrivacyConfiguration(
            rho: 0.1, unit: .user, userField: "uid", caps: .init(perWindow: 5, perSeries: 1, perUser: 6))
        let guarantee = PrivacyGuarantee(configuration: user)
        #expect(guarantee.spent(user, epochs: 1).rho == 0.6)
        // Three epochs: 1.8 exactly (0.6 × 3 in doubles is 1.7999999999999998).
        let three = guarantee.spent(user, epochs: 3)
        #expect(three.rho == 1.8)
        #expect(three.epsilon == Accountant.epsilon(rho: 1.8, delta: user.delta))
        let event = PrivacyConfiguration(rho: 0.1, seriesPerEvent: 6)
        // An event is counted in one epoch only: the budget does not grow.
        #expect(PrivacyGuarantee(configuration: event).spent(event, epochs: 5).rho == 0.6)
        let engine = try PrivacyEngine(configuration: user, key: .evaluationOnly(seed: 1))
        let statement = PrivacyStatement(engine: engine, epochs: 2)
        #expect(statement.rho == 0.6 && statement.rhoSpent == 1.2 && statement.unit == .user)
        #expect(statement.mechanism == "blt" && statement.delta == user.delta)
    }

    @Test func userLevelSensitivityScalesTheNoise() throws {
        let event = try PrivacyEngine(
            configuration: PrivacyConfiguration(mechanism: .tree, horizon: 1024), key: .evaluationOnly(seed: 1))
        let user = try PrivacyEngine(
            configuration: PrivacyConfiguration(
                mechanism: .tree, horizon: 1024, unit: .user, userField: "u",
                caps: .init(perWindow: 3, perSeries: 3, perUser: 6)),
            key: .evaluationOnly(seed: 1))
        #expect(abs(user.theoreticalMaxRMSE / event.theoreticalMaxRMSE - 3) < 1e-9)
    }

    @Test func configurationValidationExplainsErrors() {
        var c = PrivacyConfiguration()
        c.unit = .user
        #expect(throws: PrivacyError.self) { try c.validate() }
        c.userField = "user_id"
        #expect(throws: Never.self) { try c.validate() }
        c.rho = -1
        #expect(throws: PrivacyError.self) { try c.validate() }
        c.rho = 0.5
        c.horizon = Int64(1) << 30
        #expect(throws: PrivacyError.self) { try c.validate() }
    }

    @Test func rationalParsesDecimalsExactly() {
        #expect(Rational(decimal: "0.5") == Rational(1, 2))
        #expect(Rational(decimal: "1e-3") == Rational(1, 1000))
        #expect(Rational(decimal: "0.125") == Rational(1, 8))
        #expect(Rational(decimal: "abc") == nil)
    }
}

@Suite struct BoundingTests {
    @Test func capsAreEnforcedAndDropsCounted() {
        var b = ContributionBounder(
            caps: .init(perWindow: 3, perSeries: 2, perUser: 4), expectedUsers: 1000, pairSketchWidth: 1 << 12)
        func admit(_ user: String, _ series: String, _ window: Int64) -> Bool {
            b.admit(user: Array(user.utf8), series: Array(series.utf8), window: window)
        }
        // per series: 2 to s1
        #expect(admit("alice", "s1", 0))
        #expect(admit("alice", "s1", 0))
        #expect(!admit("alice", "s1", 0))
        // per window: third admitted row in window 0 fills it
        #expect(admit("alice", "s2", 0))
        #expect(!admit("alice", "s3", 0))
        // per user: 4th overall in a new window, then nothing more this epoch
        #expect(admit("alice", "s3", 1))
        #expect(!admit("alice", "s4", 2))
        #expect(b.dropped == 3 && b.admitted == 4)
        // other users are unaffected
        #expect(admit("bob", "s1", 0))
        b.startEpoch()
        #expect(admit("alice", "s1", 3))
    }

    @Test func neverExceedsCapsUnderManyUsers() {
        // A small sketch forces collisions: they may cause false drops but never over-admission.
        var b = ContributionBounder(
            caps: .init(perWindow: 100, perSeries: 2, perUser: 100), expectedUsers: 64, pairSketchWidth: 256)
        var perPair: [String: Int] = [:]
        for i in 0..<20_000 {
            let user = "u\(i % 3000)"
            let series = "s\(i % 7)"
            if b.admit(user: Array(user.utf8), series: Array(series.utf8), window: 0) {
                perPair[user + "|" + series, default: 0] += 1
            }
        }
        #expect(perPair.values.allSatisfy { $0 <= 2 })
        #expect(b.dropped > 0)
        #expect(b.admitted == Int64(perPair.values.reduce(0, +)))
    }

    @Test func tablesForAMillionUsersFitIn64MiB() {
        let b = ContributionBounder(caps: .init(), expectedUsers: 1_000_000)
        #expect(b.memoryBytes <= 64 << 20)
    }
}
