#!/usr/bin/env bash
# Mutation check (issue #27): applies each listed source mutation, one at a time, to a scratch copy
# of the working tree, rebuilds it there and runs the Swift tests that should notice, then reports
# which mutants were killed (a test failed) and which survived. Not part of `make test`: every
# mutant is a rebuild. Run it before resolving an engine or runtime issue; the target is 0 survivors.
#
#   scripts/mutants.sh              # every mutant
#   scripts/mutants.sh P2 R1        # only these ids
#
# The copy lives in $MUTANTS_DIR (default: a folder under /tmp named for this checkout), with its
# own build folder there (--scratch-path), so the checkout and its .build are never touched. The
# first run builds everything once; later runs reuse the folder. Integration tests use
# $STEWARD_TEST_BROKERS when set, otherwise a mock cluster inside the test process (loopback).
#
# A mutation whose source text is not found exactly once is reported as MISSING and makes the run
# fail: after a merge changes that code, the list must be updated, not silently skipped. A mutant
# that no longer compiles is reported as BUILD-ERROR (not killed) and also fails the run. A test run
# longer than $MUTANTS_TEST_TIMEOUT seconds (default 900) counts as failed, so as killed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${MUTANTS_DIR:-/tmp/steward-mutants-$(echo "$repo" | md5sum | cut -c1-8)}
src=$work/src
build=$work/build
mkdir -p "$src" "$build"

