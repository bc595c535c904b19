import AWSJSON
import DynamoDBAPI
import Foundation
import FrontDoors
import HTTPTypes
import KeyService
import LockstepCrypto
import LockstepTestSupport
import SigV4
import Store
import Testing

/// A fresh table store, keyring and DynamoDB front door per test, in a temp directory removed afterwards.
final class DynamoDBTestServer: @unchecked Sendable {
    // Unchecked: every member is a constant of a Sendable type or only used from the test's own task.
    /// Removed when the last server using it is gone.
    final class Directory: @unchecked Sendable {
        // Unchecked: a constant path.
        let path = NSTemporaryDirectory() + "lockstep-dynamodbtests-" + UUID().uuidString
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    let home: Directory
    var directory: String { home.path }
    let rootKey: RootKey
    let clock = ManualClock()
    let keyring: Keyring
    let tables: TableStore
    let frontDoor: AWSJSONFrontDoor<DynamoDBService>
    let signer = RequestSigner()

    /// A server on a new data directory, or on another's (closed) one, as after a restart.
    init(reopening other: DynamoDBTestServer? = nil) throws {
        home = other?.home ?? Directory()
        rootKey = other?.rootKey ?? RootKey(bytes: secureRandomBytes(32), source: .environment)
        let directory = home.path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let clock = self.clock
        keyring = try Keyring(dataDirectory: directory, rootKey: rootKey, now: { clock.nowMillis() })
        tables = try TableStore(dataDirectory: directory)
        frontDoor = AWSJSONFrontDoor(service: DynamoDBService(store: tables, keyring: keyring, region: "us-east-1", now: { clock.nowMillis() }),
                                     authenticator: Authenticator(credentials: [testAccessKey: testSecretKey], nowMillis: { clock.nowMillis() }),
                                     logger: .init(label: "dynamodb-tests"))
    }

    deinit { try? tables.close() }

    /// One DynamoDB_20120810 call signed for `dynamodb`, as the SDKs send it.
    func call(_ operation: String, _ members: [String: Any] = [:], auth: AuthStyle = .signed, service: String = "dynamodb") async -> Reply {
        await raw(operation, body: Array(try! JSONSerialization.data(withJSONObject: members)), auth: auth, service: service)
    }

    func raw(_ operation: String, body: [UInt8], auth: AuthStyle = .signed, service: String = "dynamodb") async -> Reply {
        let headers = [("X-Amz-Target", "DynamoDB_20120810." + operation), ("Content-Type", "application/x-amz-json-1.0")]
        let request = signer.request(.post, "/", headers: headers, body: body, payload: .sha256, auth: auth, date: clock.date,
                                     signingService: service)
        return await Reply.collect(await frontDoor.handle(request))
    }

    /// A call that must succeed; its JSON members.
    @discardableResult
    func ok(_ operation: String, _ members: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async -> [String: Any] {
        let reply = await call(operation, members)
        #expect(reply.status == 200, "\(operation): \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        return reply.json
    }

    /// Terraform's lock table: hash key LockID (S).
    func createLockTable(_ name: String = "tf-locks") async {
        await ok("CreateTable", ["TableName": name, "KeySchema": [["AttributeName": "LockID", "KeyType": "HASH"]],
                                 "AttributeDefinitions": [["AttributeName": "LockID", "AttributeType": "S"]],
                                 "BillingMode": "PAY_PER_REQUEST"])
    }
}

extension Reply {
    var json: [String: Any] {
        guard !body.isEmpty else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    /// The error code: the part of `__type` after `#`.
    var errorCode: String? { (json["__type"] as? String)?.split(separator: "#").last.map(String.init) }
}

/// A DynamoDB JSON error with its status, code and (part of) its message.
func expectError(_ reply: Reply, _ code: String, status: Int = 400, message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == status, "status \(reply.status), body \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.errorCode == code, "body \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.header("Content-Type") == "application/x-amz-json-1.0", sourceLocation: sourceLocation)
    if let message {
        let text = reply.json["message"] as? String ?? ""
        #expect(text.contains(message), "message \(text)", sourceLocation: sourceLocation)
    }
}
