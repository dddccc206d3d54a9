/// Path-dependent TreeSHAP from per-leaf tables, in the spirit of Fast TreeSHAP v2 (Yang 2021,
/// "Fast TreeSHAP: Accelerating SHAP Value Computation for Trees"): the same exact values as
/// `TreeSHAP`'s recursion, with the row-independent part computed once per model.
///
/// One leaf's share of a tree's path-dependent expectation, given the known features S, is
/// `v · ∏_{u ∈ U} (u ∈ S ? o_u : z_u)`, where U is the set of distinct features split on along
/// the leaf's path, `z_u` the product of the cover ratios of the splits on u (row-independent) and
/// `o_u` 1 when the row satisfies every split on u, else 0. The leaf's Shapley value for i ∈ U is
/// then `v · (o_i − z_i) · Σ_{S ⊆ O∖{i}} w(|S|) ∏_{j ∈ U∖{i}∖S} z_j`, with O the satisfied
/// features and `w(k) = k! (d−1−k)! / d!` for d = |U|. The sum depends on the row only through
/// which of the other d − 1 features are satisfied, so it is tabulated per leaf and feature for
/// all 2^(d−1) patterns. Explaining a row evaluates every split once, then costs d lookups per
/// leaf: O(T·L·D) per row against the recursion's O(T·L·D²).
///
/// Tables hold d·2^(d−1) numbers per leaf, so they are built only while that stays small
/// (`maximumEntries`); deeper trees keep the recursion.
struct LeafTables: Sendable {
    struct Leaf: Sendable {
        /// The leaf's node, for its value.
        var node: Int32
        /// Its conditions: `conditionStart ..< conditionStart + conditionCount`.
        var conditionStart: Int32
        var conditionCount: Int32
        /// Its distinct features: `featureStart ..< featureStart + distinct` in `features`/`zeros`.
        var featureStart: Int32
        var distinct: Int32
        /// Its table: `distinct` rows of 2^(distinct−1) entries from `tableStart`.
        var tableStart: Int32
    }

    /// One split on a leaf's path: the node, the side the path takes, and which of the leaf's
    /// distinct features it tests (a bit of the satisfied-features mask).
    struct Condition: Sendable {
        var node: Int32
        /// 1 when the path takes the true child.
        var wantsTrue: UInt8
        var slot: UInt8
    }

    static let maximumEntries = 1 << 22
    static let maximumDistinct = 16

    let leaves: [Leaf]
    let conditions: [Condition]
    let features: [Int32]
    let zeros: [Double]
    let table: [Double]
    /// The internal nodes, whose decisions a row's explanation evaluates once each.
    let splits: [Int32]
    /// Per tree (in `roots` order), its range in `leaves` and in `splits`.
    let treeLeaves: [Range<Int>]
    let treeSplits: [Range<Int>]

    /// The tables of `ensemble`, or nil when its trees are too deep for them or a split has no cover.
    init?(_ ensemble: TreeEnsembleKernel, covers: [Double]) {
        var leaves: [Leaf] = []
        var conditions: [Condition] = []
        var features: [Int32] = []
        var zeros: [Double] = []
        var table: [Double] = []
        var splits: [Int32] = []
        var path: [(node: Int32, wantsTrue: Bool, child: Int32)] = []
        var entries = 0
        var failed = false

        func visit(_ n: Int32) {
            guard !failed else { return }
            let node = ensemble.nodes[Int(n)]
            if node.mode != .leaf {
                guard covers[Int(n)] > 0 else {
                    failed = true
                    return
                }
                splits.append(n)
                path.append((n, true, node.trueChild))
                visit(node.trueChild)
                path[path.count - 1] = (n, false, node.falseChild)
                visit(node.falseChild)
                path.removeLast()
                return
            }
            var distinct: [Int32] = []
            var z: [Double] = []
            var leafConditions: [Condition] = []
            for step in path {
                let feature = ensemble.nodes[Int(step.node)].feature
                let ratio = covers[Int(step.child)] / covers[Int(step.node)]
                let slot: Int
                if let known = distinct.firstIndex(of: feature) {
                    slot = known
                    z[slot] *= ratio
                } else {
                    slot = distinct.count
                    distinct.append(feature)
                    z.append(ratio)
                }
                leafConditions.append(Condition(node: step.node, wantsTrue: step.wantsTrue ? 1 : 0, slot: UInt8(truncatingIfNeeded: slot)))
            }
            let d = distinct.count
            guard d <= Self.maximumDistinct, entries + (d << max(d - 1, 0)) <= Self.maximumEntries else {
                failed = true
                return
            }
            leaves.append(
                Leaf(
                    node: n, conditionStart: Int32(conditions.count), conditionCount: Int32(leafConditions.count),
                    featureStart: Int32(features.count), distinct: Int32(d), tableStart: Int32(entries)))
            conditions += leafConditions
            features += distinct
            zeros += z
            entries += d << max(d - 1, 0)
        }

        var treeLeaves: [Range<Int>] = []
        var treeSplits: [Range<Int>] = []
        for root in ensemble.roots {
            let (firstLeaf, firstSplit) = (leaves.count, splits.count)
            visit(root)
            treeLeaves.append(firstLeaf..<leaves.count)
            treeSplits.append(firstSplit..<splits.count)
        }
        guard !failed else { return nil }
        self.treeLeaves = treeLeaves
        self.treeSplits = treeSplits
        // Within budget: now the tables themselves.
        table.reserveCapacity(entries)
        for leaf in leaves {
            let first = Int(leaf.featureStart)
            Self.appendTable(Array(zeros[first..<(first + Int(leaf.distinct))]), to: &table)
        }
        self.leaves = leaves
        self.conditions = conditions
        self.features = features
        self.zeros = zeros
        self.table = table
        self.splits = splits
    }