# id|file|test filter|original text|mutated text   (\n in the texts stands for a newline)
mutants=$(cat <<'EOF'
R1|Sources/Runtime/KafkaPipeline.swift|KafkaFailurePaths|                processor = before\n                merge.removeAll()|                _ = before\n                merge.removeAll()
R2|Sources/Runtime/KafkaPipeline.swift|KafkaFailurePaths|            try producer.beginTransaction()\n            for output in outputs {|            try producer.beginTransaction()\n            for output in outputs.reversed() {
R3|Sources/Runtime/KafkaPipeline.swift|KafkaFailurePaths|                targets.append(TopicPartitionOffset(topic: partition.topic, partition: partition.partition, offset: next))|                targets.append(TopicPartitionOffset(topic: partition.topic, partition: partition.partition, offset: next + 1))
K1|Sources/Runtime/KafkaPipeline+StreamTask.swift|ScaleOutTests|        guard handoff.source.offset >= next else { return }|        guard handoff.source.offset >= next || true else { return }
K2|Sources/Runtime/KafkaPipeline+StreamTask.swift|ScaleOutTests|        merge.heads.map(\.transportOffset).min() ?? nextRead|        nextRead
L1|Sources/Pipeline/Processing/Processor.swift|PipelineTests|            counters.deadLettered += 1|            counters.deadLettered += 0
F1|Sources/Fairness/FairnessMonitor+Rules.swift|FairnessTests|            if statistic > z, beyond == nil|            if statistic > -z, beyond == nil
F2|Sources/Fairness/Metrics/FairnessReport.swift|FairnessTests|Self.worse(tpr.ratio, fpr.ratio) { $0 < $1 }|Self.worse(tpr.ratio, fpr.ratio) { $0 > $1 }
F3|Sources/Fairness/Metrics/GroupMetrics.swift|FairnessTests|rate(.falsePositive, .labelNegative)|rate(.falsePositive, .total)
F4|Sources/Fairness/Metrics/FairnessReport.swift|FairnessTests|Disparity(value: .value(.ratio(low.1, high.1))|Disparity(value: .value(.ratio(low.1, low.1))
P1|Sources/Privacy/Mechanisms/TreeCounter.swift|ClosedFormAccuracy|        levels = 64 - UInt64(horizon).leadingZeroBitCount|        levels = 65 - UInt64(horizon).leadingZeroBitCount
P2|Sources/Privacy/Mechanisms/ToeplitzCounters.swift|ClosedFormAccuracy|        let sigma2 = sensitivity * sensitivity / (2 * rho.doubleValue) * (1 + 0x1p-30)|        let sigma2 = sensitivity * sensitivity / (2 * 0.5) * (1 + 0x1p-30)
P3|Sources/Privacy/Mechanisms/TreeCounter.swift|ClosedFormAccuracy|            var exact = pending\n            for level in 0..<top { exact &+= exactSlots[level] }|            var exact = pending > 0 ? pending - 1 : 0\n            for level in 0..<top { exact &+= exactSlots[level] }
P4|Sources/Privacy/Mechanisms/ToeplitzCounters.swift|ClosedFormAccuracy|            c *= Double(2 * k + 1) / Double(2 * k + 2)|            c *= Double(2 * k + 1) / Double(2 * k + 3)
P5|Sources/Privacy/Mechanisms/SeriesCounter.swift|MechanismTests|            carryVariance = totalVariance|            carryVariance = variance
P6|Sources/Privacy/Accounting/Accountant.swift|AccountingTests|    public static func compose(_ rhos: [Double]) -> Double { rhos.reduce(0, +) }|    public static func compose(_ rhos: [Double]) -> Double { rhos.max() ?? 0 }
B1|Sources/Privacy/Bounding/WindowContributionBounder.swift|WindowBoundingTests|                guard count < maxContributionsPerWindow else { return reject() }|                guard count <= maxContributionsPerWindow else { return reject() }
B2|Sources/Privacy/Bounding/WindowContributionBounder.swift|WindowBoundingTests|            state.windowsUsed = state.windowsUsed.filter { $0.key >= liveEpoch }|            state.windowsUsed = state.windowsUsed.filter { $0.key > liveEpoch }
B3|Sources/Fairness/FairnessMonitor.swift|UserUnitInTheFairnessStage|        guard admit(windows.windows(containing: pane)) else {|        guard admit(windows.windows(containing: pane)) == admit(windows.windows(containing: pane)) else {
B4|Sources/EngineStages/FairnessStage.swift|StreamStateTests|            userBounding!.bounder.restore(user, try Self.decode(value))|            _ = (user, try Self.decode(value))
A1|Sources/Privacy/Selection/PartitionSelection.swift|PrivateAggregates|count.isFinite && noiseVariance.isFinite && count > threshold(noiseVariance: noiseVariance)|count.isFinite && noiseVariance.isFinite && count > -threshold(noiseVariance: noiseVariance)
A2|Sources/EngineStages/AggregateStage.swift|PrivateAggregates|units = Int64((min(max(value, field.low), field.high) / sumUnit).rounded())|units = Int64((min(value, 1e12) / sumUnit).rounded())
A3|Sources/EngineStages/AggregateStage.swift|PrivateAggregates|            guard bounding!.admit(user, windows: window...window) else {|            guard bounding!.admit(user, windows: window...window) == bounding!.admit(user, windows: window...window) else {
A4|Sources/EngineStages/PrivateRelease.swift|PrivateAggregates|                    !selection.selects(count: counts[.total].value, noiseVariance: counts[.total].noiseVariance)|                    !selection.selects(count: .infinity, noiseVariance: 1)
A5|Sources/EngineStages/AggregateStage.swift|StreamStateTests|            aggregates[index].bounding!.bounder.restore(user, try FairnessStage.decode(value))|            _ = (user, try FairnessStage.decode(value))
A6|Sources/EngineStages/PrivacyBudget.swift|PrivateAggregates|        guard total <= limit * (1 + 1e-12) else {|        guard total <= limit * 2 else {
S1|Sources/Scoring/ONNX/Kernels.swift|ScoringTests|        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))|        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(-x))
S2|Sources/Scoring/ONNX/TreeEnsemble.swift|ScoringTests|        case .lessOrEqual: return x <= threshold|        case .lessOrEqual: return x < threshold
B5|Sources/Privacy/Bounding/WindowContributionBounder.swift|WindowBoundingTests|        outer.update(data: block.map { $0 ^ 0x5c })|        outer.update(data: block.map { $0 ^ 0x5d })
A7|Sources/Audit/Log/AuditState+JSON.swift|AuditTests|            pendingLeaves = try container.decodeIfPresent([String: [[UInt8]]].self, forKey: .pendingLeaves) ?? [:]|            pendingLeaves = [:]
T1|Sources/Scoring/Explanations/TreeSHAP.swift|ScoringTests|            recurse(\n                node: cold, start: child, length: kept, zero: incomingZero * covers[cold] / cover, one: 0.0, feature: d)|            recurse(\n                node: cold, start: child, length: kept, zero: incomingZero * covers[hot] / cover, one: 0.0, feature: d)
T2|Sources/Scoring/Explanations/TreeSHAP.swift|ScoringTests|        for root in ensemble.roots { expected += scale * meanValue(ensemble, covers, Int(root), target) }|        for root in ensemble.roots.dropFirst() { expected += scale * meanValue(ensemble, covers, Int(root), target) }
T4|Sources/Scoring/Explanations/PatternTables.swift|ScoringTests|                            for bit in 0..<Int(tree.splitCount) {|                            for bit in 1..<Int(tree.splitCount) {
T5|Sources/Scoring/Explanations/LeafTables.swift|ScoringTests|                table.append(sum * outside)|                table.append(sum)
T6|Sources/Scoring/Featurizers/HashingFeaturizers.swift|ScoringTests|                    let slot = slots.index(hashes[g])|                    let slot = slots.index(hashes[max(0, g - 1)])
T7|Sources/Scoring/Explanations/PatternTables.swift|ScoringTests|        case nil: explain(x, phi) { x, split in nodes[Int(split.node)].goesTrue(x) }|        case nil: explain(x, phi) { x, split in x <= split.threshold }
T3|Sources/Scoring/ScoringModel.swift|ScoringTests|        if entries.count == k, !Self.before(value, entries[k - 1]) { return }|        if entries.count == k, Self.before(value, entries[k - 1]) { return }
U1|Sources/EngineStages/FieldPath.swift|UserUnitInTheFairnessStage|            guard let next = current[part] else { return nil }|            guard let next = record[part] else { return nil }
D1|Sources/Redaction/Validators/Checksums.swift|RedactionTests|        return sum % 10 == 0|        return sum % 10 == 5
D2|Sources/Redaction/Validators/Checksums.swift|RedactionTests|        return rem == 1|        return rem == 0
D3|Sources/Redaction/Validators/Checksums.swift|RedactionTests|        for i in 0..<9 { sum += Int(d[i] &- 48) * (10 - i) }|        for i in 0..<9 { sum += Int(d[i] &- 48) * (9 - i) }
C1|Sources/Fairness/Drift/SpanShiftTest.swift|FairnessTests|        guard let sets = contrastGroups, let fixed = contrastBaselines, !fixed.isEmpty else { return [:] }|        guard let sets = contrastGroups, let fixed = contrastBaselines, fixed.isEmpty else { return [:] }
C2|Sources/Fairness/Drift/SpanShiftTest.swift|FairnessTests|            contrast.samplingVariance += rate.samplingVariance / (others * others)|            contrast.samplingVariance += rate.samplingVariance / others
C3|Sources/Fairness/Drift/SpanShiftTest.swift|FairnessTests|            let count = min(step + 1, windows, width, steps - step)|            let count = min(step + 1, width, steps - step)
B6|Sources/Privacy/Bounding/WindowContributionBounder.swift|WindowBoundingTests|            if state.windows[window] == nil { peopleByWindow[window, default: []].append(user) }|            if state.windows[window] == nil, window < 0 { peopleByWindow[window, default: []].append(user) }
B7|Sources/Privacy/Bounding/WindowContributionBounder.swift|WindowBoundingTests|        for window in state.windows.keys { peopleByWindow[window, default: []].append(user) }|        _ = state.windows.keys
M1|Sources/Pipeline/Processing/MergeBuffer.swift|MergeBackpressureTests|            } else if head >= 64, head * 2 >= items.count {|            } else if false {
M2|Sources/Pipeline/Processing/MergeBuffer.swift|MergeBackpressureTests|                items.removeFirst(head)|                items.removeFirst(head - 1)
M3|Sources/Runtime/FetchBackpressure.swift|MergeBackpressureTests|                if count < (limit + 1) / 2 {|                if count < limit {
D4|Sources/Redaction/Operators/Operators.swift|RedactionTests|        let cut = max(0, scalars.count - keepLast)|        let cut = max(0, scalars.count - keepLast - 1)
EOF
)

selected=("$@")
wanted() {
    [[ ${#selected[@]} -eq 0 ]] && return 0
    local id
    for id in "${selected[@]}"; do [[ $id == "$1" ]] && return 0; done
    return 1
}

echo "copying the working tree to $src"
# Tracked and untracked-but-not-ignored files, with their times kept (tar), so that a later run
# rebuilds only what changed since.
git ls-files -z --cached --others --exclude-standard | grep -zv '^\.venv$' | tar -cf - --null -T - | tar -xf - -C "$src"
cd "$src"
echo "baseline build (the first run builds everything)"
swift build --build-tests --scratch-path "$build" >"$work/baseline.log" 2>&1 || {
    tail -30 "$work/baseline.log"
    echo "the unmutated copy does not build"
    exit 1
}

# Every filter must pass on the unmutated copy, or a "killed" would mean nothing.
filters=$(while IFS='|' read -r id _ filter _; do
    if [[ -n $id ]] && wanted "$id"; then echo "$filter"; fi
done <<<"$mutants" | sort -u)
for filter in $filters; do
    if ! swift test --skip-build --scratch-path "$build" --filter "$filter" >"$work/baseline-$filter.log" 2>&1; then
        tail -30 "$work/baseline-$filter.log"
        echo "$filter fails without any mutation (see $work/baseline-$filter.log)"
        exit 1
    fi
done

# Replaces the text exactly once, or exits 3 when it is not found exactly once.
mutate() {
    python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1], sys.argv[2].replace("\\n", "\n"), sys.argv[3].replace("\\n", "\n")
text = open(path, encoding="utf-8").read()
if text.count(old) != 1:
    sys.exit(3)
open(path, "w", encoding="utf-8").write(text.replace(old, new))
PY
}

killed=()
survived=()
broken=()
while IFS='|' read -r id file filter old new; do
    [[ -z $id ]] && continue
    wanted "$id" || continue
    cp "$repo/$file" "$src/$file"
    if ! mutate "$src/$file" "$old" "$new"; then
        echo "MISSING      $id  $file: the text to mutate is not there exactly once (update scripts/mutants.sh)"
        broken+=("$id(missing)")
        continue
    fi
    log=$work/$id.log
    if ! swift build --build-tests --scratch-path "$build" >"$log" 2>&1; then
        echo "BUILD-ERROR  $id  $file (see $log)"
        broken+=("$id(build)")
    elif timeout "${MUTANTS_TEST_TIMEOUT:-900}" swift test --skip-build --scratch-path "$build" --filter "$filter" \
        >>"$log" 2>&1; then
        echo "SURVIVED     $id  $file  ($filter passed; see $log)"
        survived+=("$id")
    else
        echo "killed       $id  $file  ($filter)"
        killed+=("$id")
    fi
    cp "$repo/$file" "$src/$file"
done <<<"$mutants"

echo
echo "killed ${#killed[@]}, survived ${#survived[@]}, missing or not building ${#broken[@]}"
[[ ${#survived[@]} -eq 0 ]] || echo "survivors: ${survived[*]}"
[[ ${#broken[@]} -eq 0 ]] || echo "to fix in this list: ${broken[*]}"
[[ ${#survived[@]} -eq 0 && ${#broken[@]} -eq 0 ]]
