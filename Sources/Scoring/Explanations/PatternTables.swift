/// Path-dependent TreeSHAP for small trees, from one table per tree: a tree's SHAP values depend on
/// the row only through the decisions at its splits, so a tree of s splits has at most 2^s
/// different explanations, tabulated once (from `LeafTables`) for one score column. Explaining a
/// row then evaluates each split once, forms the tree's pattern and adds one table row: O(T·(s + k))
/// for k distinct features per tree. Gradient-boosted trees of depth 3 have 7 splits (128 patterns).
///
/// Built only when every tree has at most `maximumSplits` splits and the tables fit in
/// `maximumEntries`; otherwise the leaf tables (or the recursion) explain each row.
struct PatternTables: Sendable {
    struct Tree: Sendable {
        /// Its splits: `splitStart ..< splitStart + splitCount` in `splits` (bit i: split i goes true).
        var splitStart: Int32
        var splitCount: Int32
        /// Its distinct features: `featureStart ..< featureStart + featureCount` in `features`.
        var featureStart: Int32
        var featureCount: Int32
        /// 2^splitCount rows of `featureCount` values from here in `values`.
        var valueStart: Int32
    }

    static let maximumSplits = 10
    static let maximumEntries = 1 << 22

    /// One split, laid out for the walk (the node for rules other than `BRANCH_LEQ`).
    struct Split: Sendable {
        var threshold: Double
        var feature: Int32
        var node: Int32
    }

    let trees: [Tree]
    let splits: [Split]
    /// When every split is `BRANCH_LEQ` with one missing-value rule: whether NaN goes true.
    let lessOrEqualMissing: Bool?
    let features: [Int32]
    let values: [Double]

    /// The tables of the trees `leafTables` describes, for leaf values `leafValues` (scaled, in
    /// leaf order); nil when a tree is too large for them.
    init?(_ leafTables: LeafTables, nodes: [TreeNode], leafValues: [Double], featureCount: Int) {
        // Each tree's distinct features, in order of first use: its table's columns.
        var distinctOfTree: [[Int32]] = []
        var entries = 0
        for (leaves, splits) in zip(leafTables.treeLeaves, leafTables.treeSplits) {
            guard splits.count <= Self.maximumSplits else { return nil }
            var distinct: [Int32] = []
            for ordinal in leaves {
                let leaf = leafTables.leaves[ordinal]
                for f in leafTables.features[Int(leaf.featureStart)..<Int(leaf.featureStart + leaf.distinct)]
                where !distinct.contains(f) {
                    distinct.append(f)
                }
            }
            entries += distinct.count << splits.count
            guard entries <= Self.maximumEntries else { return nil }
            distinctOfTree.append(distinct)
        }
        var trees: [Tree] = []
        var splitNodes: [Split] = []
        var features: [Int32] = []
        var values: [Double] = []
        values.reserveCapacity(entries)
        var decisions = [UInt8](repeating: 0, count: nodes.count)
        var phi = [Double](repeating: 0, count: featureCount)
        for (t, (leaves, splits)) in zip(leafTables.treeLeaves, leafTables.treeSplits).enumerated() {
            let nodesOfTree = Array(leafTables.splits[splits])
            let distinct = distinctOfTree[t]
            trees.append(
                Tree(
                    splitStart: Int32(splitNodes.count), splitCount: Int32(nodesOfTree.count),
                    featureStart: Int32(features.count), featureCount: Int32(distinct.count),
                    valueStart: Int32(values.count)))
            splitNodes += nodesOfTree.map {
                Split(threshold: nodes[Int($0)].threshold, feature: nodes[Int($0)].feature, node: $0)
            }
            features += distinct
            for pattern in 0..<(1 << nodesOfTree.count) {
                for (bit, n) in nodesOfTree.enumerated() { decisions[Int(n)] = UInt8((pattern >> bit) & 1) }
                decisions.withUnsafeBufferPointer { decisions in
                    leafValues.withUnsafeBufferPointer { leafValues in
                        phi.withUnsafeMutableBufferPointer { phi in
                            leafTables.accumulate(
                                leaves, decisions: decisions.baseAddress!, values: leafValues.baseAddress!,
                                phi: phi.baseAddress!)
                        }
                    }
                }
                for f in distinct {
                    values.append(phi[Int(f)])
                    phi[Int(f)] = 0
                }
            }
        }
        self.trees = trees
        self.splits = splitNodes
        let rules = Set(leafTables.splits.map { nodes[Int($0)].mode == .lessOrEqual ? nodes[Int($0)].missingGoesTrue : nil })
        lessOrEqualMissing = rules.count == 1 ? rules.first! : nil
        self.features = features
        self.values = values
    }

    /// Adds `x`'s SHAP values to `phi`.
    func explain(nodes: UnsafePointer<TreeNode>, x: UnsafePointer<Double>, phi: UnsafeMutablePointer<Double>) {
        switch lessOrEqualMissing {
        case false?: explain(x, phi) { x, split in x <= split.threshold }
        case true?: explain(x, phi) { x, split in !(x > split.threshold) }
        case nil: explain(x, phi) { x, split in nodes[Int(split.node)].goesTrue(x) }
        }
    }

    /// The walk, with the split rule inlined: `x <= t` (NaN false) and `!(x > t)` (NaN true) are
    /// `BRANCH_LEQ` without a branch.
    @inline(__always)
    private func explain(
        _ x: UnsafePointer<Double>, _ phi: UnsafeMutablePointer<Double>, _ goesTrue: (Double, Split) -> Bool
    ) {
        trees.withUnsafeBufferPointer { trees in
            splits.withUnsafeBufferPointer { splits in
                features.withUnsafeBufferPointer { features in
                    values.withUnsafeBufferPointer { values in
                        for tree in trees {
                            var pattern = 0
                            let first = Int(tree.splitStart)
                            for bit in 0..<Int(tree.splitCount) {
                                let split = splits[first &+ bit]
                                pattern |= (goesTrue(x[Int(split.feature)], split) ? 1 : 0) &<< bit
                            }
                            let k = Int(tree.featureCount)
                            let row = Int(tree.valueStart) &+ pattern &* k
                            let featureStart = Int(tree.featureStart)
                            for j in 0..<k { phi[Int(features[featureStart &+ j])] += values[row &+ j] }
                        }
                    }
                }
            }
        }
    }
}
