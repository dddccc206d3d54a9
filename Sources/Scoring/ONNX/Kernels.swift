import Foundation

/// Where an operator reads a tensor: the model's (possibly sparse) input row or a workspace slot.
enum Operand: Sendable, Equatable {
    case input
    case slot(Int)
}

/// A row the kernels read: dense values, and the indices of its non-zeros when known (sparse input).
struct Row {
    /// Dense values; for the model input, filled only when the model reads it densely
    /// (`ONNXModel.readsDenseInput`).
    let values: UnsafePointer<Double>
    let count: Int
    /// The indices that may be nonzero, and their values (parallel), when the row is sparse.
    let nonzeros: UnsafeBufferPointer<Int>?
    let nonzeroValues: UnsafePointer<Double>?

    init(values: UnsafePointer<Double>, count: Int) {
        self.values = values
        self.count = count
        nonzeros = nil
        nonzeroValues = nil
    }

    init(values: UnsafePointer<Double>, count: Int, nonzeros: UnsafeBufferPointer<Int>, nonzeroValues: UnsafePointer<Double>) {
        self.values = values
        self.count = count
        self.nonzeros = nonzeros
        self.nonzeroValues = nonzeroValues
    }
}

/// `post_transform` of the ONNX-ML classifiers and regressors.
enum PostTransform: String, Sendable {
    case none = "NONE"
    case logistic = "LOGISTIC"
    case softmax = "SOFTMAX"
    case softmaxZero = "SOFTMAX_ZERO"
    case probit = "PROBIT"

    init(attribute: String, node: String) throws(ScoringError) {
        guard let value = PostTransform(rawValue: attribute) else {
            throw ScoringError(.unsupportedOperator, "\(node): post_transform '\(attribute)' is not supported")
        }
        self = value
    }

    @inline(__always)
    static func sigmoid(_ x: Double) -> Double {
        // The form that is accurate on both tails.
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }

    @inline(__always)
    static func probit(_ p: Double) -> Double { 2.0.squareRoot() * inverseErf(2 * p - 1) }

    /// Applies the transform in place to `count` scores.
    func apply(_ v: UnsafeMutablePointer<Double>, _ count: Int) {
        switch self {
        case .none:
            return
        case .logistic:
            for i in 0..<count { v[i] = Self.sigmoid(v[i]) }
        case .probit:
            for i in 0..<count { v[i] = Self.probit(v[i]) }
        case .softmax:
            Kernels.softmax(v, count, zeroStaysZero: false)
        case .softmaxZero:
            Kernels.softmax(v, count, zeroStaysZero: true)
        }
    }

    /// Writes `[negative, positive]` from one positive-class score, as onnxruntime does for a
    /// binary classifier with one weight column: probabilities `1 - p, p` after LOGISTIC or PROBIT;
    /// after NONE, `1 - s, s` when the score is a probability (tree votes) else `-s, s`.
    func expandBinary(_ s: Double, into scores: UnsafeMutablePointer<Double>, noneIsProbability: Bool) {
        switch self {
        case .logistic, .probit:
            let p = self == .logistic ? Self.sigmoid(s) : Self.probit(s)
            scores[0] = 1 - p
            scores[1] = p
        case .none:
            scores[0] = noneIsProbability ? 1 - s : -s
            scores[1] = s
        case .softmax, .softmaxZero:
            scores[0] = -s
            scores[1] = s
            apply(scores, 2)
        }
    }

    /// Inverse error function (Giles' single-precision approximation refined by two Newton steps).
    static func inverseErf(_ x: Double) -> Double {
        if x <= -1 { return -.infinity }
        if x >= 1 { return .infinity }
        var w = -log((1 - x) * (1 + x))
        var p: Double
        if w < 5 {
            w -= 2.5
            p = 2.81022636e-08
            for c in [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                      -0.00417768164, 0.246640727, 1.50140941] { p = c + p * w }
        } else {
            w = w.squareRoot() - 3
            p = -0.000200214257
            for c in [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                      0.00943887047, 1.00167406, 2.83297682] { p = c + p * w }
        }
        var y = p * x
        for _ in 0..<2 {
            let e = erf(y) - x
            y -= e / (2 / Double.pi.squareRoot() * exp(-y * y))
        }
        return y
    }
}

