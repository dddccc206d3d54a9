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

    let program: [Instruction]
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
        program = compiler.program
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

    /// Runs the graph on one row whose dense values are `input.dense` (zero except at `input.indices`),
    /// leaving every value in `workspace`; returns the offset of the score output.
    @inlinable
    public func run(_ input: SparseAccumulator, workspace: inout [Double]) -> Int {
        _run(input.dense, input.indices, &workspace)
    }

    @usableFromInline
    func _run(_ dense: [Double], _ indices: [Int], _ workspace: inout [Double]) -> Int {
        dense.withUnsafeBufferPointer { x in
            indices.withUnsafeBufferPointer { nz in
                workspace.withUnsafeMutableBufferPointer { ws in
                    let base = ws.baseAddress!
                    let inputRow = Row(values: x.baseAddress!, count: x.count, nonzeros: nz)
                    for instruction in program {
                        execute(instruction, inputRow, base)
                    }
                }
            }
        }
        return slotOffsets[scoreSlot]
    }

    @inline(__always)
    private func row(_ operand: Operand, _ input: Row, _ ws: UnsafeMutablePointer<Double>) -> Row {
        switch operand {
        case .input: return input
        case .slot(let s): return Row(values: UnsafePointer(ws + slotOffsets[s]), count: slotSizes[s], nonzeros: nil)
        }
    }

    private func execute(_ ins: Instruction, _ input: Row, _ ws: UnsafeMutablePointer<Double>) {
        let x = row(ins.inputs[0], input, ws)
        switch ins.kernel {
        case .linear(let k):
            k.run(x, label: ins.outputs.count > 1 ? ws + slotOffsets[ins.outputs[0]] : nil,
                  scores: ws + slotOffsets[ins.outputs.last!])
        case .trees(let k):
            k.run(x, label: ins.outputs.count > 1 ? ws + slotOffsets[ins.outputs[0]] : nil,
                  scores: ws + slotOffsets[ins.outputs.last!])
        case .affine(let k):
            k.run(x, ws + slotOffsets[ins.outputs[0]])
        case .addRows:
            let y = row(ins.inputs[1], input, ws)
            let out = ws + slotOffsets[ins.outputs[0]]
            for i in 0..<slotSizes[ins.outputs[0]] { out[i] = x.values[i] + y.values[i] }
        case .normalizer(let norm):
            let n = slotSizes[ins.outputs[0]]
            let out = ws + slotOffsets[ins.outputs[0]]
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
        case .scaler(let offset, let scale):
            let n = slotSizes[ins.outputs[0]]
            let out = ws + slotOffsets[ins.outputs[0]]
            for i in 0..<n {
                let o = offset.count == 1 ? offset[0] : offset[i]
                let s = scale.count == 1 ? scale[0] : scale[i]
                out[i] = (x.values[i] - o) * s
            }
        case .copy, .roundToFloat, .relu, .sigmoid, .tanh, .softmax:
            let n = slotSizes[ins.outputs[0]]
            let out = ws + slotOffsets[ins.outputs[0]]
            switch ins.kernel {
            case .roundToFloat: for i in 0..<n { out[i] = Double(Float(x.values[i])) }
            case .relu: for i in 0..<n { out[i] = max(0, x.values[i]) }
            case .sigmoid: for i in 0..<n { out[i] = PostTransform.sigmoid(x.values[i]) }
            case .tanh: for i in 0..<n { out[i] = Foundation.tanh(x.values[i]) }
            default: for i in 0..<n { out[i] = x.values[i] }
            }
            if case .softmax = ins.kernel { Kernels.softmax(out, n, zeroStaysZero: false) }
        }
    }
}
