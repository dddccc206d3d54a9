import ArgumentParser
import Audit
import CommandSupport
import Foundation
import Kafka
import Pipeline
import Runtime

/// Verbs of the audit log, registered on the root command.
var auditCommands: [any ParsableCommand.Type] { [AuditCommand.self] }

/// `steward audit`: the tamper-evident audit log (Docs/audit.md).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the tamper-evident audit log, prove an output is in it, print the signing key.",
        subcommands: [
            AuditPublicKeyCommand.self, AuditVerifyCommand.self, AuditProveCommand.self, AuditVerifyProofCommand.self,
        ]
    )
}

struct AuditPublicKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pubkey",
        abstract: "Print the public key of the checkpoint signing key.",
        discussion: """
            Reads the Ed25519 key from STEWARD_AUDIT_KEY (64 hex digits, e.g. from `openssl rand -hex 32`) \
            or the file named by STEWARD_AUDIT_KEY_FILE, and prints its public key as `ed25519:<hex>`, \
            the form `audit verify --pubkey` takes. The private key is never printed.
            """
    )

    func run() throws {
        guard
            let key = try AuditSigningKey.load(
                environment: ProcessInfo.processInfo.environment, readFile: readFileBytes)
        else {
            throw ValidationError(
                "no audit key: set \(AuditSigningKey.environmentVariable) or \(AuditSigningKey.fileEnvironmentVariable)"
            )
        }
        printLine(key.publicKey.text)
    }
}

/// The options every verb that reads a log shares: files, or (with `--brokers`) the topics on Kafka.
struct AuditLogFiles: ParsableArguments {
    @Option(help: "The audit topic's messages, one per line (e.g. DIR/<name>.audit.jsonl from replay).")
    var audit: String?

    @Option(
        parsing: .upToNextOption,
        help: "Output files (<topic>.jsonl, one message per line, in publication order) or directories of them.")
    var outputs: [String] = []

    @Option(help: "Read the topics from Kafka instead (read_committed), e.g. 127.0.0.1:9092; needs --name.")
    var brokers: String?

    @Option(
        help: "With --brokers: the topology name; its topics are <name>.sanitized, .dlq, .aggregates, .alerts, .audit.")
    var name: String?

    @Option(help: "With --brokers: stop reading after this many seconds without a new message.")
    var idleSeconds: Int = 5

    func validate() throws {
        if brokers != nil {
            guard name != nil else { throw ValidationError("--brokers needs --name (the topology name)") }
            guard audit == nil && outputs.isEmpty else {
                throw ValidationError("give --brokers or --audit/--outputs, not both")
            }
        } else {
            guard audit != nil, !outputs.isEmpty else {
                throw ValidationError("give --audit FILE and --outputs DIR_OR_FILES..., or --brokers with --name")
            }
        }
    }

    func read() throws -> (audit: [[UInt8]], outputs: [String: [[UInt8]]]) {
        if let brokers, let name { return try readKafka(brokers: brokers, name: name) }
        return try readFiles(audit: audit!)
    }

    /// Each output topic's messages, read from `<topic>.jsonl` files; the audit file itself and other
    /// `*.audit.jsonl` files in a directory are skipped.
    func readFiles(audit: String) throws -> (audit: [[UInt8]], outputs: [String: [[UInt8]]]) {
        let auditPath = URL(fileURLWithPath: audit).standardizedFileURL.path
        var files: [String] = []
        for path in outputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("no such file or directory: \(path)")
            }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                for name in names where name.hasSuffix(".jsonl") && !name.hasSuffix(".audit.jsonl") {
                    files.append((path as NSString).appendingPathComponent(name))
                }
            } else {
                files.append(path)
            }
        }
        var topics: [String: [[UInt8]]] = [:]
        for file in files where URL(fileURLWithPath: file).standardizedFileURL.path != auditPath {
            let topic = String((file as NSString).lastPathComponent.dropLast(file.hasSuffix(".jsonl") ? 6 : 0))
            guard topics[topic] == nil else { throw ValidationError("two files hold topic \(topic)") }
            topics[topic] = Self.lines(try readFileBytes(file))
        }
        return (Self.lines(try readFileBytes(audit)), topics)
    }

    /// Reads the topology's five topics from the beginning with a throwaway consumer group
    /// (read_committed, nothing committed) until no message came for `idleSeconds`. Kafka keeps order
    /// per partition only: a topic whose messages sit in several partitions cannot be put back in
    /// publication order, and is refused.
    func readKafka(brokers: String, name: String) throws -> (audit: [[UInt8]], outputs: [String: [[UInt8]]]) {
        let output = Topology.Output(topologyName: name)
        let topics = [output.sanitized, output.deadLetter, output.aggregates, output.alerts, output.audit]
        var configuration = KafkaConfiguration(
            bootstrapServers: brokers,
            properties: [
                "group.id": "steward-audit-verify-\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1000))",
                "isolation.level": "read_committed", "auto.offset.reset": "earliest", "enable.auto.commit": "false",
            ])
        configuration.merge(environment: ProcessInfo.processInfo.environment)
        let consumer = try KafkaConsumer.make(configuration: configuration)
        defer { consumer.close() }
        try consumer.subscribe(topics: topics)
        var received: [String: [ConsumedMessage]] = [:]
        var lastMessage = ContinuousClock.now
        // The first group join can take seconds; the idle clock starts once a message has come.
        let deadline = ContinuousClock.now + .seconds(60 + idleSeconds)
        while ContinuousClock.now < deadline {
            if !received.isEmpty, ContinuousClock.now - lastMessage > .seconds(idleSeconds) { break }
            guard let message = try consumer.poll(timeoutMilliseconds: 200) else { continue }
            received[message.topic, default: []].append(message)
            lastMessage = ContinuousClock.now
        }
        var result: [String: [[UInt8]]] = [:]
        for (topic, messages) in received {
            let partitions = Set(messages.map(\.partition))
            guard partitions.count == 1 else {
                throw ValidationError(
                    "\(topic) has messages in \(partitions.count) partitions, so their publication order is lost: "
                        + "verify a dump in publication order instead (Docs/audit.md)")
            }
            result[topic] = messages.sorted { $0.offset < $1.offset }.map(\.value)
        }
        let audit = result.removeValue(forKey: output.audit) ?? []
        return (audit, result)
    }

    static func lines(_ data: [UInt8]) -> [[UInt8]] { Replay.lines(of: data).map(Array.init) }
}

