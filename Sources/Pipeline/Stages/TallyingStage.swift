/// A record stage that keeps counts for operators (e.g. redactions by entity type): cumulative,
/// part of the stage's value (so rolled back with it), and read once per batch by the runtime,
/// never per record.
public protocol TallyingStage: RecordStage {
    var tallies: [String: Int] { get }
}
