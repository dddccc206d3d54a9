import ArgumentParser
import CommandSupport
import Foundation
import Privacy

#if canImport(Glibc)
    import Glibc
#endif

/// `steward privacy`: tools for the differential-privacy engine.
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Continual-release differential privacy: simulate mechanisms before deploying.",
        subcommands: [PrivacySimulate.self, PrivacyBudget.self, PrivacyAccuracy.self]
    )
}


/// `steward privacy simulate`: runs a mechanism over a known stream read from stdin.
struct PrivacySimulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Release noisy prefix sums of a stream read from stdin (evaluation only).",
        discussion: """
            Reads T non-negative integer increments from stdin, one per line, and writes N lines, \
            each T comma-separated raw noisy prefix sums (no post-processing). With --summary it \
            writes instead a CSV header and one row: mechanism, rho, steps, runs, the maximum and \
            mean over steps of the empirical RMSE against the true prefix sums, and the theoretical \
            maximum and mean RMSE. --seed makes the noise reproducible and exists for evaluation \
            only: values made with a public seed are not private. The service always uses its \
            secret key (STEWARD_NOISE_KEY or STEWARD_NOISE_KEY_FILE).
            """
    )

    @Option(help: "tree | honaker | sqrt | blt") var mechanism: PrivacyConfiguration.Mechanism
    @Option(help: "ρ-zCDP budget of the series (e.g. 0.5).") var rho: Double
    @Option(help: "Number of steps T to read from stdin.") var steps: Int
    @Option(help: "Number of independent runs N.") var runs: Int
    @Option(help: "Public seed of the evaluation-only noise key.") var seed: UInt64
    @Flag(help: "Print accuracy against the truth and the theory instead of the runs.") var summary = false

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard rho > 0 else { throw ValidationError("--rho must be positive") }
    }

    func run() throws {
        let increments = try readIncrements(count: steps)
        let simulation: Simulation
        do {
            simulation = try Simulation(mechanism: mechanism, rho: rho, increments: increments, seed: seed)
        } catch {
            throw ValidationError(error.description)
        }
        var output = StandardOutput()
        if summary {
            let s = simulation.summary(runs: runs)
            output.write("mechanism,rho,steps,runs,max_rmse,mean_rmse,theory_max_rmse,theory_mean_rmse\n")
            output.write(
                "\(mechanism.rawValue),\(rho),\(steps),\(runs),\(s.maxRMSE),\(s.meanRMSE),"
                    + "\(s.theoreticalMaxRMSE),\(s.theoreticalMeanRMSE)\n")
        } else {
            for r in 0..<runs {
                let values = simulation.run(r)
                var line = ""
                line.reserveCapacity(values.count * 12)
                for (i, v) in values.enumerated() {
                    if i > 0 { line.append(",") }
                    line.append(v.description)
                }
                line.append("\n")
                output.write(line)
            }
        }
        output.flush()
    }

    /// Reads exactly `count` non-negative integers, one per line.
    func readIncrements(count: Int) throws -> [Int64] {
        var values: [Int64] = []
        values.reserveCapacity(count)
        var lineNumber = 0
        while values.count < count, let line = readLine() {
            lineNumber += 1
            let text = line.filter { !$0.isWhitespace }
            if text.isEmpty { continue }
            guard let v = Int64(text), v >= 0 else {
                throw ValidationError("stdin line \(lineNumber): expected a non-negative integer, got \"\(text)\"")
            }
            values.append(v)
        }
        guard values.count == count else {
            throw ValidationError("stdin ended after \(values.count) increments; --steps asked for \(count)")
        }
        return values
    }
}

/// Buffered writes to stdout.
struct StandardOutput {
    var buffer: [UInt8] = []

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// `steward privacy budget`: the (ε, δ) guarantee of ρ-zCDP composed over several series.
struct PrivacyBudget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Compose ρ-zCDP over the series one unit touches and convert to (ε, δ).",
        discussion: "Prints one JSON object: {\"rho\": total ρ, \"epsilon\": ε, \"delta\": δ}."
    )

    @Option(help: "ρ-zCDP per series.") var rho: Double
    @Option(help: "δ of the (ε, δ) guarantee.") var delta: Double = 1e-6
    @Option(help: "Series one privacy unit touches (composition).") var series = 1

    func validate() throws {
        guard rho > 0, delta > 0, delta < 1, series >= 1 else {
            throw ValidationError("need --rho > 0, 0 < --delta < 1 and --series ≥ 1")
        }
    }

    func run() {
        let total = Accountant.compose(Array(repeating: rho, count: series))
        print("{\"rho\": \(total), \"epsilon\": \(Accountant.epsilon(rho: total, delta: delta)), \"delta\": \(delta)}")
    }
}

/// `steward privacy accuracy`: the theoretical max-RMSE table (mechanism × horizon).
struct PrivacyAccuracy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accuracy",
        abstract: "Print the theoretical max-RMSE of every mechanism for several horizons (markdown table)."
    )

    @Option(help: "ρ-zCDP per series.") var rho: Double = 0.5
    @Option(help: "Comma-separated log2 horizons.") var log2Steps = "10,16,20,24"

    func run() throws {
        let logs = log2Steps.split(separator: ",").compactMap { Int($0) }
        print("| mechanism | " + logs.map { "T = 2^\($0)" }.joined(separator: " | ") + " |")
        print("|---|" + logs.map { _ in "---:|" }.joined())
        for mechanism in PrivacyConfiguration.Mechanism.allCases {
            var cells: [String] = []
            for k in logs {
                let value = try AccuracyTable.maxRMSE(mechanism: mechanism, rho: rho, horizon: Int64(1) << k)
                cells.append(String(format: "%.3f", value))
            }
            print("| \(mechanism.rawValue) | " + cells.joined(separator: " | ") + " |")
        }
    }
}
