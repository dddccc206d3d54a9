import Foundation

/// Turns an ONNX graph into a flat program over numbered workspace slots.
struct GraphCompiler {
    /// Metadata key under which the training script stores tree node covers (for TreeSHAP): a JSON
    /// array of numbers parallel to the `nodes_*` attributes of the (single) tree ensemble node.
    static let coversKey = "steward.tree_node_covers"

    static let supported: Set<String> = [
        "LinearClassifier", "LinearRegressor", "TreeEnsembleClassifier", "TreeEnsembleRegressor", "Normalizer",
        "Scaler", "Cast", "Identity", "ZipMap", "MatMul", "Gemm", "Add", "Relu", "Sigmoid", "Softmax", "Tanh",
    ]

    struct Value {
        var operand: Operand
        var size: Int
        var isLabel = false
    }

    var inputName = ""
    var inputCount = 0
    var inputIsFloat32 = false
    var classLabels: [String] = []
    var isClassifier = false
    var program: [Instruction] = []
    var slotOffsets: [Int] = []
    var slotSizes: [Int] = []
    var scoreSlot = 0
    var values: [String: Value] = [:]
    var constants: [String: (values: [Double], dims: [Int])] = [:]
    /// The model's core operator (linear or trees reading the input) and its score slot.
    var core: (kernel: Kernel, scoreSlot: Int)?

    mutating func newSlot(_ size: Int) -> Int {
        slotOffsets.append(slotOffsets.last.map { $0 + slotSizes.last! } ?? 0)
        slotSizes.append(size)
        return slotSizes.count - 1
    }

