import ArgumentParser
import Fairness
import Foundation

/// `steward bench drift`: detection delay of a 0.10 shift in demographic parity difference, and false alarms on
/// stationary streams, with TEST-ONLY Gaussian DP noise on every count.
struct FairnessBenchDrift: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Measure drift-detection delay and false alarms of the fairness monitor on generated streams.",
        discussion: """
            Two groups, each event in group a or b with probability 1/2; selection rates 0.50 and 0.45 \
            (DP difference 0.05), then group b drops to 0.35 (difference 0.15: a 0.10 shift). Every count is \
            released with TEST-ONLY Gaussian noise of sigma 1/sqrt(2 rho) (no privacy guarantee; it stands in for \
            the privacy layer). Delay is counted in events per group after the shift (the larger group's count).
            """
    )

    @Option(help: "Events per tumbling window (both groups together).")
    var eventsPerWindow = 500

    @Option(help: "zCDP rho whose Gaussian-mechanism sigma the test-only noise uses.")
    var rho = 0.5

    @Option(help: "Override the noise sigma.")
    var sigma: Double?

    @Option(help: "Shift trials.")
    var trials = 200

    @Option(help: "Events in the stationary false-alarm run.")
    var stationaryEvents = 50_000_000

    @Option(help: "Configured false-alarm rate per window of the drift test.")
    var falseAlarmRate = 1e-6

    @Option(help: "Reference value k of the test, in standard errors.")
    var reference = 1.0

    @Option(help: "Reference-period windows that form the baseline.")
    var referenceWindows = 20

    @Option(help: "Write the per-window noisy DP difference of each stream to this folder (for scripts/fairness).")
    var emit: String?

    @Option(help: "Random seed.")
    var seed: UInt64 = 2026

    func run() throws {
        let noiseSigma = sigma ?? TestOnlyGaussianNoise.sigma(rho: rho)
        var config = FairnessConfig(
            mode: .private, sensitive: [SensitiveAttribute(["g"])], prediction: "p",
            window: WindowSpec(kind: .tumbling, size: EventDuration(milliseconds: Int64(eventsPerWindow))),
            watermark: WatermarkSpec(maxOutOfOrderness: EventDuration(milliseconds: 0)), minGroupSize: 30,
            baseline: BaselineSpec(referenceWindows: referenceWindows),
            drift: DriftSpec(
                metrics: [.demographicParityDifference], falseAlarmRate: falseAlarmRate, reference: reference),
            fourFifths: FourFifthsSpec(enabled: false))
        config.alerts.pipeline = "bench"
        let threshold = SequentialDetector.threshold(reference: reference, falseAlarmRate: falseAlarmRate)
        print(
            "steward bench drift — TEST-ONLY Gaussian noise sigma=\(format(noiseSigma)) per count (rho=\(rho) Gaussian mechanism)"
        )
        print(
            "windows of \(eventsPerWindow) events (~\(eventsPerWindow / 2) per group); CUSUM k=\(reference) h=\(format(threshold)) "
                + "for \(falseAlarmRate) false alarms per window; baseline = first \(referenceWindows) windows")

        var rng = TestOnlyGaussianNoise(sigma: noiseSigma, seed: seed)
        var trialRows = "trial,window,events_per_group_since_shift,value\n"
        var delays: [Int] = []
        var missed = 0
        var earlyAlarms = 0
        let clock = ContinuousClock()
        let shiftStart = clock.now
        for trial in 0..<trials {
            var stream = Generator(config: config, noise: rng)
            rng = TestOnlyGaussianNoise(sigma: noiseSigma, seed: rng.nextUInt64())
            let shiftAt =
                Int64((referenceWindows + 5 + Int(stream.noise.nextUniform() * 10)) * eventsPerWindow)
                + Int64(stream.noise.nextUniform() * Double(eventsPerWindow))
            var sinceShift = (a: 0, b: 0)
            var outcome: Int?
            // Every trial runs the same length (the streams are shared with the river script), 60 windows past the shift.
            let limit = shiftAt + Int64(60 * eventsPerWindow)
            while stream.time < limit {
                let shifted = stream.time >= shiftAt
                let (group, windows) = stream.step(a: 0.5, b: shifted ? 0.35 : 0.45)
                if shifted {
                    if group == "a" { sinceShift.a += 1 } else { sinceShift.b += 1 }
                }
                for (value, fired) in windows {
                    let since = shifted ? max(sinceShift.a, sinceShift.b) : -Int((shiftAt - stream.time) / 2)
                    if emit != nil { trialRows += "\(trial),\(stream.windows),\(since),\(value.map(format) ?? "")\n" }
                    if fired && outcome == nil {
                        if shifted { outcome = since } else { earlyAlarms += 1 }
                    }
                }
            }
            if let outcome { delays.append(outcome) } else { missed += 1 }
        }
        let shiftSeconds = seconds(clock.now - shiftStart)
        delays.sort()
        func percentile(_ q: Double) -> Int {
            delays.isEmpty ? 0 : delays[min(delays.count - 1, Int(q * Double(delays.count)))]
        }
        let mean = delays.isEmpty ? 0 : Double(delays.reduce(0, +)) / Double(delays.count)
        print(
            "shift 0.10: \(trials) trials, detected \(delays.count), missed (none within 60 windows) \(missed), alarms before the shift \(earlyAlarms)"
        )
        print(
            "  delay in events per group: mean \(Int(mean.rounded())), median \(percentile(0.5)), p90 \(percentile(0.9)), "
                + "p99 \(percentile(0.99)), max \(delays.last ?? 0) (target <= 2000)")

        var stationary = Generator(config: config, noise: TestOnlyGaussianNoise(sigma: noiseSigma, seed: seed ^ 0x5eed))
        var stationaryRows = "window,value\n"
        var alarms = 0
        let stationaryStart = clock.now
        while stationary.time < Int64(stationaryEvents) {
            for (value, fired) in stationary.step(a: 0.5, b: 0.45).windows {
                if fired { alarms += 1 }
                if emit != nil, stationary.windows <= 200_000 {
                    stationaryRows += "\(stationary.windows),\(value.map(format) ?? "")\n"
                }
            }
        }
        let stationarySeconds = seconds(clock.now - stationaryStart)
        let perTenMillion = Double(alarms) / Double(stationaryEvents) * 1e7
        // With no alarm in n events, 3/n bounds the rate at 95% confidence.
        let bound = Double(max(alarms, 0) + 3) / Double(stationaryEvents) * 1e7
        print(
            "stationary: \(stationaryEvents) events, \(stationary.windows) windows, \(alarms) false alarms "
                + "= \(format(perTenMillion)) per 10M events (95% upper bound ~\(format(bound)); target < 1)")
        print("  configured: \(format(Double(eventsPerWindow) / falseAlarmRate)) events per false alarm (Siegmund ARL)")
        print(
            "throughput: \(format(Double(stationaryEvents) / stationarySeconds / 1e6))M events/s stationary "
                + "(observe + windows + DP release + metrics + test), shift trials \(format(shiftSeconds)) s")
        if let emit {
            try FileManager.default.createDirectory(atPath: emit, withIntermediateDirectories: true)
            try trialRows.write(toFile: emit + "/shift_trials.csv", atomically: true, encoding: .utf8)
            try stationaryRows.write(toFile: emit + "/stationary.csv", atomically: true, encoding: .utf8)
            print("wrote \(emit)/shift_trials.csv and \(emit)/stationary.csv (reference windows: \(referenceWindows))")
        }
    }

    private func format(_ value: Double) -> String { String(format: "%.4g", value) }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// One generated stream through a monitor: one event per millisecond, group a or b at random.
    private struct Generator {
        var monitor: FairnessMonitor
        var noise: TestOnlyGaussianNoise
        var time: Int64 = 0
        var windows = 0

        init(config: FairnessConfig, noise: TestOnlyGaussianNoise) {
            monitor = FairnessMonitor(config: config)
            self.noise = noise
        }

        /// One event; returns its group and, per window it closed, the DP difference and whether a drift alert fired.
        mutating func step(a: Double, b: Double) -> (group: String, windows: [(Double?, Bool)]) {
            let group = noise.nextUniform() < 0.5 ? "a" : "b"
            let selected = noise.nextUniform() < (group == "a" ? a : b)
            _ = monitor.observe(attributes: ["g": group], prediction: selected, eventTime: time)
            time += 1
            var closed: [(Double?, Bool)] = []
            for window in monitor.advance() {
                windows += 1
                let evaluation = monitor.evaluate(window: window, noisyCounts: noise.release(window))
                let value = evaluation.reports.first?.report.disparities[.demographicParityDifference]?.value.estimate?
                    .value
                closed.append((value, evaluation.alerts.contains { $0.rule == .drift && $0.status == .firing }))
            }
            return (group, closed)
        }
    }
}
