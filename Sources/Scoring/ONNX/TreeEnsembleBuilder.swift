/// Validates the `nodes_*` / `class_*` / `target_*` attributes of a tree ensemble and flattens them.
/// Compiled node `i` is attribute position `i`, so per-node metadata (covers) lines up.
enum TreeEnsembleBuilder {
    static func build(_ a: NodeAttributes, featureCount: Int) throws(ScoringError) -> TreeEnsembleKernel {
        let isClassifier = a.node.opType == "TreeEnsembleClassifier"
        let treeIDs = a.ints("nodes_treeids")
        let nodeIDs = a.ints("nodes_nodeids")
        let featureIDs = a.ints("nodes_featureids")
        let modes = a.strings("nodes_modes")
        let thresholds = try a.floatsOrTensor("nodes_values")
        let trueIDs = a.ints("nodes_truenodeids")
        let falseIDs = a.ints("nodes_falsenodeids")
        let missingTrue = a.ints("nodes_missing_value_tracks_true")
        let n = treeIDs.count
        guard n > 0, [nodeIDs.count, featureIDs.count, modes.count, trueIDs.count, falseIDs.count].allSatisfy({ $0 == n }),
            thresholds.count == n || thresholds.isEmpty, missingTrue.isEmpty || missingTrue.count == n
        else { throw a.invalid("nodes_* attributes are missing or of different lengths") }

        var index: [Int: [Int: Int]] = [:]
        for i in 0..<n {
            if index[treeIDs[i], default: [:]][nodeIDs[i]] != nil {
                throw a.invalid("node \(nodeIDs[i]) of tree \(treeIDs[i]) is defined twice")
            }
            index[treeIDs[i], default: [:]][nodeIDs[i]] = i
        }
        var nodes = [TreeNode](repeating: TreeNode(), count: n)
        var hasParent = [Bool](repeating: false, count: n)
        for i in 0..<n {
            var node = TreeNode()
            switch modes[i] {
            case "LEAF": node.mode = .leaf
            case "BRANCH_LEQ": node.mode = .lessOrEqual
            case "BRANCH_LT": node.mode = .less
            case "BRANCH_GTE": node.mode = .greaterOrEqual
            case "BRANCH_GT": node.mode = .greater
            case "BRANCH_EQ": node.mode = .equal
            case "BRANCH_NEQ": node.mode = .notEqual
            default: throw ScoringError(.unsupportedOperator, "\(a.label): node mode '\(modes[i])' is not supported")
            }
            if node.mode != .leaf {
                guard featureIDs[i] >= 0, featureIDs[i] < featureCount else {
                    throw a.invalid("node \(nodeIDs[i]) reads feature \(featureIDs[i]) of a row of \(featureCount)")
                }
                guard let t = index[treeIDs[i]]?[trueIDs[i]], let f = index[treeIDs[i]]?[falseIDs[i]], t != i, f != i
                else { throw a.invalid("node \(nodeIDs[i]) of tree \(treeIDs[i]) has a missing child") }
                node.feature = Int32(featureIDs[i])
                node.threshold = thresholds.isEmpty ? 0 : thresholds[i]
                node.trueChild = Int32(t)
                node.falseChild = Int32(f)
                node.missingGoesTrue = !missingTrue.isEmpty && missingTrue[i] != 0
                if hasParent[t] || hasParent[f] { throw a.invalid("tree \(treeIDs[i]) is not a tree (shared child)") }
                hasParent[t] = true
                hasParent[f] = true
            }
            nodes[i] = node
        }
        var roots: [Int32] = []
        var seenTrees: Set<Int> = []
        for i in 0..<n where !hasParent[i] {
            guard seenTrees.insert(treeIDs[i]).inserted else {
                throw a.invalid("tree \(treeIDs[i]) has more than one root")
            }
            roots.append(Int32(i))
        }
        // Depth, and a check that every node is reached exactly once from its root (no cycles).
        var maxDepth = 0
        var reached = 0
        var stack: [(Int, Int)] = roots.map { (Int($0), 0) }
        while let (i, depth) = stack.popLast() {
            reached += 1
            guard reached <= n, depth <= 4096 else { throw a.invalid("trees contain a cycle") }
            maxDepth = max(maxDepth, depth)
            if nodes[i].mode != .leaf {
                stack.append((Int(nodes[i].trueChild), depth + 1))
                stack.append((Int(nodes[i].falseChild), depth + 1))
            }
        }
        guard reached == n else { throw a.invalid("some nodes are not reachable from a root (cycle)") }

        let prefix = isClassifier ? "class" : "target"
        let wTrees = a.ints("\(prefix)_treeids")
        let wNodes = a.ints("\(prefix)_nodeids")
        let wIDs = a.ints("\(prefix)_ids")
        let wValues = try a.floatsOrTensor("\(prefix)_weights")
        guard [wNodes.count, wIDs.count, wValues.count].allSatisfy({ $0 == wTrees.count }) else {
            throw a.invalid("\(prefix)_* attributes are of different lengths")
        }
        let labelsCount: Int
        if isClassifier {
            labelsCount = max(a.ints("classlabels_int64s").count, a.strings("classlabels_strings").count)
        } else {
            labelsCount = try a.int("n_targets", default: 1)
        }
        guard labelsCount >= 1 else { throw a.invalid("no classes or targets") }
        var perNode = [[(Int32, Double)]](repeating: [], count: n)
        for k in 0..<wTrees.count {
            guard let i = index[wTrees[k]]?[wNodes[k]], nodes[i].mode == .leaf else {
                throw a.invalid("weight \(k) points to node \(wNodes[k]) of tree \(wTrees[k]), which is not a leaf")
            }
            guard wIDs[k] >= 0, wIDs[k] < max(labelsCount, 1) else {
                throw a.invalid("weight \(k) is for target \(wIDs[k]) of \(labelsCount)")
            }
            perNode[i].append((Int32(wIDs[k]), wValues[k]))
        }
        var leafTargets: [Int32] = []
        var leafWeights: [Double] = []
        for i in 0..<n {
            nodes[i].leafStart = Int32(leafTargets.count)
            nodes[i].leafCount = Int32(perNode[i].count)
            for (t, w) in perNode[i] {
                leafTargets.append(t)
                leafWeights.append(w)
            }
        }
        let distinctIDs = Set(wIDs)
        let binary = isClassifier && labelsCount == 2 && distinctIDs.count == 1
        let binaryColumn = binary ? distinctIDs.first! : 0
        var base = try a.floatsOrTensor("base_values")
        if binary && base.count == 1 {
            var b = [0.0, 0.0]
            b[binaryColumn] = base[0]
            base = b
        }
        let aggregate: TreeEnsembleKernel.Aggregate
        if isClassifier {
            aggregate = .sum
        } else {
            let name = try a.string("aggregate_function", default: "SUM")
            guard let value = TreeEnsembleKernel.Aggregate(rawValue: name) else {
                throw ScoringError(.unsupportedOperator, "\(a.label): aggregate_function '\(name)' is not supported")
            }
            aggregate = value
        }
        let complete = CompleteTrees(
            nodes: nodes, roots: roots, leafTargets: leafTargets, leafWeights: leafWeights, maxDepth: maxDepth)
        return TreeEnsembleKernel(
            featureCount: featureCount, targets: labelsCount, nodes: nodes, roots: roots, leafTargets: leafTargets,
            leafWeights: leafWeights, baseValues: base,
            post: try PostTransform(attribute: try a.string("post_transform", default: "NONE"), node: a.label),
            aggregate: aggregate, isClassifier: isClassifier, binaryExpansion: binary, binaryColumn: binaryColumn,
            covers: nil, maxDepth: maxDepth, complete: complete)
    }
}

extension TreeEnsembleKernel {
    func with(covers: [Double]) -> TreeEnsembleKernel {
        TreeEnsembleKernel(
            featureCount: featureCount, targets: targets, nodes: nodes, roots: roots, leafTargets: leafTargets,
            leafWeights: leafWeights, baseValues: baseValues, post: post, aggregate: aggregate,
            isClassifier: isClassifier, binaryExpansion: binaryExpansion, binaryColumn: binaryColumn, covers: covers,
            maxDepth: maxDepth, complete: complete)
    }
}
