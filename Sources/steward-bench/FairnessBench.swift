import ArgumentParser
import CommandSupport
import EngineStages
import Fairness
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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

    @Option(help: "Events per tumbling window (both groups together): the release step of the DP counts.")
    var eventsPerWindow = 100

    @Option(help: "zCDP rho whose Gaussian-mechanism sigma the test-only noise uses.")
    var rho = 0.5

    @Option(help: "Override the noise sigma.")
    var sigma: Double?

    @Option(help: "Shift trials.")
    var trials = 1000

    @Option(help: "Monitored events (after each stream's reference period) in the stationary false-alarm runs.")
    var stationaryEvents = 50_000_000

    @Option(help: "Stationary streams the events are split over (each learns its own baseline).")
    var stationaryStreams = 10

    @Option(help: "Configured false-alarm rate per window of the drift test.")
    var falseAlarmRate = 5e-6

    @Option(help: "Shift of the metric the test is tuned to (likelihood-ratio test); 0 selects the standardized test.")
    var shift = 0.1

    @Option(help: "Reference value k of the standardized test (with --shift 0), in standard errors.")
    var reference = 1.0

    @Option(help: "Reference-period windows that form the baseline.")
    var referenceWindows = 500

    @Option(help: "Events after the shift each trial runs for (both groups together).")
    var eventsAfterShift = 30_000

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
                metrics: [.demographicParityDifference], falseAlarmRate: falseAlarmRate, reference: reference,
                shift: shift > 0 ? shift : nil),
            fourFifths: FourFifthsSpec(enabled: false))
        config.alerts.pipeline = "bench"
        print(
            "steward bench drift — TEST-ONLY Gaussian noise sigma=\(format(noiseSigma)) per count (rho=\(rho) Gaussian mechanism)"
        )
        let test =
            shift > 0
            ? "likelihood-ratio CUSUM per group pair for a shift of \(shift), threshold from the baseline (below)"
            : "standardized CUSUM k=\(reference) h=\(format(SequentialDetector.threshold(reference: reference, falseAlarmRate: falseAlarmRate)))"
        print(
            "windows of \(eventsPerWindow) events (~\(eventsPerWindow / 2) per group); \(test); "
                + "\(falseAlarmRate) false alarms per window; baseline = first \(referenceWindows) windows")

        var rng = TestOnlyGaussianNoise(sigma: noiseSigma, seed: seed)
        var trialRows = "trial,window,events_per_group_since_shift,value\n"
        var delayRows = "trial,delay_events_per_group,alarms_before_shift\n"
        var delays: [Int] = []
        var missed = 0
        var earlyAlarms = 0
        var thresholds: [Double] = []
        let shiftStart = processCPUSeconds()
        for trial in 0..<trials {
            var stream = Generator(config: config, noise: rng)
            rng = TestOnlyGaussianNoise(sigma: noiseSigma, seed: rng.nextUInt64())
            let shiftAt =
                Int64((referenceWindows + 5 + Int(stream.noise.nextUniform() * 10)) * eventsPerWindow)
                + Int64(stream.noise.nextUniform() * Double(eventsPerWindow))
            var sinceShift = (a: 0, b: 0)
            var outcome: Int?
            var early = 0
            // With --emit every trial runs to the same length (the streams are shared with the river script).
            let limit = shiftAt + Int64(eventsAfterShift)
            while stream.time < limit, emit != nil || outcome == nil {
                let shifted = stream.time >= shiftAt
                let (group, windows) = stream.step(a: 0.5, b: shifted ? 0.35 : 0.45)
                if shifted {
                    if group == "a" { sinceShift.a += 1 } else { sinceShift.b += 1 }
                }
                for (value, fired) in windows {
                    let since = shifted ? max(sinceShift.a, sinceShift.b) : -Int((shiftAt - stream.time) / 2)
                    if emit != nil { trialRows += "\(trial),\(stream.windows),\(since),\(value.map(format) ?? "")\n" }
                    if fired && outcome == nil {
                        if shifted { outcome = since } else { early += 1 }
                    }
                }
            }
            if let outcome { delays.append(outcome) } else { missed += 1 }
            earlyAlarms += early
            if emit != nil { delayRows += "\(trial),\(outcome.map(String.init) ?? ""),\(early)\n" }
            thresholds.append(stream.threshold)
        }
        let shiftSeconds = processCPUSeconds() - shiftStart
        delays.sort()
        func percentile(_ q: Double) -> Int {
            delays.isEmpty ? 0 : delays[min(delays.count - 1, Int(q * Double(delays.count)))]
        }
        let mean = delays.isEmpty ? 0 : Double(delays.reduce(0, +)) / Double(delays.count)
        print(
            "shift 0.10: \(trials) trials, detected \(delays.count), missed (none within \(eventsAfterShift / 2) events per group) "
                + "\(missed), alarms before the shift \(earlyAlarms)")
        print(
            "  delay in events per group: mean \(Int(mean.rounded())), median \(percentile(0.5)), p90 \(percentile(0.9)), "
                + "p95 \(percentile(0.95)), p99 \(percentile(0.99)), max \(delays.last ?? 0) (target <= 2000)")
        thresholds.sort()
        if shift > 0, let low = thresholds.first, let high = thresholds.last {
            print("  thresholds H (log-likelihood ratio) over the trials' baselines: \(format(low))–\(format(high))")
        }

        var stationaryRows = "window,value\n"
        var alarms = 0
        var windows = 0
        var stationaryThresholds: [Double] = []
        let streams = max(1, stationaryStreams)
        let perStream = Int64(stationaryEvents / streams)
        let reference = Int64(referenceWindows * eventsPerWindow)
        let stationaryStart = processCPUSeconds()
        for index in 0..<streams {
            var stationary = Generator(
                config: config, noise: TestOnlyGaussianNoise(sigma: noiseSigma, seed: seed ^ 0x5eed &+ UInt64(index)))
            while stationary.time < reference + perStream {
                for (value, fired) in stationary.step(a: 0.5, b: 0.45).windows {
                    if fired { alarms += 1 }
                    if emit != nil, index == 0, stationary.windows <= 200_000 {
                        stationaryRows += "\(stationary.windows),\(value.map(format) ?? "")\n"
                    }
                }
            }
            windows += stationary.windows - referenceWindows
            stationaryThresholds.append(stationary.threshold)
        }
        let stationarySeconds = processCPUSeconds() - stationaryStart
        let monitored = Double(perStream) * Double(streams)
        let perTenMillion = Double(alarms) / monitored * 1e7
        let bound = poissonUpperBound(alarms) / monitored * 1e7
        print(
            "stationary: \(streams) streams x \(perStream) monitored events (after a \(reference)-event reference period each), "
                + "\(windows) windows, \(alarms) false alarms = \(format(perTenMillion)) per 10M events "
                + "(95% upper bound ~\(format(bound)); target < 1)")
        print(
            "  configured: \(format(Double(eventsPerWindow) / falseAlarmRate)) events per false alarm"
                + (shift > 0
                    ? "; thresholds H \(stationaryThresholds.map(format).joined(separator: " ")); martingale bound "
                        + "<= \(format(2 * exp(-(stationaryThresholds.min() ?? 0)) / Double(eventsPerWindow) * 1e7)) "
                        + "per 10M events (2 pairs, known baseline)"
                    : " (Siegmund ARL)"))
        print(
            "throughput: \(format(monitored / stationarySeconds / 1e6))M monitored events per CPU-second stationary "
                + "(observe + windows + DP release + metrics + test), shift trials \(format(shiftSeconds)) CPU-s")
        if let emit {
            try FileManager.default.createDirectory(atPath: emit, withIntermediateDirectories: true)
            try trialRows.write(toFile: emit + "/shift_trials.csv", atomically: true, encoding: .utf8)
            try stationaryRows.write(toFile: emit + "/stationary.csv", atomically: true, encoding: .utf8)
            try delayRows.write(toFile: emit + "/steward_delays.csv", atomically: true, encoding: .utf8)
            try "streams,monitored_events,false_alarms\n\(streams),\(Int(monitored)),\(alarms)\n".write(
                toFile: emit + "/steward_stationary.csv", atomically: true, encoding: .utf8)
            print(
                "wrote \(emit)/shift_trials.csv and \(emit)/stationary.csv (reference windows: \(referenceWindows), "
                    + "events per window: \(eventsPerWindow))")
        }
    }

    private func format(_ value: Double) -> String { String(format: "%.4g", value) }

    /// The exact one-sided 95% upper confidence bound of a Poisson mean after `count` events (3.0 for none).
    private func poissonUpperBound(_ count: Int) -> Double {
        func cdf(_ mean: Double) -> Double {
            var term = exp(-mean)
            var sum = term
            for k in stride(from: 1, through: count, by: 1) {
                term *= mean / Double(k)
                sum += term
            }
            return sum
        }
        var low = 0.0
        var high = Double(count) + 50
        for _ in 0..<100 {
            let middle = (low + high) / 2
            if cdf(middle) > 0.05 { low = middle } else { high = middle }
        }
        return high
    }

    /// CPU time of this process (one thread does the work), so other builds on the machine do not count.
    private func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    /// One generated stream through a monitor: one event per millisecond, group a or b at random.
    private struct Generator {
        var monitor: FairnessMonitor
        var noise: TestOnlyGaussianNoise
        var time: Int64 = 0
        var windows = 0
        /// The drift test's threshold after the last window.
        var threshold = Double.nan

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
                threshold = evaluation.drift.first?.threshold ?? threshold
                let value = evaluation.reports.first?.report.disparities[.demographicParityDifference]?.value.estimate?
                    .value
                closed.append((value, evaluation.alerts.contains { $0.rule == .drift && $0.status == .firing }))
            }
            return (group, closed)
        }
    }
}
