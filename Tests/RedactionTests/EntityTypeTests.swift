import Testing

@testable import Redaction

/// Entity types are interned names: equal names give one identity (also when many threads make them
/// at once), and an `Entity` stays a plain value, which the result arrays rely on to be made and freed
/// without reference counting per element.
@Suite struct EntityTypeTests {
    @Test func equalNamesAreOneTypeAndDifferentNamesAreNot() {
        let a = EntityType("EMPLOYEE_ID")
        let b = EntityType(rawValue: String(["EMPLOYEE", "ID"].joined(separator: "_")))
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.rawValue == "EMPLOYEE_ID")
        #expect(a != EntityType("EMPLOYEE_ID "))
        #expect(EntityType("PERSON") == .person)
        #expect(Set([a, b, .person, EntityType("PERSON")]).count == 2)
        #expect([EntityType("URL"), .emailAddress, .creditCard].sorted().map(\.rawValue) == ["CREDIT_CARD", "EMAIL_ADDRESS", "URL"])
    }

    @Test func concurrentInterningGivesOneIdentity() async {
        let names = (0..<64).map { "CONCURRENT_\($0)" }
        let made = await withTaskGroup(of: [EntityType].self) { group in
            for _ in 0..<8 { group.addTask { names.map { EntityType($0) } } }
            var all: [[EntityType]] = []
            for await r in group { all.append(r) }
            return all
        }
        for r in made { #expect(r == made[0]) }
        #expect(Set(made.flatMap { $0 }).count == names.count)
    }

    @Test func entitiesArePlainValues() {
        #expect(_isPOD(EntityType.self))
        #expect(_isPOD(Entity.self))
    }
}
