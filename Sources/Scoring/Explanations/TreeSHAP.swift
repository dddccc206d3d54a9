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

    init(maxDepth: Int) {
        pool = Array(repeating: PathElement(), count: (maxDepth + 3) * (maxDepth + 4) / 2 + 4)
    }

    /// Adds the SHAP values of `x` for score column `target` to `phi`; returns the expected value
    /// (cover-weighted mean leaf value, summed over trees, with base value), so that
    /// `expected + sum(phi)` equals the ensemble's raw score.
    mutating func explain(
        _ ensemble: TreeEnsembleKernel, covers: [Double], target: Int, x: Row, phi: inout [Double]
    ) -> Double {
        var expected = 0.0
        let scale = ensemble.aggregate == .average && !ensemble.roots.isEmpty ? 1 / Double(ensemble.roots.count) : 1
        for root in ensemble.roots {
            let r = Int(root)
            expected += scale * meanValue(ensemble, covers, r, target)
            recurse(ensemble, covers, target, x, &phi, scale, node: r, start: 0, length: 0, zero: 1, one: 1, feature: -1)
        }
        if target < ensemble.baseValues.count { expected += ensemble.baseValues[target] }
        return expected
    }

    private func meanValue(_ e: TreeEnsembleKernel, _ covers: [Double], _ n: Int, _ target: Int) -> Double {
        let node = e.nodes[n]
        if node.mode == .leaf { return e.leafValue(n, target: target) }
        let t = Int(node.trueChild)
        let f = Int(node.falseChild)
        let c = covers[n]
        guard c > 0 else { return 0 }
        return (covers[t] * meanValue(e, covers, t, target) + covers[f] * meanValue(e, covers, f, target)) / c
    }

    private mutating func recurse(
        _ e: TreeEnsembleKernel, _ covers: [Double], _ target: Int, _ x: Row, _ phi: inout [Double], _ scale: Double,
        node n: Int, start: Int, length: Int, zero: Double, one: Double, feature: Int
    ) {
        extend(start, length, zero, one, feature)
        let count = length + 1
        let node = e.nodes[n]
        if node.mode == .leaf {
            let value = e.leafValue(n, target: target) * scale
            guard value != 0 else { return }
            for i in 1..<count {
                let element = pool[start + i]
                let w = unwoundSum(start, count, i)
                phi[element.feature] += w * (element.one - element.zero) * value
            }
            return
        }
        let d = Int(node.feature)
        let goesTrue = node.goesTrue(x.values[d])
        let hot = Int(goesTrue ? node.trueChild : node.falseChild)
        let cold = Int(goesTrue ? node.falseChild : node.trueChild)
        var incomingZero = 1.0
        var incomingOne = 1.0
        var kept = count
        if let k = (1..<count).first(where: { pool[start + $0].feature == d }) {
            incomingZero = pool[start + k].zero
            incomingOne = pool[start + k].one
            unwind(start, count, k)
            kept = count - 1
        }
        let cover = covers[n]
        let child = start + count
        for (branch, fractionOne) in [(hot, incomingOne), (cold, 0.0)] {
            for i in 0..<kept { pool[child + i] = pool[start + i] }
            recurse(
                e, covers, target, x, &phi, scale, node: branch, start: child, length: kept,
                zero: incomingZero * covers[branch] / cover, one: fractionOne, feature: d)
        }
    }

    /// Grows the path at `start` (holding `length` elements) by one split.
    private mutating func extend(_ start: Int, _ length: Int, _ zero: Double, _ one: Double, _ feature: Int) {
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
    private mutating func unwind(_ start: Int, _ count: Int, _ k: Int) {
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
    private func unwoundSum(_ start: Int, _ count: Int, _ k: Int) -> Double {
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
