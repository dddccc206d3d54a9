import Foundation

/// The instruction-set level an x86-64 build of Steward is compiled for, checked at start-up.
///
/// `Package.swift` compiles the scoring engine and the redaction module for x86-64-v2 (SSE3, SSSE3,
/// SSE4.1, SSE4.2, POPCNT, CMPXCHG16B, LAHF/SAHF; Intel since Nehalem, 2008, AMD since Bulldozer,
/// 2011): the hashed-text path hashes four tokens per step with 32-bit lane multiplies, which SSE2
/// lacks, and the redaction scanner classifies bytes with SSSE3 `pshufb`. On a processor without
/// them either would stop on an illegal instruction; `steward` says so instead.
/// This file's module is built without that flag, so the check itself runs anywhere; a build with
/// `buildForX8664V2 = false` in `Package.swift` has nothing to check.
public enum CPUBaseline {
    /// The feature names `/proc/cpuinfo` uses for x86-64-v2 (`pni` is SSE3).
    public static let required = ["pni", "ssse3", "sse4_1", "sse4_2", "popcnt", "cx16", "lahf_lm"]

    /// The required features missing from a `/proc/cpuinfo` text (its first `flags` line); none when
    /// the text has no `flags` line (not an x86 kernel's format: nothing to check).
    public static func missing(inCPUInfo text: String) -> [String] {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        let flags = Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        return required.filter { !flags.contains($0) }
    }

    /// Why this processor cannot run this build, or nil when it can (or when it cannot be told).
    public static func problem() -> String? {
        #if STEWARD_X86_64_V2 && os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        let missing = missing(inCPUInfo: text)
        guard !missing.isEmpty else { return nil }
        return "this build of steward needs an x86-64-v2 processor (missing: \(missing.joined(separator: ", "))); "
            + "rebuild with buildForX8664V2 = false in Package.swift to run it here, more slowly"
        #else
        return nil
        #endif
    }
}
