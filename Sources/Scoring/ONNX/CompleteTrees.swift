/// A tree ensemble re-laid out for fast scoring: every tree padded to a complete binary tree of
/// the ensemble's depth and stored breadth-first, so the descent is `i = 2i + 1 + wentFalse`
/// with no leaf test and no branch, and several trees descend in lockstep.
///
/// Built only when scoring stays exactly the same as the node-by-node walk: every split is
/// `BRANCH_LEQ` with one missing-value rule for the whole ensemble, and every leaf adds at most
/// one weight, always to the same score column. A leaf above the bottom level becomes a subtree
/// whose leaves all hold its weight, so whichever way its padding splits go, the sum is unchanged.
/// Leaves are summed in tree order, as the walk does, so the sums are bit-identical.
struct CompleteTrees: Sendable {
    /// One split: 16 bytes, so a node is one load.
    struct Split: Sendable {
        var threshold: Double
        var feature: Int32
    }

    let depth: Int
    let treeCount: Int
    /// `treeCount × (2^depth − 1)` splits, each tree breadth-first.
    let splits: [Split]
    /// `treeCount × 2^depth` leaf weights.
    let leaves: [Double]
    /// The score column every leaf weight goes to.
    let column: Int
    /// NaN goes to the true child (`nodes_missing_value_tracks_true`) rather than the false one.
    let missingGoesTrue: Bool

    /// Largest depth laid out this way (a tree of depth 12 pads to 4095 splits).
    static let maximumDepth = 12
    /// Largest padded ensemble, in splits (16 MiB).
    static let maximumSplits = 1 << 20

    init?(nodes: [TreeNode], roots: [Int32], leafTargets: [Int32], leafWeights: [Double], maxDepth: Int) {
        guard !roots.isEmpty, maxDepth >= 1, maxDepth <= Self.maximumDepth else { return nil }
        var missing: Bool?
        var column: Int32?
        for node in nodes {
            if node.mode == .leaf {
                guard node.leafCount <= 1 else { return nil }
                if node.leafCount == 1 {
                    let t = leafTargets[Int(node.leafStart)]
                    guard column == nil || column == t else { return nil }
                    column = t
                }
            } else {
                guard node.mode == .lessOrEqual, missing == nil || missing == node.missingGoesTrue else { return nil }
                missing = node.missingGoesTrue
            }
        }
        let inner = (1 << maxDepth) - 1
        guard roots.count * inner <= Self.maximumSplits else { return nil }
        var splits = [Split](repeating: Split(threshold: 0, feature: 0), count: roots.count * inner)
        var leaves = [Double](repeating: 0, count: roots.count << maxDepth)
        for (t, root) in roots.enumerated() {
            // (node, heap position, level)
            var stack: [(Int, Int, Int)] = [(Int(root), 0, 0)]
            while let (n, position, level) = stack.popLast() {
                let node = nodes[n]
                if node.mode == .leaf {
                    let weight = node.leafCount == 1 ? leafWeights[Int(node.leafStart)] : 0
                    // Every bottom position under `position`: heap positions of the bottom level
                    // are inner ..< 2 * inner + 1; the subtree covers a contiguous run of them.
                    let span = 1 << (maxDepth - level)
                    let first = (position + 1) * span - 1 - inner
                    for k in first..<(first + span) { leaves[(t << maxDepth) + k] = weight }
                    // Padding splits keep threshold 0 / feature 0: both sides lead to the same weight.
                } else {
                    splits[t * inner + position] = Split(threshold: node.threshold, feature: node.feature)
                    stack.append((Int(node.trueChild), 2 * position + 1, level + 1))
                    stack.append((Int(node.falseChild), 2 * position + 2, level + 1))
                }
            }
        }
        self.depth = maxDepth
        self.treeCount = roots.count
        self.splits = splits
        self.leaves = leaves
        self.column = Int(column ?? 0)
        self.missingGoesTrue = missing ?? false
    }

    /// The sum of the leaf weights `x` reaches, added tree by tree to `initial`.
    @inline(__always)
    func sum(_ x: UnsafePointer<Double>, initial: Double) -> Double {
        missingGoesTrue ? sum(x, initial, GreaterThan.self) : sum(x, initial, NotLessOrEqual.self)
    }

    private func sum<Rule: FalseSide>(_ x: UnsafePointer<Double>, _ initial: Double, _: Rule.Type) -> Double {
        let depth = depth
        let inner = (1 << depth) - 1
        var total = initial
        splits.withUnsafeBufferPointer { splits in
            leaves.withUnsafeBufferPointer { leaves in
                let s = splits.baseAddress!
                let l = leaves.baseAddress!
                var t = 0
                // Four trees at once: their descents are independent chains of loads, so the
                // core overlaps them instead of waiting on each.
                while t + 4 <= treeCount {
                    let s0 = s + t * inner
                    let s1 = s0 + inner
                    let s2 = s1 + inner
                    let s3 = s2 + inner
                    var i0 = 0
                    var i1 = 0
                    var i2 = 0
                    var i3 = 0
                    for _ in 0..<depth {
                        let a = s0[i0]
                        let b = s1[i1]
                        let c = s2[i2]
                        let d = s3[i3]
                        i0 = 2 &* i0 &+ 1 &+ Rule.goesFalse(x[Int(a.feature)], a.threshold)
                        i1 = 2 &* i1 &+ 1 &+ Rule.goesFalse(x[Int(b.feature)], b.threshold)
                        i2 = 2 &* i2 &+ 1 &+ Rule.goesFalse(x[Int(c.feature)], c.threshold)
                        i3 = 2 &* i3 &+ 1 &+ Rule.goesFalse(x[Int(d.feature)], d.threshold)
                    }
                    let leaf = l + (t << depth)
                    total += leaf[i0 - inner]
                    total += leaf[i1 - inner + (1 << depth)]
                    total += leaf[i2 - inner + (2 << depth)]
                    total += leaf[i3 - inner + (3 << depth)]
                    t += 4
                }
                while t < treeCount {
                    let s0 = s + t * inner
                    var i = 0
                    for _ in 0..<depth {
                        let a = s0[i]
                        i = 2 &* i &+ 1 &+ Rule.goesFalse(x[Int(a.feature)], a.threshold)
                    }
                    total += l[(t << depth) + i - inner]
                    t += 1
                }
            }
        }
        return total
    }
}

/// When a `BRANCH_LEQ` split sends `x` to its false child (1) or true child (0).
private protocol FalseSide {
    static func goesFalse(_ x: Double, _ threshold: Double) -> Int
}

/// NaN goes false: false exactly when `x <= threshold` is false.
private enum NotLessOrEqual: FalseSide {
    @inline(__always)
    static func goesFalse(_ x: Double, _ threshold: Double) -> Int { x <= threshold ? 0 : 1 }
}

/// NaN goes true: false exactly when `x > threshold`.
private enum GreaterThan: FalseSide {
    @inline(__always)
    static func goesFalse(_ x: Double, _ threshold: Double) -> Int { x > threshold ? 1 : 0 }
}
