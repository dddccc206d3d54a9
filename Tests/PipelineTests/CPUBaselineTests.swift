import Runtime
import Testing

@Suite struct CPUBaselineBehaviour {
    @Test func namesTheMissingX8664V2Features() {
        let zen1 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm avx2\n\nprocessor\t: 1\n"
        #expect(CPUBaseline.missing(inCPUInfo: zen1).isEmpty)
        let core2 = "flags\t\t: fpu sse sse2 pni ssse3 cx16 lahf_lm\n"
        #expect(CPUBaseline.missing(inCPUInfo: core2) == ["sse4_1", "sse4_2", "popcnt"])
        // A prefix of a name is not the name.
        #expect(CPUBaseline.missing(inCPUInfo: "flags : pni ssse3 sse4 popcnt cx16 lahf_lm sse4_2x\n") == ["sse4_1", "sse4_2"])
        // No flags line (an ARM kernel's format): nothing to check.
        #expect(CPUBaseline.missing(inCPUInfo: "Features\t: fp asimd\n").isEmpty)
    }

    @Test func thisMachineCanRunThisBuild() {
        #expect(CPUBaseline.problem() == nil)
    }
}
