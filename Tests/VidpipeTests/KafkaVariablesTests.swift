import Daemon
import Foundation
import Synchronization
import Testing

import Kafka

@testable import VidpipeConfiguration

/// `KAFKA_*` variables and client.properties files as the executable reads them.
@Suite struct KafkaVariablesTests {
    private func writeProperties(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appending(path: "client-\(UUID().uuidString).properties").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func embeddedModeWithoutBootstrapServers() throws {
        #expect(try KafkaConfiguration.fromVariables([:]) == nil)
        #expect(try KafkaConfiguration.fromVariables(["KAFKA_BOOTSTRAP_SERVERS": "", "KAFKA_GROUP_ID": "x"]) == nil)
    }

    @Test func environmentDefaultsAndOverrides() throws {
        let defaults = try #require(try KafkaConfiguration.fromVariables(["KAFKA_BOOTSTRAP_SERVERS": "a:9092, b:9092"]))
        #expect(defaults.bootstrapServers == ["a:9092", "b:9092"])
        #expect(defaults.groupID == "vidpipe")
        #expect(defaults.security == .plaintext)

        let custom = try #require(try KafkaConfiguration.fromVariables(["KAFKA_BOOTSTRAP_SERVERS": "k:1", "KAFKA_GROUP_ID": "g"]))
        #expect(custom.groupID == "g")
    }

    @Test func topicsDefaultAndOverride() throws {
        let defaults = try VidpipeConfiguration.from(values: [:], workingDirectory: "/")
        #expect(defaults.topics == IntakeTopics(requests: "vidpipe.requests", processed: "vidpipe.processed", deadLetter: "vidpipe.dead-letter"))
        let custom = try VidpipeConfiguration.from(values: [
            "KAFKA_TOPIC_REQUESTS": "r", "KAFKA_TOPIC_PROCESSED": "p", "KAFKA_TOPIC_DEAD_LETTER": "d", "KAFKA_TOPIC_X": "",
        ], workingDirectory: "/")
        #expect(custom.topics == IntakeTopics(requests: "r", processed: "p", deadLetter: "d"))
    }

    @Test func clientPropertiesWithSASLSSLAndSCRAM() throws {
        let path = try writeProperties("""
            # Confluent Cloud style
            bootstrap.servers=pkc-1.example.com:9092
            security.protocol=SASL_SSL
            sasl.mechanisms=SCRAM-SHA-512
            sasl.username = alice
            sasl.password = s3cr3t=with=equals
            client.id=vidpipe-test
            ! a Java-style comment
            session.timeout.ms=45000

            """)
        let config = try #require(try KafkaConfiguration.fromVariables(["KAFKA_CLIENT_PROPERTIES": path]))
        #expect(config.bootstrapServers == ["pkc-1.example.com:9092"])
        #expect(config.security.protocol == .saslSSL)
        #expect(config.security.sasl == .init(mechanism: .scramSHA512, username: "alice", password: "s3cr3t=with=equals"))
        #expect(config.clientID == "vidpipe-test")
        #expect(config.extraProperties == ["session.timeout.ms": "45000"])
    }

    @Test func jaasConfigSuppliesCredentials() throws {
        let path = try writeProperties("""
            bootstrap.servers=k:9092
            security.protocol=SASL_SSL
            sasl.mechanism=PLAIN
            sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username='bob' password='pw';
            """)
        let config = try #require(try KafkaConfiguration.fromVariables(["KAFKA_CLIENT_PROPERTIES": path]))
        #expect(config.security.sasl == .init(mechanism: .plain, username: "bob", password: "pw"))
        #expect(config.extraProperties.isEmpty)
    }

    @Test func environmentOverridesTheFile() throws {
        let path = try writeProperties("""
            bootstrap.servers=file:9092
            group.id=from-file
            security.protocol=SASL_PLAINTEXT
            sasl.mechanisms=PLAIN
            sasl.username=file-user
            sasl.password=file-password
            """)
        let config = try #require(try KafkaConfiguration.fromVariables([
            "KAFKA_CLIENT_PROPERTIES": path, "KAFKA_BOOTSTRAP_SERVERS": "env:9092", "KAFKA_GROUP_ID": "from-env",
            "KAFKA_SASL_MECHANISMS": "SCRAM-SHA-256", "KAFKA_SASL_PASSWORD": "env-password",
        ]))
        #expect(config.bootstrapServers == ["env:9092"])
        #expect(config.groupID == "from-env")
        #expect(config.security.sasl == .init(mechanism: .scramSHA256, username: "file-user", password: "env-password"))
    }

    @Test(arguments: [
        (["KAFKA_BOOTSTRAP_SERVERS": "k:1", "KAFKA_SECURITY_PROTOCOL": "TLS"], "KAFKA_SECURITY_PROTOCOL"),
        (["KAFKA_BOOTSTRAP_SERVERS": "k:1", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL"], "sasl.mechanisms"),
        (["KAFKA_BOOTSTRAP_SERVERS": "k:1", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISMS": "GSSAPI"], "KAFKA_SASL_MECHANISMS"),
        (["KAFKA_BOOTSTRAP_SERVERS": "k:1", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISMS": "PLAIN", "KAFKA_SASL_PASSWORD": "pw"], "sasl.username"),
        (["KAFKA_BOOTSTRAP_SERVERS": "k:1", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISMS": "PLAIN", "KAFKA_SASL_USERNAME": "u"], "sasl.password"),
        (["KAFKA_BOOTSTRAP_SERVERS": "k:1,,"], "KAFKA_BOOTSTRAP_SERVERS"),
        (["KAFKA_CLIENT_PROPERTIES": "/nonexistent/client.properties"], "KAFKA_CLIENT_PROPERTIES"),
    ])
    func errorsNameTheKeyAtFault(environment: [String: String], key: String) throws {
        let error = try #require(throws: KafkaError.self) { try KafkaConfiguration.fromVariables(environment) }
        #expect(error.code == .configuration)
        #expect(error.message.contains(key), "\(error.message)")
    }

    @Test func fileErrorsNameTheKeyAndLine() throws {
        let badValue = try writeProperties("bootstrap.servers=k:1\nsecurity.protocol=SASL_SSL\nsasl.mechanisms=OAUTHBEARER\n")
        let error = try #require(throws: KafkaError.self) {
            try KafkaConfiguration.fromVariables(["KAFKA_CLIENT_PROPERTIES": badValue])
        }
        #expect(error.message.contains("sasl.mechanisms in \(badValue)"))

        let badLine = try writeProperties("bootstrap.servers=k:1\njust-a-word\n")
        let lineError = try #require(throws: KafkaError.self) {
            try KafkaConfiguration.fromVariables(["KAFKA_CLIENT_PROPERTIES": badLine])
        }
        #expect(lineError.message.contains("line 2"))
    }

    @Test func passwordNeverInDescriptionsOrErrors() throws {
        let password = "hunter2-very-secret"
        let config = try #require(try KafkaConfiguration.fromVariables([
            "KAFKA_BOOTSTRAP_SERVERS": "k:1", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISMS": "SCRAM-SHA-256", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": password,
        ]))
        for text in [String(describing: config), "\(config.security)", "\(config.security.sasl!)", String(reflecting: config.security.sasl!)] {
            #expect(!text.contains(password), "\(text)")
        }
        #expect(String(describing: config).contains("user=u"))

        // librdkafka rejects this value; neither the error nor the log may quote the password.
        var bad = config
        bad.extraProperties = ["ssl.key.password": password, "sasl.kerberos.min.time.before.relogin": password]
        let lines = Mutex<[String]>([])
        let error = try #require(throws: KafkaError.self) {
            try KafkaProducer(configuration: bad) { entry in lines.withLock { $0.append(entry.message) } }
        }
        #expect(!error.description.contains(password), "\(error)")
        #expect(lines.withLock { $0.allSatisfy { !$0.contains(password) } })
    }
}
