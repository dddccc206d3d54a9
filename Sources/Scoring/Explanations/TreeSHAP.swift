/// Path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
/// attribution for tree ensembles", Algorithm 2): exact Shapley values of a tree's output where a
/// missing feature follows both children weighted by their training cover.
struct TreeSHAP {
    struct PathElement {
        var feature: Int = -1
        var zero: Double = 0
        var one: Double = 0
        var weight: Double = 0
    }

    private var pool: [PathElement]
    /// The expected value per score column, computed once: it does not depend on the row.
    private var expectedValues: [Int: Double] = [:]

    init(maxDepth: Int) {
        pool = Array(repeating: PathElement(), count: (maxDepth + 3) * (maxDepth + 4) / 2 + 4)
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
