import Foundation
import Pipeline

/// The offline runtime: runs a topology over a JSONL file with no broker, the way the Kafka
/// runtime would over a single-partition topic holding the same lines in order.
public enum Replay {
    public struct Options: Sendable {
        /// Position the lines are treated as having: topic (default: the topology's first input
        /// topic), partition, and the offset of the first line.
        public var topic: String?
        public var partition: Int32 = 0
        public var startOffset: Int64 = 0

        public init(topic: String? = nil, partition: Int32 = 0, startOffset: Int64 = 0) {
            self.topic = topic
            self.partition = partition
            self.startOffset = startOffset
        }
    }

    /// Splits JSONL bytes into message values: one per `\n`-terminated line (a last line without
    /// `\n` counts too). Lines are kept byte-for-byte, malformed ones included.
    public static func lines(of data: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        for index in data.indices where data[index] == UInt8(ascii: "\n") {
            result.append(data[start..<index])
            start = index + 1
        }
        if start < data.count { result.append(data[start..<data.count]) }
        return result
    }

    /// Processes every line and returns the output messages grouped by topic, in order, plus
    /// the processor's final counters. Every output topic of the topology is present (maybe empty).
    public static func run(topology: Topology, input: [UInt8], options: Options = Options()) -> (
        outputs: [String: [OutputMessage]], counters: Processor.Counters
    ) {
        run(processor: Processor(topology: topology), input: input, options: options)
    }

    /// The same with a processor built with its engines (`Topology.makeProcessor`).
    public static func run(processor: Processor, input: [UInt8], options: Options = Options()) -> (
        outputs: [String: [OutputMessage]], counters: Processor.Counters
    ) {
        var processor = processor
        let topology = processor.topology
        var outputs: [String: [OutputMessage]] = [
            topology.output.sanitized: [], topology.output.deadLetter: [],
        ]
        if !processor.streamStages.isEmpty {
            outputs[topology.output.aggregates] = []
            outputs[topology.output.alerts] = []
        }
        let topic = options.topic ?? topology.input.topics[0]
        for (index, line) in lines(of: input).enumerated() {
            let message = InputMessage(
                topic: topic, partition: options.partition, offset: options.startOffset + Int64(index), value: Array(line))
            for output in processor.process(message) {
                outputs[output.topic, default: []].append(output)
            }
        }
        return (outputs, processor.counters)
    }

    /// Runs a replay from a file and writes `<directory>/<topic>.jsonl` for every output topic.
    public static func run(
        processor: Processor, inputFile: String, outputDirectory: String, options: Options = Options()
    ) throws -> Processor.Counters {
        guard let data = FileManager.default.contents(atPath: inputFile) else {
            throw RuntimeError("cannot read input file \(inputFile)")
        }
        let (outputs, counters) = run(processor: processor, input: Array(data), options: options)
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        for (topic, messages) in outputs {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(messages.reduce(0) { $0 + $1.value.count + 1 })
            for message in messages {
                bytes.append(contentsOf: message.value)
                bytes.append(UInt8(ascii: "\n"))
            }
            let path = (outputDirectory as NSString).appendingPathComponent("\(topic).jsonl")
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw RuntimeError("cannot write \(path)")
            }
        }
        return counters
    }
}

/// An error of a runtime, with a message meant for the operator.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
