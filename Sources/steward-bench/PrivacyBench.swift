import ArgumentParser
import CommandSupport
import Foundation
import Privacy

#if canImport(Glibc)
    import Glibc
#endif

/// `steward bench privacy`: throughput of the privacy engine on one core.
struct PrivacyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Measure increments/s, noisy releases/s (noise included), sampler draws/s and bounding.",
        discussion: "Uses an evaluation-only key; times are this thread's CPU time. Build with -c release for "
            + "meaningful figures."
    )

    @Option(help: "Mechanism for the release benchmark.") var mechanism: PrivacyConfiguration.Mechanism = .blt
    @Option(help: "Series in the release benchmark (each released once per round).") var series = 10_000
    @Option(help: "Release rounds over all series.") var rounds = 200
    @Option(help: "Increments in the increment benchmark.") var increments = 100_000_000
    @Option(help: "Distinct users in the bounding benchmark.") var users = 1_000_000
    @Option(help: "Steps per epoch (BLT horizons above 2^20 use 5 buffers instead of 4).") var horizon: Int64 = 1 << 20

    func run() throws {
        let key = NoiseKey.evaluationOnly(seed: 1)
        let configuration = PrivacyConfiguration(mechanism: mechanism, rho: 0.5, horizon: horizon)
        let engine = try PrivacyEngine(configuration: configuration, key: key)
        let horizonText = horizon.nonzeroBitCount == 1 ? "2^\(horizon.trailingZeroBitCount)" : "\(horizon)"
        print("privacy bench (1 core, \(mechanism.rawValue), horizon \(horizonText), rho 0.5)")

        // Increments: the hot path of counting (one add per admitted event).
        var counter = engine.makeCounter(series: "bench/increments")
        var start = now()
        for i in 0..<increments { counter.add(Int64(i & 1)) }
        var elapsed = now() - start
        _ = try counter.release(step: 0)
        report("increments", Double(increments), elapsed)

        // Noisy releases: every series closes a step, noise included.
        var counters = (0..<series).map { engine.makeCounter(series: "bench/series-\($0)") }
        var checksum = 0.0
        start = now()
        for round in 0..<rounds {
            for i in counters.indices {
                counters[i].add(Int64(i & 7))
                checksum += try counters[i].release(step: Int64(round)).value
            }
        }
        elapsed = now() - start
        report("noisy releases", Double(series * rounds), elapsed)

        // Raw sampler draws at the BLT's noise scale and at a small scale.
        for (label, sigma2) in [("discrete gaussian σ²≈2^83", UInt128(1) << 83), ("discrete gaussian σ²=21", 21)] {
            let sampler = DiscreteGaussian(sigma2Numerator: sigma2)
            var stream = key.series("bench/sampler").stream(domain: 9, index: 0)
            let draws = 2_000_000
            var acc: Int64 = 0
            start = now()
            for _ in 0..<draws { acc &+= sampler.sample(&stream) }
            elapsed = now() - start
            checksum += Double(acc & 1)
            report(label, Double(draws), elapsed)
        }

        // Contribution bounding for `users` distinct users, three contributions each.
        let before = residentBytes()
        var bounder = ContributionBounder(
            caps: PrivacyConfiguration.Caps(perWindow: 10, perSeries: 1, perUser: 4), expectedUsers: users)
        let seriesNames = (0..<8).map { Array("series-\($0)".utf8) }
        start = now()
        var admitted = 0
        for round in 0..<3 {
            for u in 0..<users {
                var id = Array("user-".utf8)
                var n = u
                repeat {
                    id.append(UInt8(48 + n % 10))
                    n /= 10
                } while n > 0
                if bounder.admit(user: id, series: seriesNames[(u + round) & 7], window: 0) { admitted += 1 }
            }
        }
        elapsed = now() - start
        let after = residentBytes()
        report("bounding admits", Double(3 * users), elapsed)
        print(
            "bounding: \(users) users, \(admitted) admitted, \(bounder.dropped) dropped, tables "
                + "\(bounder.memoryBytes / 1_048_576) MiB, resident growth \((after - before) / 1_048_576) MiB")
        print("(checksum \(checksum.isFinite))")
    }

    /// CPU time of this thread: figures per core that do not depend on what else the machine runs.
    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    func report(_ label: String, _ count: Double, _ seconds: Double) {
        let rate = count / seconds
        let text = rate >= 1e6 ? "\((rate / 1e5).rounded() / 10) M/s" : "\((rate / 1e2).rounded() / 10) k/s"
        print("\(label): \(text) (\(Int(count)) in \((seconds * 1000).rounded() / 1000) s)")
    }

    /// Resident set size from /proc/self/statm.
    func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let resident = Int(fields[1]) else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