/// `--pubkey ed25519:<hex>`, or a file holding that.
func readPublicKey(_ value: String?) throws -> AuditPublicKey? {
    guard let value else { return nil }
    if FileManager.default.fileExists(atPath: value) {
        return try AuditPublicKey(text: String(decoding: try readFileBytes(value), as: UTF8.self))
    }
    return try AuditPublicKey(text: value)
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the audit log from the outputs; exit 1 naming the first inconsistency.",
        discussion: """
            Checks the chain of audit messages, recomputes every entry's Merkle roots and the running \
            tree from the outputs, and with --pubkey checks every checkpoint's Ed25519 signature. \
            Detects modified, deleted, inserted and reordered outputs, modified, deleted and reordered \
            audit messages, and forged or missing signatures. Prints a JSON summary on success.
            """
    )

    @OptionGroup var files: AuditLogFiles

    @Option(help: "The public key (`steward audit pubkey`), or a file holding it.")
    var pubkey: String?

    @Flag(help: "Require the log to end with the final entry of a run that shut down (not a log still growing).")
    var complete = false

    func run() throws {
        let (audit, outputs) = try files.read()
        var verifier = AuditVerifier(publicKey: try readPublicKey(pubkey))
        do {
            let summary = try verifier.verify(audit: audit, outputs: outputs)
            if complete && !summary.endsWithFinalEntry {
                throw AuditError(
                    "the audit log does not end with a final entry: the run has not shut down, or its last audit "
                        + "messages were deleted")
            }
            printLine(
                "{\"verified\":true,\"entries\":\(summary.entries),\"outputs\":\(summary.outputs),"
                    + "\"root\":\"\(Hex.encode(summary.root))\",\"checkpoints\":\(summary.checkpoints),"
                    + "\"signatures_checked\":\(summary.signaturesChecked),\"final\":\(summary.endsWithFinalEntry),"
                    + "\"entries_after_last_checkpoint\":\(summary.entriesAfterLastCheckpoint)}")
        } catch let error as AuditError {
            FileHandle.standardError.write(Data("audit verify: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct AuditProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print an inclusion proof of one output against the latest checkpoint.",
        discussion: """
            Verifies the log first, then prints (JSON) the output with CloudEvent id ID, its leaf \
            index, the audit path and the signed checkpoint: enough to show that this output is in \
            the signed log without revealing any other output. Check it with `audit verify-proof`.
            """
    )

    @OptionGroup var files: AuditLogFiles

    @Option(help: "The CloudEvent id of the output.") var id: String
    @Option(help: "The output topic, when the id is on several.") var topic: String?

    func run() throws {
        let (audit, outputs) = try files.read()
        var verifier = AuditVerifier(publicKey: nil)
        do {
            _ = try verifier.verify(audit: audit, outputs: outputs)
            let proof = try InclusionProof.make(id: id, topic: topic, outputs: outputs, verifier: verifier)
            printLine(String(decoding: proof.json, as: UTF8.self))
        } catch {
            FileHandle.standardError.write(Data("audit prove: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct AuditVerifyProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Check an inclusion proof printed by `audit prove`.",
        discussion:
            "Exit 0 when the output leads to the checkpoint's root (and, with --pubkey, the checkpoint is signed by that key)."
    )

    @Option(help: "The proof file (`-` for stdin).") var proof: String
    @Option(help: "The public key (`steward audit pubkey`), or a file holding it.") var pubkey: String?

    func run() throws {
        let bytes = proof == "-" ? Array(FileHandle.standardInput.readDataToEndOfFile()) : try readFileBytes(proof)
        do {
            let parsed = try InclusionProof(json: bytes)
            printLine(try parsed.verify(publicKey: try readPublicKey(pubkey)))
        } catch let error as AuditError {
            FileHandle.standardError.write(Data("audit verify-proof: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
