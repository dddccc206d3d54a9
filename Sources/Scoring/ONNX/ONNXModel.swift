import Foundation
import SwiftProtobuf

/// A classical ONNX / ONNX-ML model compiled for scoring one row at a time, in pure Swift.
///
/// Supported operators: `LinearClassifier`, `LinearRegressor`, `TreeEnsembleClassifier`,
/// `TreeEnsembleRegressor`, `Normalizer`, `Scaler`, `Cast`, `Identity`, `ZipMap` (ai.onnx.ml) and
/// `MatMul`, `Gemm`, `Add`, `Relu`, `Sigmoid`, `Softmax`, `Tanh` (ai.onnx). Anything else is a load
/// error naming the operator. The model reads one input row `[1, F]`; values are computed in
/// double precision from the stored (float32) parameters.
public struct ONNXModel: Sendable {
    /// Largest model file accepted by default (64 MiB).
    public static let defaultMaximumBytes = 64 << 20

    public let inputName: String
    /// F, the length of the input row.
    public let inputCount: Int
    /// The graph input is float32: input values are rounded to float32 first, as onnxruntime does.
    public let inputIsFloat32: Bool
    /// Class labels of the classifier, as strings, when the model is a classifier.
    public let classLabels: [String]
    public let isClassifier: Bool
    public let producer: String
    public let metadata: [String: String]

    /// The compiled graph as executed: operands resolved, each kernel's parameters in its kind's table.
    let steps: [Step]
    /// Owns the parameters `linearSteps` point into.
    let linearKernels: [LinearKernel]
    let linearSteps: [LinearKernel.Unowned]
    let treeKernels: [TreeEnsembleKernel]
    let affineKernels: [AffineKernel]
    let normalizers: [NormalizerKernel]
    let scalers: [ScalerKernel]
    /// Some operator reads the input row densely: linear and affine kernels read only its nonzeros.
    let readsDenseInput: Bool
    let slotOffsets: [Int]
    let slotSizes: [Int]
    let workspaceSize: Int
    /// Slot holding the probabilities (classifiers) or predictions (regressors).
    let scoreSlot: Int
    /// What explains the score, when the graph is a plain linear model or tree ensemble.
    let explainer: Explainer?

    enum Explainer: Sendable {
        /// Attributions `weight(target, j) * x[j]` in margin space.
        case linear(LinearKernel, target: Int)
        case trees(TreeEnsembleKernel, target: Int)
    }

