import Foundation
import Runtime
import Testing

@testable import Pipeline

/// `steward replay` streams its input and outputs; the files must hold exactly what the in-memory
/// replay returns, whatever the chunk boundaries.
@Suite struct ReplayFiles {
    let topology = Topology(
        name: "stream",
        input: .init(topics: ["in"], requiredFields: ["id"], fieldTypes: [], eventTimeField: nil, subjectField: nil))

    func input() -> [UInt8] {
        var bytes: [UInt8] = []
        for index in 0..<400 {
            switch index % 7 {
            case 0: bytes += Array(#"{"id":"\#(index)","text":"naïve café ✓ \#(index)"}"#.utf8)
            case 1: bytes += []  // an empty line is a message too
            case 2: bytes += Array(#"{"id":"\#(index)"}"#.utf8) + [UInt8(ascii: "\r")]
            case 3: bytes += [0xFF, 0xFE] + Array("not utf-8".utf8)
            case 4: bytes += Array(#"{"no_id":true}"#.utf8)
            case 5: bytes += Array(#"{"id":"\#(index)","long":"\#(String(repeating: "x", count: index))"}"#.utf8)
            default: bytes += Array("not json".utf8)
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        bytes += Array(#"{"id":"last, without a newline"}"#.utf8)
        return bytes
    }

    @Test(arguments: [1, 7, 64, 1 << 20])
    func filesEqualTheInMemoryReplay(chunkSize: Int) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let inputPath = directory.appendingPathComponent("in.jsonl").path
        let bytes = input()
        #expect(FileManager.default.createFile(atPath: inputPath, contents: Data(bytes)))
        let options = Replay.Options(partition: 3, startOffset: 100)
        let expected = Replay.run(topology: topology, input: bytes, options: options)
        let outputDirectory = directory.appendingPathComponent("out").path
        let counters = try Replay.run(
            processor: Processor(topology: topology), inputFile: inputPath, outputDirectory: outputDirectory,
            options: options, chunkSize: chunkSize)
        #expect(counters == expected.counters)
        #expect(counters.consumed == 401)
        for (topic, messages) in expected.outputs {
            let written = FileManager.default.contents(atPath: "\(outputDirectory)/\(topic).jsonl").map(Array.init)
            #expect(written == messages.flatMap { $0.value + [UInt8(ascii: "\n")] }, "\(topic)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: outputDirectory).sorted()
        #expect(files == expected.outputs.keys.map { "\($0).jsonl" }.sorted())
    }
}
