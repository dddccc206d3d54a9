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
        if processor.audit != nil { outputs[topology.output.audit] = [] }
        let topic = options.topic ?? topology.input.topics[0]
        for (index, line) in lines(of: input).enumerated() {
            let message = InputMessage(
                topic: topic, partition: options.partition, offset: options.startOffset + Int64(index), value: Array(line))
            for output in processor.process(message) {
                outputs[output.topic, default: []].append(output)
            }
        }
        // The end of the input is a shutdown: the audit log's final, signed entry.
        for output in processor.finish() {
            outputs[output.topic, default: []].append(output)
        }
        return (outputs, processor.counters)
    }

    /// Runs a replay from a file and writes `<directory>/<topic>.jsonl` for every output topic.
    ///
    /// Streams: the input is read in chunks of `chunkSize` bytes and every output line is written as
    /// it is produced (buffered per topic), so memory stays bounded whatever the input's size; the
    /// files hold exactly the bytes `run(processor:input:options:)` returns.
    public static func run(
        processor: Processor, inputFile: String, outputDirectory: String, options: Options = Options(),
        chunkSize: Int = 1 << 20
    ) throws -> Processor.Counters {
        try run(
            processor: processor, inputs: [(inputFile, options.partition)], outputDirectory: outputDirectory,
            options: options, chunkSize: chunkSize)
    }

    /// The same over several files, the i-th being partition `inputs[i].partition` of the input
    /// topic, as a Kafka run over those partitions would see them: each partition is processed in
    /// offset order, and the stream stages take records in the merged order of `MergeBuffer`
    /// (event time, then partition, then offset) — the same order the Kafka runtime uses.
    public static func run(
        processor: Processor, inputs: [(file: String, partition: Int32)], outputDirectory: String,
        options: Options = Options(), chunkSize: Int = 1 << 20
    ) throws -> Processor.Counters {
        var processor = processor
        let topology = processor.topology
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        var topics = [topology.output.sanitized, topology.output.deadLetter]
        if !processor.streamStages.isEmpty { topics += [topology.output.aggregates, topology.output.alerts] }
        if processor.audit != nil { topics.append(topology.output.audit) }
        var files: [String: OutputFile] = [:]
        func file(_ topic: String) throws -> OutputFile {
            if let open = files[topic] { return open }
            let opened = try OutputFile(path: (outputDirectory as NSString).appendingPathComponent("\(topic).jsonl"))
            files[topic] = opened
            return opened
        }
        for topic in topics { _ = try file(topic) }
        func write(_ outputs: [OutputMessage]) throws {
            for output in outputs { try file(output.topic).append(line: output.value) }
        }

        let topic = options.topic ?? topology.input.topics[0]
        guard Set(inputs.map(\.partition)).count == inputs.count else {
            throw RuntimeError("two inputs name the same partition")
        }
        var readers: [PartitionID: LineReader] = [:]
        var merge = MergeBuffer()
        for input in inputs {
            let partition = PartitionID(topic: topic, partition: input.partition)
            readers[partition] = try LineReader(path: input.file, chunkSize: chunkSize, firstOffset: options.startOffset)
            merge.open(partition)
        }
        defer { for reader in readers.values { reader.close() } }
        if inputs.count == 1, let (partition, reader) = readers.first {
            // One partition: nothing to merge.
            while let (offset, line) = try reader.next() {
                try write(
                    processor.process(
                        InputMessage(topic: topic, partition: partition.partition, offset: offset, value: line)))
            }
        } else {
            while true {
                for partition in merge.waiting {
                    if let (offset, line) = try readers[partition]!.next() {
                        merge.append(
                            processor.prepare(
                                InputMessage(topic: topic, partition: partition.partition, offset: offset, value: line)))
                    } else {
                        merge.close(partition)
                    }
                }
                guard let message = merge.next() else {
                    if merge.open.isEmpty && merge.count == 0 { break }
                    continue
                }
                try write(processor.process(message))
            }
        }
        // The end of the input is a shutdown: the audit log's final, signed entry.
        try write(processor.finish())
        for open in files.values { try open.close() }
        return processor.counters
    }
}

/// Reads a JSONL file one line at a time, in chunks, numbering lines from `firstOffset`.
final class LineReader {
    private let handle: FileHandle
    private let path: String
    private let chunkSize: Int
    private var pending: [UInt8] = []
    private var start = 0
    private var finished = false
    private var offset: Int64

    init(path: String, chunkSize: Int, firstOffset: Int64) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw RuntimeError("cannot read input file \(path)") }
        self.handle = handle
        self.path = path
        self.chunkSize = chunkSize
        offset = firstOffset
    }

    /// The next line (without its newline) and its offset; nil at the end of the file.
    func next() throws -> (Int64, [UInt8])? {
        while true {
            if let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[start..<newline])
                start = newline + 1
                return numbered(line)
            }
            if finished {
                guard start < pending.count else { return nil }
                let line = Array(pending[start...])
                start = pending.count
                return numbered(line)
            }
            pending.removeFirst(start)
            start = 0
            let chunk: Data
            do { chunk = try handle.read(upToCount: chunkSize) ?? Data() } catch {
                throw RuntimeError("cannot read input file \(path): \(error)")
            }
            if chunk.isEmpty { finished = true } else { pending.append(contentsOf: chunk) }
        }
    }

    private func numbered(_ line: [UInt8]) -> (Int64, [UInt8]) {
        defer { offset += 1 }
        return (offset, line)
    }

    func close() { try? handle.close() }
}

/// One output topic's JSONL file, written through a buffer.
final class OutputFile {
    private let handle: FileHandle
    private let path: String
    private var buffer: [UInt8] = []
    private static let flushAt = 1 << 20

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw RuntimeError("cannot write \(path)")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RuntimeError("cannot write \(path)") }
        self.handle = handle
        self.path = path
        buffer.reserveCapacity(Self.flushAt + 4096)
    }

    func append(line: [UInt8]) throws {
        buffer.append(contentsOf: line)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= Self.flushAt { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: buffer) } catch { throw RuntimeError("cannot write \(path): \(error)") }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}

/// An error of a runtime, with a message meant for the operator.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