enum Kernels {
    /// The index of the largest of `scores[0..<count]` (the first on ties), as a double: a classifier's label output.
    static func storeArgmax(_ scores: UnsafeMutablePointer<Double>, _ count: Int, into label: UnsafeMutablePointer<Double>) {
        var best = 0
        for t in 1..<max(count, 1) where scores[t] > scores[best] { best = t }
        label.pointee = Double(best)
    }

    static func softmax(_ v: UnsafeMutablePointer<Double>, _ count: Int, zeroStaysZero: Bool) {
        guard count > 0 else { return }
        var m = -Double.infinity
        for i in 0..<count { m = max(m, v[i]) }
        var sum = 0.0
        for i in 0..<count {
            if zeroStaysZero && v[i] == 0 { continue }
            v[i] = exp(v[i] - m)
            sum += v[i]
        }
        for i in 0..<count {
            if zeroStaysZero && v[i] == 0 { continue }
            v[i] /= sum
        }
    }
}

/// Parameters with a stable address, written once at model load and never changed: kernels on
/// the hot path read them through plain pointers (`LinearKernel.Unowned`), which copy without
/// reference counting.
final class ParameterStorage<Element: BitwiseCopyable>: @unchecked Sendable {
    // @unchecked: `base` is initialized in init and only read afterwards.
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(_ values: [Element]) {
        count = values.count
        base = .allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { values in
            if let first = values.baseAddress { base.initialize(from: first, count: values.count) }
        }
    }

    deinit { base.deallocate() }

    var pointer: UnsafePointer<Element> { UnsafePointer(base) }
}

/// `LinearClassifier` / `LinearRegressor`: scores = coefficients · x + intercepts, then post_transform.
struct LinearKernel: Sendable {
    let featureCount: Int
    let targets: Int
    /// Feature-major `[featureCount × targets]`, as the float32 values the model stores: the weights
    /// of one input for every target sit together (one cache line for a sparse input's slot), and
    /// half the size of doubles. Each is widened to double exactly before use.
    let weights: ParameterStorage<Float>
    /// One per target, or none.
    let intercepts: ParameterStorage<Double>
    let post: PostTransform
    /// One score for two classes: the output is expanded to `[negative, positive]` as onnxruntime does.
    let binaryExpansion: Bool
    let isClassifier: Bool

    /// `coefficients` row-major `[targets × featureCount]`, each a float32 value (ONNX stores them so).
    init(
        featureCount: Int, targets: Int, coefficients: [Double], intercepts: [Double], post: PostTransform,
        binaryExpansion: Bool, isClassifier: Bool
    ) {
        self.featureCount = featureCount
        self.targets = targets
        var weights = [Float](repeating: 0, count: coefficients.count)
        for t in 0..<targets {
            for j in 0..<featureCount { weights[j * targets + t] = Float(coefficients[t * featureCount + j]) }
        }
        self.weights = ParameterStorage(weights)
        self.intercepts = ParameterStorage(intercepts)
        self.post = post
        self.binaryExpansion = binaryExpansion
        self.isClassifier = isClassifier
    }

    var outputCount: Int { binaryExpansion ? 2 : targets }

    /// The margin-space contribution of input `j` to target `t`.
    func weight(target t: Int, feature j: Int) -> Double { Double(weights.base[j * targets + t]) }

    /// Target `t`'s intercept (0 when the model has none).
    func intercept(_ t: Int) -> Double { intercepts.count == 0 ? 0 : intercepts.base[t] }

    /// The kernel without its storage references, for the hot path: valid while this kernel (or a
    /// copy) is alive — `ONNXModel` keeps its kernels next to their views.
    var unowned: Unowned {
        Unowned(
            featureCount: featureCount, targets: targets, weights: weights.pointer,
            intercepts: intercepts.count == 0 ? nil : intercepts.pointer, post: post, binaryExpansion: binaryExpansion)
    }