    mutating func compile(_ graph: Onnx_GraphProto) throws(ScoringError) {
        let unsupported = graph.node.map(\.opType).filter { !Self.supported.contains($0) }
        if let first = unsupported.first {
            let all = Array(Set(unsupported)).sorted().joined(separator: ", ")
            throw ScoringError(.unsupportedOperator, "unsupported ONNX operator '\(first)' (unsupported: \(all))")
        }
        for t in graph.initializer {
            let v = try TensorData.doubles(t, context: "initializer '\(t.name)'")
            constants[t.name] = (v, t.dims.map(Int.init))
        }
        let inputs = graph.input.filter { constants[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            throw ScoringError(
                .invalidModel, "the graph must have exactly one input row, found \(inputs.map(\.name))")
        }
        inputName = input.name
        let tensorType = input.type.tensorType
        inputIsFloat32 = tensorType.elemType == Int32(Onnx_TensorProto.DataType.float.rawValue)
        let dims = tensorType.shape.dim
        guard dims.count == 2, dims[1].dimValue > 0 else {
            throw ScoringError(.invalidModel, "input '\(input.name)' must have shape [N, F] with a known F")
        }
        if dims[0].dimValue > 1 {
            throw ScoringError(.invalidModel, "input '\(input.name)' has a fixed batch of \(dims[0].dimValue)")
        }
        inputCount = Int(dims[1].dimValue)
        guard inputCount <= 1 << 26 else { throw ScoringError(.invalidModel, "input row of \(inputCount) is too long") }
        values[input.name] = Value(operand: .input, size: inputCount)

        for node in graph.node {
            try compileNode(node)
        }
        var chosen: Value?
        for output in graph.output {
            guard let v = values[output.name] else {
                throw ScoringError(.invalidModel, "graph output '\(output.name)' is produced by no node")
            }
            if !v.isLabel && chosen == nil { chosen = v }
        }
        guard let chosen, case .slot(let s) = chosen.operand else {
            throw ScoringError(.invalidModel, "the graph has no score output computed from its input")
        }
        scoreSlot = s
    }

    private func operand(_ name: String, of a: NodeAttributes) throws(ScoringError) -> Value {
        guard let v = values[name] else {
            throw a.invalid("input '\(name)' is neither the graph input nor produced by an earlier node")
        }
        return v
    }

    private mutating func define(_ node: Onnx_NodeProto, _ index: Int, size: Int, isLabel: Bool = false) -> Int {
        let slot = newSlot(size)
        if index < node.output.count, !node.output[index].isEmpty {
            values[node.output[index]] = Value(operand: .slot(slot), size: size, isLabel: isLabel)
        }
        return slot
    }

    private mutating func compileNode(_ node: Onnx_NodeProto) throws(ScoringError) {
        let a = NodeAttributes(node)
        guard !node.input.isEmpty, !node.output.isEmpty else { throw a.invalid("node needs inputs and outputs") }
        let x = try operand(node.input[0], of: a)
        func emit(_ kernel: Kernel, _ inputs: [Operand], _ outputs: [Int]) {
            program.append(Instruction(kernel: kernel, inputs: inputs, outputs: outputs, opType: node.opType))
        }
        switch node.opType {
        case "Identity", "ZipMap":
            values[node.output[0]] = x
        case "Cast":
            let to = try a.int("to")
            if to == Onnx_TensorProto.DataType.float.rawValue, x.operand != .input, !x.isLabel {
                emit(.roundToFloat, [x.operand], [define(node, 0, size: x.size)])
            } else {
                if to == Onnx_TensorProto.DataType.float.rawValue && x.operand == .input { inputIsFloat32 = true }
                values[node.output[0]] = x
            }
        case "LinearClassifier", "LinearRegressor":
            let isClassifier = node.opType == "LinearClassifier"
            let coefficients = a.floats("coefficients")
            guard !coefficients.isEmpty, coefficients.count % x.size == 0 else {
                throw a.invalid("\(coefficients.count) coefficients do not fit an input row of \(x.size)")
            }
            let targets = coefficients.count / x.size
            let intercepts = a.floats("intercepts")
            guard intercepts.isEmpty || intercepts.count == targets else {
                throw a.invalid("\(intercepts.count) intercepts for \(targets) targets")
            }
            let post = try PostTransform(attribute: try a.string("post_transform", default: "NONE"), node: a.label)
            var binary = false
            if isClassifier {
                let labels = try classifierLabels(a)
                guard labels.count == targets || (labels.count == 2 && targets == 1) else {
                    throw a.invalid("\(labels.count) class labels for \(targets) coefficient rows")
                }
                binary = labels.count == 2 && targets == 1
                self.classLabels = labels
                self.isClassifier = true
            }
            let kernel = LinearKernel(
                featureCount: x.size, targets: targets, coefficients: coefficients, intercepts: intercepts, post: post,
                binaryExpansion: binary, isClassifier: isClassifier)
            if isClassifier {
                let label = define(node, 0, size: 1, isLabel: true)
                let scores = define(node, 1, size: kernel.outputCount)
                emit(.linear(kernel), [x.operand], [label, scores])
                if x.operand == .input { core = (.linear(kernel), scores) }
            } else {
                let scores = define(node, 0, size: kernel.outputCount)
                emit(.linear(kernel), [x.operand], [scores])
                if x.operand == .input { core = (.linear(kernel), scores) }
            }
        case "TreeEnsembleClassifier", "TreeEnsembleRegressor":
            let kernel = try TreeEnsembleBuilder.build(a, featureCount: x.size)
            if kernel.isClassifier {
                self.classLabels = try classifierLabels(a)
                self.isClassifier = true
                let label = define(node, 0, size: 1, isLabel: true)
                let scores = define(node, 1, size: kernel.outputCount)
                emit(.trees(kernel), [x.operand], [label, scores])
                if x.operand == .input { core = (.trees(kernel), scores) }
            } else {
                let scores = define(node, 0, size: kernel.outputCount)
                emit(.trees(kernel), [x.operand], [scores])
                if x.operand == .input { core = (.trees(kernel), scores) }
            }
        case "Normalizer":
            let norm = try a.string("norm", default: "MAX")
            guard ["MAX", "L1", "L2"].contains(norm) else { throw a.invalid("norm '\(norm)' is not MAX, L1 or L2") }
            emit(.normalizer(norm), [x.operand], [define(node, 0, size: x.size)])
        case "Scaler":
            let offset = a.floats("offset").isEmpty ? [0] : a.floats("offset")
            let scale = a.floats("scale").isEmpty ? [1] : a.floats("scale")
            guard [1, x.size].contains(offset.count), [1, x.size].contains(scale.count) else {
                throw a.invalid("offset/scale lengths do not match the input row of \(x.size)")
            }
            emit(.scaler(offset: offset, scale: scale), [x.operand], [define(node, 0, size: x.size)])
        case "MatMul", "Gemm":
            guard node.input.count >= 2, let b = constants[node.input[1]], b.dims.count == 2 else {
                throw a.invalid("the second input must be a 2-D initializer")
            }
            var transposeB = false
            var alpha = 1.0
            var beta = 1.0
            if node.opType == "Gemm" {
                guard try a.int("transA", default: 0) == 0 else { throw a.invalid("transA=1 is not supported") }
                transposeB = try a.int("transB", default: 0) != 0
                alpha = try a.float("alpha", default: 1)
                beta = try a.float("beta", default: 1)
            }
            let (k, m) = transposeB ? (b.dims[1], b.dims[0]) : (b.dims[0], b.dims[1])
            guard k == x.size else { throw a.invalid("weights of \(b.dims) do not fit an input row of \(x.size)") }
            var w = [Double](repeating: 0, count: k * m)
            for i in 0..<k {
                for j in 0..<m { w[i * m + j] = alpha * (transposeB ? b.values[j * k + i] : b.values[i * m + j]) }
            }
            var bias: [Double] = []
            if node.opType == "Gemm", node.input.count >= 3, !node.input[2].isEmpty {
                guard let c = constants[node.input[2]], c.values.count == m || c.values.count == 1 else {
                    throw a.invalid("bias C must be an initializer of length \(m) or 1")
                }
                bias = (0..<m).map { beta * (c.values.count == 1 ? c.values[0] : c.values[$0]) }
            }
            let kernel = AffineKernel(inputCount: k, outputCount: m, weights: w, bias: bias)
            emit(.affine(kernel), [x.operand], [define(node, 0, size: m)])
        case "Add":
            guard node.input.count == 2 else { throw a.invalid("Add needs two inputs") }
            if let c = constants[node.input[1]] {
                guard c.values.count == x.size || c.values.count == 1 else {
                    throw a.invalid("constant of \(c.values.count) cannot broadcast to a row of \(x.size)")
                }
                let bias = (0..<x.size).map { c.values.count == 1 ? c.values[0] : c.values[$0] }
                let kernel = AffineKernel(inputCount: x.size, outputCount: x.size, weights: nil, bias: bias)
                emit(.affine(kernel), [x.operand], [define(node, 0, size: x.size)])
            } else {
                let y = try operand(node.input[1], of: a)
                guard y.size == x.size else { throw a.invalid("Add of rows of \(x.size) and \(y.size)") }
                emit(.addRows, [x.operand, y.operand], [define(node, 0, size: x.size)])
            }
        case "Relu", "Sigmoid", "Tanh":
            let kernel: Kernel = node.opType == "Relu" ? .relu : node.opType == "Sigmoid" ? .sigmoid : .tanh
            emit(kernel, [x.operand], [define(node, 0, size: x.size)])
        case "Softmax":
            let axis = try a.int("axis", default: -1)
            guard axis == -1 || axis == 1 else { throw a.invalid("Softmax axis \(axis) is not the last axis") }
            emit(.softmax, [x.operand], [define(node, 0, size: x.size)])
        default:
            throw ScoringError(.unsupportedOperator, "unsupported ONNX operator '\(node.opType)'")
        }
    }

    private func classifierLabels(_ a: NodeAttributes) throws(ScoringError) -> [String] {
        let ints = a.node.opType.hasPrefix("Tree") ? a.ints("classlabels_int64s") : a.ints("classlabels_ints")
        let strings = a.strings("classlabels_strings")
        if !ints.isEmpty { return ints.map(String.init) }
        if !strings.isEmpty { return strings }
        throw a.invalid("classifier has no classlabels_ints or classlabels_strings")
    }

    /// The explainer when the score output is the core operator's output, possibly through
    /// post-processing that keeps the positive score's meaning (ZipMap, Identity, L1 Normalizer, Cast).
    func explainer(covers: String?) throws(ScoringError) -> ONNXModel.Explainer? {
        guard let core else { return nil }
        var slot = scoreSlot
        while slot != core.scoreSlot {
            guard let producer = program.first(where: { $0.outputs.contains(slot) }) else { return nil }
            switch producer.kernel {
            case .normalizer("L1"), .roundToFloat, .copy:
                guard case .slot(let s) = producer.inputs[0] else { return nil }
                slot = s
            default:
                return nil
            }
        }
        switch core.kernel {
        case .linear(let k):
            return .linear(k, target: k.binaryExpansion ? 0 : (k.targets == 2 ? 1 : 0))
        case .trees(let k):
            guard let covers else { return nil }
            guard let data = covers.data(using: .utf8),
                let list = try? JSONDecoder().decode([Double].self, from: data), list.count == k.nodes.count
            else {
                throw ScoringError(.invalidModel, "metadata '\(Self.coversKey)' must list one cover per tree node")
            }
            let withCovers = k.with(covers: list)
            let target = k.binaryExpansion ? k.binaryColumn : (k.targets == 2 ? 1 : 0)
            return .trees(withCovers, target: target)
        default:
            return nil
        }
    }
}
