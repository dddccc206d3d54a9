/// Path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
/// attribution for tree ensembles", Algorithm 2): exact Shapley values of a tree's output where a
/// missing feature follows both children weighted by their training cover. Rows are explained by
/// the fastest method the trees allow, all giving the same values: per-tree pattern tables for
/// small trees (`PatternTables`), per-leaf tables for mid-sized ones (`LeafTables`), else the
/// recursion below.
struct TreeSHAP {
    struct PathElement {
        var feature: Int = -1
        var zero: Double = 0
        var one: Double = 0
        var weight: Double = 0
    }

    /// How rows are explained, slowest first.
    enum Method: Int, Comparable, Sendable {
        case recursion, leafTables, patternTables

        static func < (a: Method, b: Method) -> Bool { a.rawValue < b.rawValue }
    }

    private var pool: [PathElement]
    /// The expected value per score column, computed once: it does not depend on the row.
    private var expectedValues: [Int: Double] = [:]
    /// The fastest method allowed (tests compare them); the tables are built at the first
    /// explanation, the pattern tables again when the score column changes.
    private let fastest: Method
    private var built = false
    private var leafTables: LeafTables?
    private var patternTables: PatternTables?
    /// The leaves' values (scaled) for `tablesTarget`, in `leafTables`' leaf order.
    private var leafValues: [Double] = []
    private var tablesTarget = -1
    private var decisions: [UInt8] = []

    /// The method the last explanation used.
    private(set) var method = Method.recursion

    init(maxDepth: Int, fastest: Method = .patternTables) {
        pool = Array(repeating: PathElement(), count: (maxDepth + 3) * (maxDepth + 4) / 2 + 4)
        self.fastest = fastest
    }

    /// Adds the SHAP values of `x` for score column `target` to `phi`; returns the expected value
    /// (cover-weighted mean leaf value, summed over trees, with base value), so that
    /// `expected + sum(phi)` equals the ensemble's raw score.
    mutating func explain(
        _ ensemble: TreeEnsembleKernel, covers: [Double], target: Int, x: Row, phi: inout [Double]
    ) -> Double {
        let scale = ensemble.aggregate == .average && !ensemble.roots.isEmpty ? 1 / Double(ensemble.roots.count) : 1
        let expected = expectedValues[target] ?? Self.expectedValue(ensemble, covers, target, scale: scale)
        expectedValues[target] = expected
        if !built {
            built = true
            if fastest >= .leafTables { leafTables = LeafTables(ensemble, covers: covers) }
            if leafTables != nil { decisions = Array(repeating: 0, count: ensemble.nodes.count) }
        }
        if let leafTables, tablesTarget != target {
            tablesTarget = target
            leafValues = leafTables.leaves.map { ensemble.leafValue(Int($0.node), target: target) * scale }
            patternTables =
                fastest >= .patternTables
                ? PatternTables(
                    leafTables, nodes: ensemble.nodes, leafValues: leafValues, featureCount: ensemble.featureCount)
                : nil
        }
        if let patternTables {
            method = .patternTables
            ensemble.nodes.withUnsafeBufferPointer { nodes in
                phi.withUnsafeMutableBufferPointer { phi in
                    patternTables.explain(nodes: nodes.baseAddress!, x: x.values, phi: phi.baseAddress!)
                }
            }
            return expected
        }
        if let leafTables {
            method = .leafTables
            ensemble.nodes.withUnsafeBufferPointer { nodes in
                leafValues.withUnsafeBufferPointer { values in
                    decisions.withUnsafeMutableBufferPointer { decisions in
                        phi.withUnsafeMutableBufferPointer { phi in
                            leafTables.decide(nodes: nodes.baseAddress!, x: x.values, decisions: decisions.baseAddress!)
                            leafTables.accumulate(
                                0..<leafTables.leaves.count, decisions: decisions.baseAddress!,
                                values: values.baseAddress!, phi: phi.baseAddress!)
                        }
                    }
                }
            }
            return expected
        }
        method = .recursion
        ensemble.nodes.withUnsafeBufferPointer { nodes in
            covers.withUnsafeBufferPointer { covers in
                pool.withUnsafeMutableBufferPointer { pool in
                    phi.withUnsafeMutableBufferPointer { phi in
                        let walk = Walk(
                            ensemble: ensemble, nodes: nodes.baseAddress!, covers: covers.baseAddress!,
                            target: target, x: x.values, phi: phi.baseAddress!, scale: scale, pool: pool.baseAddress!)
                        for root in ensemble.roots {
                            walk.recurse(node: Int(root), start: 0, length: 0, zero: 1, one: 1, feature: -1)
                        }
                    }
                }
            }
        }
        return expected
    }

    private static func expectedValue(
        _ ensemble: TreeEnsembleKernel, _ covers: [Double], _ target: Int, scale: Double
    ) -> Double {
        var expected = 0.0
        for root in ensemble.roots { expected += scale * meanValue(ensemble, covers, Int(root), target) }
        if target < ensemble.baseValues.count { expected += ensemble.baseValues[target] }
        return expected
    }