    /// Trivially copyable: reading one from a table and running it retains nothing (a copy of the
    /// kernel itself would retain its storage, per record). Sendable because the memory it points
    /// to is never written after load.
    struct Unowned: @unchecked Sendable {
        let featureCount: Int
        let targets: Int
        let weights: UnsafePointer<Float>
        let intercepts: UnsafePointer<Double>?
        let post: PostTransform
        let binaryExpansion: Bool

        /// Writes the label index (classifiers) and the scores.
        ///
        /// Each target's sum adds the same terms in the same order (intercept, then the inputs in
        /// row order) whatever the layout, so scores do not depend on it.
        @inline(__always)
        func run(_ x: Row, label: UnsafeMutablePointer<Double>?, scores: UnsafeMutablePointer<Double>) {
            for t in 0..<targets { scores[t] = intercepts?[t] ?? 0 }
            LinearKernel.addProducts(weights, targets: targets, featureCount: featureCount, x, scores)
            if binaryExpansion {
                let s = scores[0]
                post.expandBinary(s, into: scores, noneIsProbability: false)
                label?.pointee = s > 0 ? 1 : 0
            } else {
                post.apply(scores, targets)
                if let label { Kernels.storeArgmax(scores, targets, into: label) }
            }
        }
    }

    /// `scores[t] += Σ_j w[j, t] · x[j]`, over the row's nonzeros when it is sparse.
    fileprivate static func addProducts(
        _ w: UnsafePointer<Float>, targets: Int, featureCount: Int, _ x: Row, _ scores: UnsafeMutablePointer<Double>
    ) {
        if let nz = x.nonzeros, let v = x.nonzeroValues {
            if targets == 2 {
                var s0 = scores[0], s1 = scores[1]
                for k in 0..<nz.count {
                    let j = nz[k] &* 2
                    s0 += Double(w[j]) * v[k]
                    s1 += Double(w[j &+ 1]) * v[k]
                }
                scores[0] = s0
                scores[1] = s1
            } else {
                for k in 0..<nz.count {
                    let j = nz[k] &* targets
                    for t in 0..<targets { scores[t] += Double(w[j &+ t]) * v[k] }
                }
            }
        } else {
            for j in 0..<featureCount {
                for t in 0..<targets { scores[t] += Double(w[j * targets + t]) * x.values[j] }
            }
        }
    }

}

/// Dense layer `y = x · W + b` (MatMul, Gemm, or Add of a constant when W is nil).
struct AffineKernel: Sendable {
    let inputCount: Int
    let outputCount: Int
    /// Row-major `[inputCount × outputCount]`, or nil for a pure bias add.
    let weights: [Double]?
    /// Bias of length outputCount (broadcast already applied), or empty.
    let bias: [Double]

    func run(_ x: Row, _ y: UnsafeMutablePointer<Double>) {
        guard let weights else {
            for i in 0..<outputCount { y[i] = x.values[i] + (bias.isEmpty ? 0 : bias[i]) }
            return
        }
        for i in 0..<outputCount { y[i] = bias.isEmpty ? 0 : bias[i] }
        weights.withUnsafeBufferPointer { w in
            if let nz = x.nonzeros, let v = x.nonzeroValues {
                for n in 0..<nz.count {
                    let k = nz[n]
                    let xk = v[n]
                    let row = k * outputCount
                    for i in 0..<outputCount { y[i] += xk * w[row + i] }
                }
            } else {
                for k in 0..<inputCount {
                    let xk = x.values[k]
                    if xk == 0 { continue }
                    let row = k * outputCount
                    for i in 0..<outputCount { y[i] += xk * w[row + i] }
                }
            }
        }
    }
}

/// One compiled operator.
enum Kernel: Sendable {
    case linear(LinearKernel)
    case trees(TreeEnsembleKernel)
    case affine(AffineKernel)
    case addRows
    case normalizer(String)
    case scaler(offset: [Double], scale: [Double])
    case copy
    case roundToFloat
    case relu, sigmoid, tanh, softmax
}

/// A kernel with its operands and result slots.
struct Instruction: Sendable {
    let kernel: Kernel
    let inputs: [Operand]
    /// Result slots; a label output (index) comes first for classifiers, as in ONNX-ML.
    let outputs: [Int]
    let opType: String
}
