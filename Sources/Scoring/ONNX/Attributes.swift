import Foundation

/// Typed access to a node's attributes, with errors that name the node and attribute.
struct NodeAttributes {
    let node: Onnx_NodeProto
    private let byName: [String: Onnx_AttributeProto]

    init(_ node: Onnx_NodeProto) {
        self.node = node
        var map: [String: Onnx_AttributeProto] = [:]
        for a in node.attribute { map[a.name] = a }
        byName = map
    }

    var label: String { "\(node.opType) node '\(node.name)'" }

    func has(_ name: String) -> Bool { byName[name] != nil }

    func int(_ name: String, default value: Int? = nil) throws(ScoringError) -> Int {
        if let a = byName[name] { return Int(a.i) }
        if let value { return value }
        throw missing(name)
    }

    func float(_ name: String, default value: Double? = nil) throws(ScoringError) -> Double {
        if let a = byName[name] { return Double(a.f) }
        if let value { return value }
        throw missing(name)
    }

    func string(_ name: String, default value: String? = nil) throws(ScoringError) -> String {
        if let a = byName[name] { return String(decoding: a.s, as: UTF8.self) }
        if let value { return value }
        throw missing(name)
    }

    func ints(_ name: String) -> [Int] { byName[name].map { $0.ints.map(Int.init) } ?? [] }

    func floats(_ name: String) -> [Double] { byName[name].map { $0.floats.map(Double.init) } ?? [] }

    func strings(_ name: String) -> [String] {
        byName[name].map { $0.strings.map { String(decoding: $0, as: UTF8.self) } } ?? []
    }

    /// A float list given either as `name` (floats) or as `name_as_tensor` (opset 3+).
    func floatsOrTensor(_ name: String) throws(ScoringError) -> [Double] {
        if let t = byName[name + "_as_tensor"], t.hasT { return try TensorData.doubles(t.t, context: label) }
        return floats(name)
    }

    func missing(_ name: String) -> ScoringError {
        ScoringError(.invalidModel, "\(label) lacks required attribute '\(name)'")
    }

    func invalid(_ what: String) -> ScoringError {
        ScoringError(.invalidModel, "\(label): \(what)")
    }
}

/// Reads the numbers of an ONNX tensor (initializer or attribute) as Doubles.
enum TensorData {
    static func doubles(_ t: Onnx_TensorProto, context: String) throws(ScoringError) -> [Double] {
        let count = t.dims.reduce(1) { $0 * Int($1) }
        guard t.dims.allSatisfy({ $0 >= 0 }), count <= 1 << 28 else {
            throw ScoringError(.invalidModel, "\(context): tensor '\(t.name)' has invalid dims \(t.dims)")
        }
        var values: [Double]
        let raw = t.rawData
        switch Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) {
        case .float:
            if !raw.isEmpty {
                values = try fromRaw(raw, width: 4, count: count, context: context, name: t.name) {
                    Double(Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))))
                }
            } else {
                values = t.floatData.map(Double.init)
            }
        case .double:
            if !raw.isEmpty {
                values = try fromRaw(raw, width: 8, count: count, context: context, name: t.name) {
                    Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)))
                }
            } else {
                values = t.doubleData
            }
        case .int64:
            if !raw.isEmpty {
                values = try fromRaw(raw, width: 8, count: count, context: context, name: t.name) {
                    Double(Int64(littleEndian: $0.loadUnaligned(as: Int64.self)))
                }
            } else {
                values = t.int64Data.map(Double.init)
            }
        case .int32:
            if !raw.isEmpty {
                values = try fromRaw(raw, width: 4, count: count, context: context, name: t.name) {
                    Double(Int32(littleEndian: $0.loadUnaligned(as: Int32.self)))
                }
            } else {
                values = t.int32Data.map(Double.init)
            }
        default:
            throw ScoringError(
                .unsupportedOperator, "\(context): tensor '\(t.name)' has unsupported data type \(t.dataType)")
        }
        guard values.count == count else {
            throw ScoringError(
                .invalidModel, "\(context): tensor '\(t.name)' holds \(values.count) values for dims \(t.dims)")
        }
        return values
    }

    private static func fromRaw(
        _ raw: Data, width: Int, count: Int, context: String, name: String,
        _ read: (UnsafeRawBufferPointer) -> Double
    ) throws(ScoringError) -> [Double] {
        guard raw.count == width * count else {
            throw ScoringError(.invalidModel, "\(context): tensor '\(name)' raw data is \(raw.count) bytes, expected \(width * count)")
        }
        return raw.withUnsafeBytes { buffer in
            (0..<count).map { read(UnsafeRawBufferPointer(rebasing: buffer[($0 * width)..<($0 * width + width)])) }
        }
    }
}