    private static func meanValue(_ e: TreeEnsembleKernel, _ covers: [Double], _ n: Int, _ target: Int) -> Double {
        let node = e.nodes[n]
        if node.mode == .leaf { return e.leafValue(n, target: target) }
        let t = Int(node.trueChild)
        let f = Int(node.falseChild)
        let c = covers[n]
        guard c > 0 else { return 0 }
        return (covers[t] * meanValue(e, covers, t, target) + covers[f] * meanValue(e, covers, f, target)) / c
    }

    /// One row's walk over the trees: the ensemble's arrays, the row, the output and the path
    /// pool, as pointers valid for the walk (no bounds or exclusivity checks per step).
    private struct Walk {
        let ensemble: TreeEnsembleKernel
        let nodes: UnsafePointer<TreeNode>
        let covers: UnsafePointer<Double>
        let target: Int
        let x: UnsafePointer<Double>
        let phi: UnsafeMutablePointer<Double>
        let scale: Double
        let pool: UnsafeMutablePointer<PathElement>

        func recurse(node n: Int, start: Int, length: Int, zero: Double, one: Double, feature: Int) {
            extend(start, length, zero, one, feature)
            let count = length + 1
            let node = nodes[n]
            if node.mode == .leaf {
                let value = ensemble.leafValue(n, target: target) * scale
                guard value != 0 else { return }
                for i in 1..<count {
                    let element = pool[start + i]
                    let w = unwoundSum(start, count, i)
                    phi[element.feature] += w * (element.one - element.zero) * value
                }
                return
            }
            let d = Int(node.feature)
            let goesTrue = node.goesTrue(x[d])
            let hot = Int(goesTrue ? node.trueChild : node.falseChild)
            let cold = Int(goesTrue ? node.falseChild : node.trueChild)
            var incomingZero = 1.0
            var incomingOne = 1.0
            var kept = count
            var k = 1
            while k < count, pool[start + k].feature != d { k += 1 }
            if k < count {
                incomingZero = pool[start + k].zero
                incomingOne = pool[start + k].one
                unwind(start, count, k)
                kept = count - 1
            }
            let cover = covers[n]
            let child = start + count
            (pool + child).update(from: pool + start, count: kept)
            recurse(
                node: hot, start: child, length: kept, zero: incomingZero * covers[hot] / cover, one: incomingOne,
                feature: d)
            (pool + child).update(from: pool + start, count: kept)
            recurse(
                node: cold, start: child, length: kept, zero: incomingZero * covers[cold] / cover, one: 0.0, feature: d)
        }

        /// Grows the path at `start` (holding `length` elements) by one split.
        func extend(_ start: Int, _ length: Int, _ zero: Double, _ one: Double, _ feature: Int) {
            pool[start + length] = PathElement(feature: feature, zero: zero, one: one, weight: length == 0 ? 1 : 0)
            let l = Double(length)
            var i = length - 1
            while i >= 0 {
                pool[start + i + 1].weight += one * pool[start + i].weight * Double(i + 1) / (l + 1)
                pool[start + i].weight = zero * pool[start + i].weight * (l - Double(i)) / (l + 1)
                i -= 1
            }
        }

        /// Removes element `k` from the path of `count` elements at `start`, undoing its `extend`.
        func unwind(_ start: Int, _ count: Int, _ k: Int) {
            let depth = count - 1
            let one = pool[start + k].one
            let zero = pool[start + k].zero
            var next = pool[start + depth].weight
            var j = depth - 1
            while j >= 0 {
                if one != 0 {
                    let saved = pool[start + j].weight
                    pool[start + j].weight = next * Double(depth + 1) / (Double(j + 1) * one)
                    next = saved - pool[start + j].weight * zero * Double(depth - j) / Double(depth + 1)
                } else {
                    pool[start + j].weight = pool[start + j].weight * Double(depth + 1) / (zero * Double(depth - j))
                }
                j -= 1
            }
            for i in k..<depth {
                pool[start + i].feature = pool[start + i + 1].feature
                pool[start + i].zero = pool[start + i + 1].zero
                pool[start + i].one = pool[start + i + 1].one
            }
        }

        /// Sum of the path weights after unwinding element `k`, without changing the path.
        func unwoundSum(_ start: Int, _ count: Int, _ k: Int) -> Double {
            let depth = count - 1
            let one = pool[start + k].one
            let zero = pool[start + k].zero
            var next = pool[start + depth].weight
            var total = 0.0
            var j = depth - 1
            if one != 0 {
                while j >= 0 {
                    let part = next / (Double(j + 1) * one)
                    total += part
                    next = pool[start + j].weight - part * zero * Double(depth - j)
                    j -= 1
                }
            } else {
                while j >= 0 {
                    total += pool[start + j].weight / (zero * Double(depth - j))
                    j -= 1
                }
            }
            return total * Double(depth + 1)
        }
    }
}