    /// Parses and compiles a serialized ModelProto.
    public init(serialized bytes: [UInt8], maximumBytes: Int = ONNXModel.defaultMaximumBytes) throws(ScoringError) {
        guard bytes.count <= maximumBytes else {
            throw ScoringError(.modelTooLarge, "model file is \(bytes.count) bytes, above the limit of \(maximumBytes)")
        }
        guard !bytes.isEmpty else { throw ScoringError(.malformedModel, "model file is empty") }
        let proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: bytes, options: options)
        } catch {
            throw ScoringError(.malformedModel, "not a valid ONNX ModelProto (truncated or corrupt): \(error)")
        }
        try self.init(proto: proto)
    }

    init(proto: Onnx_ModelProto) throws(ScoringError) {
        guard proto.hasGraph, !proto.graph.node.isEmpty else {
            throw ScoringError(.malformedModel, "ONNX model has no graph nodes (truncated or not a model)")
        }
        for opset in proto.opsetImport where !(opset.domain.isEmpty || opset.domain == "ai.onnx" || opset.domain == "ai.onnx.ml") {
            throw ScoringError(.unsupportedOperator, "operator set domain '\(opset.domain)' is not supported")
        }
        var compiler = GraphCompiler()
        let graph = proto.graph
        try compiler.compile(graph)
        inputName = compiler.inputName
        inputCount = compiler.inputCount
        inputIsFloat32 = compiler.inputIsFloat32
        classLabels = compiler.classLabels
        isClassifier = compiler.isClassifier
        var steps: [Step] = []
        var linear: [LinearKernel] = [], trees: [TreeEnsembleKernel] = [], affine: [AffineKernel] = []
        var normalizers: [NormalizerKernel] = [], scalers: [ScalerKernel] = []
        let offsets = compiler.slotOffsets
        for ins in compiler.program {
            let kind: Step.Kind
            var table = 0
            switch ins.kernel {
            case .linear(let k): (kind, table) = (.linear, linear.count); linear.append(k)
            case .trees(let k): (kind, table) = (.trees, trees.count); trees.append(k)
            case .affine(let k): (kind, table) = (.affine, affine.count); affine.append(k)
            case .normalizer(let norm):
                (kind, table) = (.normalizer, normalizers.count)
                normalizers.append(NormalizerKernel(norm: norm))
            case .scaler(let offset, let scale):
                (kind, table) = (.scaler, scalers.count)
                scalers.append(ScalerKernel(offset: offset, scale: scale))
            case .addRows: kind = .addRows
            case .copy: kind = .copy
            case .roundToFloat: kind = .roundToFloat
            case .relu: kind = .relu
            case .sigmoid: kind = .sigmoid
            case .tanh: kind = .tanh
            case .softmax: kind = .softmax
            }
            let hasLabel = ins.outputs.count > 1
            steps.append(
                Step(
                    kind: kind, table: table, input: ins.inputs[0], secondInput: ins.inputs.count > 1 ? ins.inputs[1] : nil,
                    label: hasLabel ? offsets[ins.outputs[0]] : nil, output: offsets[ins.outputs.last!],
                    outputSize: compiler.slotSizes[ins.outputs.last!]))
        }
        self.steps = steps
        linearKernels = linear
        linearSteps = linear.map(\.unowned)
        treeKernels = trees
        affineKernels = affine
        self.normalizers = normalizers
        self.scalers = scalers
        readsDenseInput = compiler.program.contains { instruction in
            guard instruction.inputs.contains(.input) else { return false }
            switch instruction.kernel {
            case .linear: return false
            case .affine(let k): return k.weights == nil
            default: return true
            }
        }
        slotOffsets = compiler.slotOffsets
        slotSizes = compiler.slotSizes
        workspaceSize = compiler.slotOffsets.last.map { $0 + compiler.slotSizes.last! } ?? 0
        scoreSlot = compiler.scoreSlot
        producer = proto.producerName + (proto.producerVersion.isEmpty ? "" : " " + proto.producerVersion)
        var meta: [String: String] = [:]
        for entry in proto.metadataProps { meta[entry.key] = entry.value }
        metadata = meta
        explainer = try compiler.explainer(covers: meta[GraphCompiler.coversKey])
    }

    /// Number of values in the score output (classes for a classifier).
    public var scoreCount: Int { slotSizes[scoreSlot] }

    /// Whether `attributions` can explain this model (linear models and tree ensembles).
    public var isExplainable: Bool { explainer != nil }

    /// Fresh buffers for `run`; make one per worker and reuse it.
    public func makeWorkspace() -> [Double] { Array(repeating: 0, count: max(workspaceSize, 1)) }

    /// Runs the graph on one sparse row, leaving every value in `workspace`; returns the offset of
    /// the score output. The dense row is filled first only when some operator reads it.
    public func run(_ input: inout SparseAccumulator, workspace: inout [Double]) -> Int {
        if readsDenseInput { input.materializeDense() }
        input.withRow { dense, nonzeros, values in
            workspace.withUnsafeMutableBufferPointer { ws in
                let base = ws.baseAddress!
                let inputRow = Row(
                    values: dense.baseAddress!, count: dense.count, nonzeros: nonzeros, nonzeroValues: values.baseAddress!)
                for i in steps.indices { execute(steps[i], inputRow, base) }
            }
        }
        return slotOffsets[scoreSlot]
    }

    @inline(__always)
    private func row(_ operand: Operand, _ input: Row, _ ws: UnsafeMutablePointer<Double>) -> Row {
        switch operand {
        case .input: return input
        case .slot(let s): return Row(values: UnsafePointer(ws + slotOffsets[s]), count: slotSizes[s])
        }
    }

    /// Runs one step. Linear steps run from trivially copyable views (`linearSteps`); the other
    /// kernels are called in place in their tables (`treeKernels[k].run`), never copied on purpose:
    /// a copy retains every array the kernel holds, per record.
    private func execute(_ step: Step, _ input: Row, _ ws: UnsafeMutablePointer<Double>) {
        let x = row(step.input, input, ws)
        let out = ws + step.output
        let n = step.outputSize
        switch step.kind {
        case .linear: linearSteps[step.table].run(x, label: step.label.map { ws + $0 }, scores: out)
        case .trees: treeKernels[step.table].run(x, label: step.label.map { ws + $0 }, scores: out)
        case .affine: affineKernels[step.table].run(x, out)
        case .normalizer: normalizers[step.table].run(x, out, n)
        case .scaler: scalers[step.table].run(x, out, n)
        case .addRows:
            let y = row(step.secondInput!, input, ws)
            for i in 0..<n { out[i] = x.values[i] + y.values[i] }
        case .roundToFloat: for i in 0..<n { out[i] = Double(Float(x.values[i])) }
        case .relu: for i in 0..<n { out[i] = max(0, x.values[i]) }
        case .sigmoid: for i in 0..<n { out[i] = PostTransform.sigmoid(x.values[i]) }
        case .tanh: for i in 0..<n { out[i] = Foundation.tanh(x.values[i]) }
        case .copy: for i in 0..<n { out[i] = x.values[i] }
        case .softmax:
            for i in 0..<n { out[i] = x.values[i] }
            Kernels.softmax(out, n, zeroStaysZero: false)
        }
    }
}

/// One instruction of the compiled graph (`GraphCompiler.program`), ready to run: trivially copyable.
struct Step: Sendable {
    enum Kind: Sendable {
        case linear, trees, affine, normalizer, scaler, addRows, copy, roundToFloat, relu, sigmoid, tanh, softmax
    }

    let kind: Kind
    /// Index of the kernel in its kind's table (linear, trees, affine, normalizer, scaler).
    let table: Int
    let input: Operand
    let secondInput: Operand?
    /// Workspace offsets of the label (classifiers), and of the result.
    let label: Int?
    let output: Int
    let outputSize: Int
}

/// `Normalizer`: divides by the row's L1 or L2 norm or its maximum (`MAX`).
struct NormalizerKernel: Sendable {
    let norm: String

    func run(_ x: Row, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
        var d = 0.0
        switch norm {
        case "L1": for i in 0..<n { d += abs(x.values[i]) }
        case "L2":
            for i in 0..<n { d += x.values[i] * x.values[i] }
            d = d.squareRoot()
        default:
            d = -.infinity
            for i in 0..<n { d = max(d, x.values[i]) }
        }
        for i in 0..<n { out[i] = d == 0 ? x.values[i] : x.values[i] / d }
    }
}

/// `Scaler`: `(x - offset) * scale`, each one value or one per input.
struct ScalerKernel: Sendable {
    let offset: [Double]
    let scale: [Double]

    func run(_ x: Row, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n {
            let o = offset.count == 1 ? offset[0] : offset[i]
            let s = scale.count == 1 ? scale[0] : scale[i]
            out[i] = (x.values[i] - o) * s
        }
    }
}