    /// For each feature u of a leaf with cover ratios `z`, and each pattern m of the other
    /// features satisfied: `Σ_{S ⊆ m} w(|S|) ∏_{j ∈ others∖S} z_j`, summed by size through the
    /// elementary symmetric polynomials of the z in m.
    private static func appendTable(_ z: [Double], to table: inout [Double]) {
        let d = z.count
        guard d > 0 else { return }
        // w(k) = k! (d−1−k)! / d! = 1 / (d · C(d−1, k)).
        var weight = [Double](repeating: 0, count: d)
        var binomial = 1.0
        for k in 0..<d {
            weight[k] = 1 / (Double(d) * binomial)
            binomial = binomial * Double(d - 1 - k) / Double(k + 1)
        }
        var symmetric = [Double](repeating: 0, count: d)
        for u in 0..<d {
            let others = (0..<d).filter { $0 != u }.map { z[$0] }
            for m in 0..<(1 << (d - 1)) {
                // e_t of the z in m, and the product of the z outside it.
                symmetric[0] = 1
                var size = 0
                var outside = 1.0
                for (j, zj) in others.enumerated() {
                    if m & (1 << j) == 0 {
                        outside *= zj
                        continue
                    }
                    size += 1
                    symmetric[size] = 0
                    var t = size
                    while t > 0 {
                        symmetric[t] += zj * symmetric[t - 1]
                        t -= 1
                    }
                }
                // S of size k leaves m∖S, of size − k, to the z: e_(size−k).
                var sum = 0.0
                for k in 0...size { sum += weight[k] * symmetric[size - k] }
                table.append(sum * outside)
            }
        }
    }

    /// Sets `decisions[n]` (1: true child) for every split of the ensemble.
    func decide(nodes: UnsafePointer<TreeNode>, x: UnsafePointer<Double>, decisions: UnsafeMutablePointer<UInt8>) {
        splits.withUnsafeBufferPointer { splits in
            for n in splits {
                let node = nodes[Int(n)]
                decisions[Int(n)] = node.goesTrue(x[Int(node.feature)]) ? 1 : 0
            }
        }
    }

    /// Adds to `phi` the SHAP values of the leaves `range` (all of them for a row, one tree's when
    /// tabulating patterns), given every split's decision; `values` are the leaves' (scaled) values.
    func accumulate(
        _ range: Range<Int>, decisions: UnsafePointer<UInt8>, values: UnsafePointer<Double>,
        phi: UnsafeMutablePointer<Double>
    ) {
        leaves.withUnsafeBufferPointer { leaves in
            conditions.withUnsafeBufferPointer { conditions in
                features.withUnsafeBufferPointer { features in
                    zeros.withUnsafeBufferPointer { zeros in
                        table.withUnsafeBufferPointer { table in
                            let conditions = conditions.baseAddress!
                            let features = features.baseAddress!
                            let zeros = zeros.baseAddress!
                            let table = table.baseAddress!
                            for ordinal in range {
                                let leaf = leaves[ordinal]
                                let value = values[ordinal]
                                let d = Int(leaf.distinct)
                                guard value != 0, d > 0 else { continue }
                                // Bit u set: the row satisfies every split on the leaf's feature u.
                                var satisfied = ~0
                                let first = Int(leaf.conditionStart)
                                for c in first..<(first &+ Int(leaf.conditionCount)) {
                                    let condition = conditions[c]
                                    let missed = Int(decisions[Int(condition.node)] ^ condition.wantsTrue)
                                    satisfied &= ~(missed &<< Int(condition.slot))
                                }
                                let rowLength = 1 &<< (d &- 1)
                                let featureStart = Int(leaf.featureStart)
                                var entry = table + Int(leaf.tableStart)
                                for u in 0..<d {
                                    let below = satisfied & ((1 &<< u) &- 1)
                                    let above = (satisfied &>> (u &+ 1)) & ((1 &<< (d &- 1 &- u)) &- 1)
                                    let o = Double((satisfied &>> u) & 1)
                                    let weight = entry[below | (above &<< u)]
                                    let f = Int(features[featureStart &+ u])
                                    phi[f] += value * (o - zeros[featureStart &+ u]) * weight
                                    entry += rowLength
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
