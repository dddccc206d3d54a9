/// One node of a compiled tree; children are absolute indices into the ensemble's node array.
struct TreeNode: Sendable {
    enum Mode: UInt8, Sendable {
        case leaf, lessOrEqual, less, greaterOrEqual, greater, equal, notEqual
    }

    var feature: Int32 = 0
    var mode: Mode = .leaf
    var missingGoesTrue = false
    var trueChild: Int32 = -1
    var falseChild: Int32 = -1
    var threshold: Double = 0
    /// Range of this leaf's (target, weight) pairs in the ensemble's leaf arrays.
    var leafStart: Int32 = 0
    var leafCount: Int32 = 0

    /// Whether the decision at this node sends `x` to the true child.
    @inline(__always)
    func goesTrue(_ x: Double) -> Bool {
        if x.isNaN { return missingGoesTrue }
        switch mode {
        case .lessOrEqual: return x <= threshold
        case .less: return x < threshold
        case .greaterOrEqual: return x >= threshold
        case .greater: return x > threshold
        case .equal: return x == threshold
        case .notEqual: return x != threshold
        case .leaf: return false
        }
    }
}

/// `TreeEnsembleClassifier` / `TreeEnsembleRegressor` compiled to flat arrays.
struct TreeEnsembleKernel: Sendable {
    enum Aggregate: String, Sendable {
        case sum = "SUM", average = "AVERAGE", min = "MIN", max = "MAX"
    }

    let featureCount: Int
    /// Score columns before any binary expansion (classes, or regression targets).
    let targets: Int
    let nodes: [TreeNode]
    let roots: [Int32]
    let leafTargets: [Int32]
    let leafWeights: [Double]
    let baseValues: [Double]
    let post: PostTransform
    let aggregate: Aggregate
    let isClassifier: Bool
    /// Two classes with weights on one column only: onnxruntime expands the score to `[1 - p, p]`.
    let binaryExpansion: Bool
    /// The column that carries the weights when `binaryExpansion`.
    let binaryColumn: Int
    /// Node sample weights (TreeSHAP covers), parallel to `nodes`, when the model carries them.
    let covers: [Double]?
    let maxDepth: Int
    /// The same trees laid out for branch-free descent, when they allow it (see `CompleteTrees`).
    var complete: CompleteTrees?

    var outputCount: Int { targets }

    /// Sums (or averages, min, max) leaf weights into `raw[0..<targets]` before base values and transform.
    @inline(__always)
    func accumulate(_ x: Row, _ raw: UnsafeMutablePointer<Double>) {
        let initial: Double
        switch aggregate {
        case .sum, .average: initial = 0
        case .min: initial = .infinity
        case .max: initial = -.infinity
        }
        for t in 0..<targets { raw[t] = initial }
        if let complete, aggregate == .sum || aggregate == .average {
            raw[complete.column] = complete.sum(x.values, initial: raw[complete.column])
        } else {
            walk(x, raw)
        }
        if aggregate == .average && !roots.isEmpty {
            for t in 0..<targets { raw[t] /= Double(roots.count) }
        }
        for t in 0..<targets {
            if raw[t].isInfinite { raw[t] = 0 }
            if t < baseValues.count { raw[t] += baseValues[t] }
        }
    }

    /// Node-by-node descent of every tree, for any modes, aggregates and leaf layouts.
    private func walk(_ x: Row, _ raw: UnsafeMutablePointer<Double>) {
        nodes.withUnsafeBufferPointer { nodes in
            leafWeights.withUnsafeBufferPointer { weights in
                leafTargets.withUnsafeBufferPointer { targetsOf in
                    for root in roots {
                        var n = Int(root)
                        while true {
                            let node = nodes[n]
                            if node.mode == .leaf { break }
                            n = Int(node.goesTrue(x.values[Int(node.feature)]) ? node.trueChild : node.falseChild)
                        }
                        let leaf = nodes[n]
                        let start = Int(leaf.leafStart)
                        for k in start..<(start + Int(leaf.leafCount)) {
                            let t = Int(targetsOf[k])
                            switch aggregate {
                            case .sum, .average: raw[t] += weights[k]
                            case .min: raw[t] = Swift.min(raw[t], weights[k])
                            case .max: raw[t] = Swift.max(raw[t], weights[k])
                            }
                        }
                    }
                }
            }
        }
    }

    func run(_ x: Row, label: UnsafeMutablePointer<Double>?, scores: UnsafeMutablePointer<Double>) {
        accumulate(x, scores)
        if binaryExpansion {
            post.expandBinary(scores[binaryColumn], into: scores, noneIsProbability: true)
        } else {
            post.apply(scores, targets)
        }
        if let label { Kernels.storeArgmax(scores, targets, into: label) }
    }

    /// The leaf value of `node` for score column `target`.
    func leafValue(_ node: Int, target: Int) -> Double {
        let leaf = nodes[node]
        var v = 0.0
        for k in Int(leaf.leafStart)..<Int(leaf.leafStart + leaf.leafCount) where Int(leafTargets[k]) == target {
            v += leafWeights[k]
        }
        return v
    }
}
