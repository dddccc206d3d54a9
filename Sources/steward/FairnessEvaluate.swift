import ArgumentParser
import EngineStages
import Fairness
import Foundation
import Pipeline

/// `steward fairness`: offline evaluation, the windowed monitor over a recorded stream, and alert payloads.
struct FairnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fairness",
        abstract: "Group-fairness metrics (Fairlearn definitions), windows, drift tests and alerts.",
        subcommands: [FairnessEvaluate.self, FairnessMonitorCommand.self]
    )
}

/// `steward fairness evaluate`: Fairlearn 0.15's metrics over a whole file, printed as one JSON object.
struct FairnessEvaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compute group-fairness metrics of a CSV or JSONL file, as Fairlearn 0.15 defines them.",
        discussion: """
            Prints {"by_group": {...}, "demographic_parity_difference": x, ...}. Intersectional groups \
            (several --sensitive columns) are joined with '|'. Label-based fields appear only with --label. \
            Values Fairlearn leaves undefined (0/0 ratios) are printed as null. Raw (exact) counts: \
            this tool is for trusted offline use and adds no DP noise.
            """
    )

    @Option(help: "Input file: .csv (with a header row) or .jsonl (one object per line).")
    var input: String

    @Option(help: "Sensitive column(s), comma-separated for intersectional groups.")
    var sensitive: String

    @Option(help: "Column holding the binary prediction (1/0, true/false).")
    var prediction: String

    @Option(help: "Column holding the binary true label.")
    var label: String?

    @Option(help: "Column holding a numeric score (adds mean_score per group).")
    var score: String?

    @Option(help: "Treat exactly this text as the positive outcome (e.g. Yes); anything else is negative.")
    var positive: String?

    func run() throws {
        let sensitiveColumns = sensitive.split(separator: ",").map { String($0) }
        guard !sensitiveColumns.isEmpty else { throw ValidationError("--sensitive needs at least one column") }
        let columns = sensitiveColumns + [prediction] + [label, score].compactMap { $0 }
        let table = try FairnessTable.read(path: input, columns: columns)
        let labelIndex = label == nil ? nil : sensitiveColumns.count + 1
        let scoreIndex = score == nil ? nil : columns.count - 1
        var tallies: [String: GroupTally] = [:]
        for (row, line) in zip(table.rows, table.lines) {
            func cell(_ index: Int) throws -> String {
                guard let value = row[index] else {
                    throw FairnessTable.InputError(
                        description: "\(input):\(line): missing value in column '\(columns[index])'")
                }
                return value
            }
            func outcome(_ index: Int) throws -> Bool {
                let text = try cell(index)
                guard let value = parseOutcome(text, positive: positive) else {
                    throw FairnessTable.InputError(
                        description:
                            "\(input):\(line): '\(text)' in column '\(columns[index])' is not a binary outcome "
                            + "(1/0, true/false); use --positive to name the positive value")
                }
                return value
            }
            let group = try (0..<sensitiveColumns.count).map { try cell($0) }.joined(separator: "|")
            let predicted = try outcome(sensitiveColumns.count)
            let truth = try labelIndex.map { try outcome($0) }
            var scoreValue: Double?
            if let scoreIndex {
                let text = try cell(scoreIndex)
                guard let parsed = Double(text) else {
                    throw FairnessTable.InputError(description: "\(input):\(line): score '\(text)' is not a number")
                }
                scoreValue = parsed
            }
            tallies[group, default: .zero].add(prediction: predicted, label: truth, score: scoreValue)
        }
        let report = FairnessReport(
            counts: tallies.mapValues(\.exact), hasLabels: label != nil, hasScores: score != nil, options: .fairlearn)
        print(FairnessJSON.evaluation(report))
    }
}
