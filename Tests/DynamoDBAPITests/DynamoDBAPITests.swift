import AWSJSON
import Foundation
import LockstepCrypto
import LockstepTestSupport
import Testing

/// The DynamoDB front door in process: Terraform's lock protocol, tables, items, reads, batches, and DynamoDB's errors.
@Suite("DynamoDB API")
struct DynamoDBAPITests {
    let lockInfo = #"{"ID":"4c5d","Operation":"OperationTypeApply","Who":"alice@laptop","Version":"1.0.3","Path":"states/prod.tfstate"}"#

    @Test func terraformsLockCycle() async throws {
        let server = try DynamoDBTestServer()
        await server.createLockTable()
        let lock: [String: Any] = ["TableName": "tf-locks", "Item": ["LockID": ["S": "states/prod.tfstate"], "Info": ["S": lockInfo]],
                                   "ConditionExpression": "attribute_not_exists(LockID)"]
        let acquired = await server.call("PutItem", lock)
        #expect(acquired.status == 200)
        #expect(acquired.text == "{}")
        // A second locker fails, then reads the holder's info as Terraform does.
        expectError(await server.call("PutItem", lock), "ConditionalCheckFailedException", message: "The conditional request failed")
        let info = await server.ok("GetItem", ["TableName": "tf-locks", "Key": ["LockID": ["S": "states/prod.tfstate"]],
                                               "ProjectionExpression": "LockID, Info", "ConsistentRead": true])
        let item = info["Item"] as? [String: [String: String]]
        #expect(item?["Info"]?["S"] == lockInfo)
        #expect(item?.count == 2)
        // The digest item, unconditional, beside the lock.
        await server.ok("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "states/prod.tfstate-md5"],
                                                                      "Digest": ["S": "0123456789abcdef0123456789abcdef"]]])
        let digest = await server.ok("GetItem", ["TableName": "tf-locks", "Key": ["LockID": ["S": "states/prod.tfstate-md5"]],
                                                 "ProjectionExpression": "LockID, Digest", "ConsistentRead": true])
        #expect((digest["Item"] as? [String: [String: String]])?["Digest"]?["S"] == "0123456789abcdef0123456789abcdef")
        // OpenTofu's unlock: only if the info is still ours.
        expectError(await server.call("DeleteItem", ["TableName": "tf-locks", "Key": ["LockID": ["S": "states/prod.tfstate"]],
                                                     "ConditionExpression": "Info = :info", "ExpressionAttributeValues": [":info": ["S": "other"]]]),
                    "ConditionalCheckFailedException")
        await server.ok("DeleteItem", ["TableName": "tf-locks", "Key": ["LockID": ["S": "states/prod.tfstate"]],
                                       "ConditionExpression": "Info = :info", "ExpressionAttributeValues": [":info": ["S": lockInfo]]])
        #expect(await server.ok("GetItem", ["TableName": "tf-locks", "Key": ["LockID": ["S": "states/prod.tfstate"]]]).isEmpty)
        #expect(await server.call("PutItem", lock).status == 200)
        // The legacy `Expected` form of the same condition (aws-sdk-go v1 callers).
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "states/prod.tfstate"]],
                                                  "Expected": ["LockID": ["Exists": false]]]), "ConditionalCheckFailedException")
    }

    @Test func ofThirtyTwoRacingLockersExactlyOneWins() async throws {
        let server = try DynamoDBTestServer()
        await server.createLockTable()
        let winners = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "race"], "Info": ["S": "\(worker)"]],
                                                  "ConditionExpression": "attribute_not_exists(LockID)"]).status == 200 ? 1 : 0
                }
            }
            return await group.reduce(0, +)
        }
        #expect(winners == 1)
    }

    @Test func responsesCarryDynamoDBsHeaders() async throws {
        let server = try DynamoDBTestServer()
        let reply = await server.call("ListTables")
        #expect(reply.status == 200)
        #expect(reply.header("Content-Type") == "application/x-amz-json-1.0")
        var crc = CRC32(.ieee)
        reply.body.withUnsafeBytes { crc.update($0) }
        #expect(reply.header("x-amz-crc32") == String(crc.value))
        #expect(reply.header("x-amzn-RequestId")?.isEmpty == false)
        let error = await server.call("DescribeTable", ["TableName": "missing"])
        var errorCRC = CRC32(.ieee)
        error.body.withUnsafeBytes { errorCRC.update($0) }
        #expect(error.header("x-amz-crc32") == String(errorCRC.value))
    }

    @Test func tablesAreCreatedDescribedListedAndDeleted() async throws {
        let server = try DynamoDBTestServer()
        let created = await server.ok("CreateTable", [
            "TableName": "events", "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]],
            "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "N"]],
            "ProvisionedThroughput": ["ReadCapacityUnits": 5, "WriteCapacityUnits": 7], "Tags": [["Key": "team", "Value": "infra"]],
        ])
        let description = created["TableDescription"] as? [String: Any]
        #expect(description?["TableStatus"] as? String == "ACTIVE")
        #expect(description?["TableArn"] as? String == "arn:aws:dynamodb:us-east-1:000000000000:table/events")
        #expect((description?["ProvisionedThroughput"] as? [String: Any])?["WriteCapacityUnits"] as? Int == 7)
        expectError(await server.call("CreateTable", [
            "TableName": "events", "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
            "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]], "BillingMode": "PAY_PER_REQUEST",
        ]), "ResourceInUseException", message: "Table already exists: events")
        await server.createLockTable("a-locks")
        await server.createLockTable("z-locks")

        await server.ok("PutItem", ["TableName": "events", "Item": ["pk": ["S": "a"], "sk": ["N": "1"], "v": ["S": "x"]]])
        let table = await server.ok("DescribeTable", ["TableName": "events"])["Table"] as? [String: Any]
        #expect(table?["ItemCount"] as? Int == 1)
        let schema = table?["KeySchema"] as? [[String: String]]
        #expect(schema == [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]])

        let first = await server.ok("ListTables", ["Limit": 2])
        #expect(first["TableNames"] as? [String] == ["a-locks", "events"])
        #expect(first["LastEvaluatedTableName"] as? String == "events")
        let second = await server.ok("ListTables", ["ExclusiveStartTableName": "events"])
        #expect(second["TableNames"] as? [String] == ["z-locks"])
        #expect(second["LastEvaluatedTableName"] == nil)

        let updated = await server.ok("UpdateTable", ["TableName": "events", "BillingMode": "PAY_PER_REQUEST"])
        #expect(((updated["TableDescription"] as? [String: Any])?["BillingModeSummary"] as? [String: Any])?["BillingMode"] as? String == "PAY_PER_REQUEST")

        await server.ok("DeleteTable", ["TableName": "events"])
        expectError(await server.call("DescribeTable", ["TableName": "events"]), "ResourceNotFoundException",
                    message: "Requested resource not found: Table: events not found")
        expectError(await server.call("GetItem", ["TableName": "events", "Key": ["pk": ["S": "a"], "sk": ["N": "1"]]]),
                    "ResourceNotFoundException")
        // Re-created, it is empty.
        await server.ok("CreateTable", ["TableName": "events", "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
                                        "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]], "BillingMode": "PAY_PER_REQUEST"])
        #expect(await server.ok("Scan", ["TableName": "events"])["Count"] as? Int == 0)
    }

    @Test func createTableChecksItsSchema() async throws {
        let server = try DynamoDBTestServer()
        let hash = [["AttributeName": "LockID", "KeyType": "HASH"]]
        let definition = [["AttributeName": "LockID", "AttributeType": "S"]]
        expectError(await server.call("CreateTable", ["TableName": "tbl", "KeySchema": hash, "AttributeDefinitions": definition]),
                    "ValidationException", message: "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
        expectError(await server.call("CreateTable", ["TableName": "tbl", "KeySchema": hash, "AttributeDefinitions": [["AttributeName": "x", "AttributeType": "S"]],
                                                      "BillingMode": "PAY_PER_REQUEST"]),
                    "ValidationException", message: "Some index key attributes are not defined in AttributeDefinitions")
        expectError(await server.call("CreateTable", ["TableName": "tbl", "KeySchema": [["AttributeName": "LockID", "KeyType": "RANGE"]],
                                                      "AttributeDefinitions": definition, "BillingMode": "PAY_PER_REQUEST"]),
                    "ValidationException", message: "The first KeySchemaElement is not a HASH key type")
        expectError(await server.call("CreateTable", ["TableName": "x", "KeySchema": hash, "AttributeDefinitions": definition, "BillingMode": "PAY_PER_REQUEST"]),
                    "ValidationException", message: "Member must have length greater than or equal to 3")
        expectError(await server.call("CreateTable", ["TableName": "tbl", "KeySchema": hash, "AttributeDefinitions": definition,
                                                      "BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": ["ReadCapacityUnits": 1, "WriteCapacityUnits": 1]]),
                    "ValidationException", message: "Neither ReadCapacityUnits nor WriteCapacityUnits")
        #expect(await server.call("ListTables").json["TableNames"] as? [String] == [])
    }

    @Test func keysAndItemsAreValidated() async throws {
        let server = try DynamoDBTestServer()
        await server.createLockTable()
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["N": "1"]]]), "ValidationException",
                    message: "Type mismatch for key LockID expected: S actual: N")
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["Info": ["S": "x"]]]), "ValidationException",
                    message: "Missing the key LockID in the item")
        expectError(await server.call("GetItem", ["TableName": "tf-locks", "Key": ["LockID": ["S": "a"], "Info": ["S": "b"]]]),
                    "ValidationException", message: "The provided key element does not match the schema")
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": ""]]]), "ValidationException")
        // 400 KB is DynamoDB's item limit.
        let big = String(repeating: "x", count: 409_600)
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "big"], "Info": ["S": big]]]),
                    "ValidationException", message: "Item size has exceeded the maximum allowed size")
        let fits = String(repeating: "x", count: 400_000)
        #expect(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "big"], "Info": ["S": fits]]]).status == 200)
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "a"]],
                                                  "ExpressionAttributeValues": [":v": ["S": "x"]]]), "ValidationException")
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "a"]], "ConditionExpression": "attribute_not_exists(LockID)",
                                                  "Expected": ["LockID": ["Exists": false]]]),
                    "ValidationException", message: "Can not use both expression and non-expression parameters")
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "a"]], "ReturnValues": "ALL_NEW"]),
                    "ValidationException", message: "ReturnValues can only be ALL_OLD or NONE")
    }

    @Test func updateItemAppliesExpressionsAtomically() async throws {
        let server = try DynamoDBTestServer()
        await server.createLockTable("counters")
        @Sendable func incrementRequest() -> [String: Any] { ["TableName": "counters", "Key": ["LockID": ["S": "c"]],
                                        "UpdateExpression": "SET hits = if_not_exists(hits, :zero) + :one, tags = list_append(if_not_exists(tags, :empty), :tag)",
                                        "ExpressionAttributeValues": [":zero": ["N": "0"], ":one": ["N": "1"], ":empty": ["L": []], ":tag": ["L": [["S": "t"]]]],
                                        "ReturnValues": "UPDATED_NEW"] }
        let first = await server.ok("UpdateItem", incrementRequest())
        #expect((first["Attributes"] as? [String: [String: Any]])?["hits"]?["N"] as? String == "1")
        // Sixteen concurrent increments lose none.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<16 { group.addTask { _ = await server.call("UpdateItem", incrementRequest()) } }
        }
        let item = await server.ok("GetItem", ["TableName": "counters", "Key": ["LockID": ["S": "c"]]])["Item"] as? [String: [String: Any]]
        #expect(item?["hits"]?["N"] as? String == "17")
        #expect((item?["tags"]?["L"] as? [Any])?.count == 17)

        let old = await server.ok("UpdateItem", ["TableName": "counters", "Key": ["LockID": ["S": "c"]], "UpdateExpression": "REMOVE tags ADD hits :one",
                                                 "ExpressionAttributeValues": [":one": ["N": "1"]], "ReturnValues": "ALL_OLD"])
        #expect((old["Attributes"] as? [String: [String: Any]])?["hits"]?["N"] as? String == "17")
        expectError(await server.call("UpdateItem", ["TableName": "counters", "Key": ["LockID": ["S": "c"]], "UpdateExpression": "SET LockID = :v",
                                                     "ExpressionAttributeValues": [":v": ["S": "other"]]]),
                    "ValidationException", message: "Cannot update attribute LockID. This attribute is part of the key")
        expectError(await server.call("UpdateItem", ["TableName": "counters", "Key": ["LockID": ["S": "c"]], "UpdateExpression": "SET hits = :v",
                                                     "ConditionExpression": "hits > :big",
                                                     "ExpressionAttributeValues": [":v": ["N": "0"], ":big": ["N": "100"]],
                                                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"]),
                    "ConditionalCheckFailedException")
        let refused = await server.call("UpdateItem", ["TableName": "counters", "Key": ["LockID": ["S": "c"]], "UpdateExpression": "SET hits = :v",
                                                       "ConditionExpression": "hits > :big",
                                                       "ExpressionAttributeValues": [":v": ["N": "0"], ":big": ["N": "100"]],
                                                       "ReturnValuesOnConditionCheckFailure": "ALL_OLD"])
        #expect(((refused.json["Item"] as? [String: [String: Any]])?["hits"])?["N"] as? String == "18")
    }

    @Test func queryWalksARangeInEitherDirectionPageByPage() async throws {
        let server = try DynamoDBTestServer()
        await server.ok("CreateTable", [
            "TableName": "series", "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]],
            "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "N"]],
            "BillingMode": "PAY_PER_REQUEST",
        ])
        // Numbers order numerically, negatives and fractions included.
        let values = ["-10", "-1.5", "0", "0.25", "2", "10", "100", "1e3"]
        for value in values.shuffled() {
            await server.ok("PutItem", ["TableName": "series", "Item": ["pk": ["S": "a"], "sk": ["N": value], "even": ["BOOL": value.hasSuffix("0")]]])
        }
        await server.ok("PutItem", ["TableName": "series", "Item": ["pk": ["S": "b"], "sk": ["N": "1"]]])
        func keys(_ result: [String: Any]) -> [String] {
            (result["Items"] as? [[String: [String: Any]]] ?? []).map { $0["sk"]?["N"] as? String ?? "?" }
        }
        let all = await server.ok("Query", ["TableName": "series", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": [":p": ["S": "a"]]])
        #expect(keys(all) == ["-10", "-1.5", "0", "0.25", "2", "10", "100", "1000"])
        let between = await server.ok("Query", ["TableName": "series", "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi",
                                                "ExpressionAttributeValues": [":p": ["S": "a"], ":lo": ["N": "-1.5"], ":hi": ["N": "10"]],
                                                "ScanIndexForward": false])
        #expect(keys(between) == ["10", "2", "0.25", "0", "-1.5"])

        var pages: [[String]] = []
        var start: Any?
        repeat {
            var request: [String: Any] = ["TableName": "series", "KeyConditionExpression": "pk = :p AND sk > :z", "Limit": 2,
                                          "FilterExpression": "even = :t",
                                          "ExpressionAttributeValues": [":p": ["S": "a"], ":z": ["N": "0"], ":t": ["BOOL": true]]]
            if let start { request["ExclusiveStartKey"] = start }
            let page = await server.ok("Query", request)
            pages.append(keys(page))
            #expect(page["ScannedCount"] as? Int ?? 0 <= 2)
            start = page["LastEvaluatedKey"]
        } while start != nil
        // Limit counts items evaluated, the filter applies after it.
        #expect(pages.flatMap { $0 } == ["10", "100"])
        #expect(pages.count == 3)

        // A start key outside the key condition is refused, as DynamoDB does, rather than paging from the wrong place.
        expectError(await server.call("Query", ["TableName": "series", "KeyConditionExpression": "pk = :p AND sk > :z",
                                                "ExpressionAttributeValues": [":p": ["S": "a"], ":z": ["N": "5"]],
                                                "ExclusiveStartKey": ["pk": ["S": "a"], "sk": ["N": "2"]]]),
                    "ValidationException", message: "The provided starting key is outside query boundaries based on provided conditions")
        let fromInside = await server.ok("Query", ["TableName": "series", "KeyConditionExpression": "pk = :p AND sk > :z",
                                                   "ExpressionAttributeValues": [":p": ["S": "a"], ":z": ["N": "0"]],
                                                   "ExclusiveStartKey": ["pk": ["S": "a"], "sk": ["N": "2"]], "ScanIndexForward": false])
        #expect(keys(fromInside) == ["0.25"])

        let count = await server.ok("Query", ["TableName": "series", "KeyConditionExpression": "pk = :p", "Select": "COUNT",
                                              "ExpressionAttributeValues": [":p": ["S": "b"]]])
        #expect(count["Count"] as? Int == 1)
        #expect(count["Items"] == nil)
        expectError(await server.call("Query", ["TableName": "series", "KeyConditionExpression": "sk = :s",
                                                "ExpressionAttributeValues": [":s": ["N": "1"]]]), "ValidationException")
        expectError(await server.call("Query", ["TableName": "series"]), "ValidationException",
                    message: "Either the KeyConditions or KeyConditionExpression parameter must be specified")
    }

    @Test func scanPagesAndSegmentsCoverEveryItemOnce() async throws {
        let server = try DynamoDBTestServer()
        await server.createLockTable("items")
        for index in 0..<30 { await server.ok("PutItem", ["TableName": "items", "Item": ["LockID": ["S": "k\(index)"]]]) }
        var seen: [String] = []
        var start: Any?
        repeat {
            var request: [String: Any] = ["TableName": "items", "Limit": 7]
            if let start { request["ExclusiveStartKey"] = start }
            let page = await server.ok("Scan", request)
            seen += (page["Items"] as? [[String: [String: String]]] ?? []).compactMap { $0["LockID"]?["S"] }
            start = page["LastEvaluatedKey"]
        } while start != nil
        #expect(seen.count == 30)
        #expect(Set(seen).count == 30)

        var segmented: [String] = []
        for segment in 0..<4 {
            let page = await server.ok("Scan", ["TableName": "items", "Segment": segment, "TotalSegments": 4])
            segmented += (page["Items"] as? [[String: [String: String]]] ?? []).compactMap { $0["LockID"]?["S"] }
        }
        #expect(segmented.sorted() == seen.sorted())
        expectError(await server.call("Scan", ["TableName": "items", "Segment": 4, "TotalSegments": 4]), "ValidationException")
        let filtered = await server.ok("Scan", ["TableName": "items", "FilterExpression": "begins_with(LockID, :p)",
                                                "ExpressionAttributeValues": [":p": ["S": "k1"]]])
        #expect(filtered["Count"] as? Int == 11)
        #expect(filtered["ScannedCount"] as? Int == 30)
    }

    @Test func batchesReadAndWriteTogether() async throws {
        let server = try DynamoDBTestServer()
        await server.createLockTable("a-table")
        await server.createLockTable("b-table")
        await server.ok("BatchWriteItem", ["RequestItems": [
            "a-table": [["PutRequest": ["Item": ["LockID": ["S": "1"], "v": ["N": "1"]]]], ["PutRequest": ["Item": ["LockID": ["S": "2"]]]]],
            "b-table": [["PutRequest": ["Item": ["LockID": ["S": "3"]]]]],
        ]])
        let got = await server.ok("BatchGetItem", ["RequestItems": [
            "a-table": ["Keys": [["LockID": ["S": "1"]], ["LockID": ["S": "9"]]], "ProjectionExpression": "v"],
            "b-table": ["Keys": [["LockID": ["S": "3"]]]],
        ]])
        let responses = got["Responses"] as? [String: [[String: [String: String]]]]
        #expect(responses?["a-table"] == [["v": ["N": "1"]]])
        #expect(responses?["b-table"] == [["LockID": ["S": "3"]]])
        #expect((got["UnprocessedKeys"] as? [String: Any])?.isEmpty == true)

        await server.ok("BatchWriteItem", ["RequestItems": ["a-table": [["DeleteRequest": ["Key": ["LockID": ["S": "1"]]]]]]])
        #expect(await server.ok("Scan", ["TableName": "a-table"])["Count"] as? Int == 1)
        expectError(await server.call("BatchWriteItem", ["RequestItems": ["a-table": [
            ["PutRequest": ["Item": ["LockID": ["S": "x"]]]], ["DeleteRequest": ["Key": ["LockID": ["S": "x"]]]],
        ]]]), "ValidationException", message: "Provided list of item keys contains duplicates")
        let tooMany = (0..<26).map { ["PutRequest": ["Item": ["LockID": ["S": "n\($0)"]]]] }
        expectError(await server.call("BatchWriteItem", ["RequestItems": ["a-table": tooMany]]), "ValidationException")
        let tooManyKeys = (0..<101).map { ["LockID": ["S": "n\($0)"]] }
        expectError(await server.call("BatchGetItem", ["RequestItems": ["a-table": ["Keys": tooManyKeys]]]), "ValidationException",
                    message: "Too many items requested for the BatchGetItem call")
        // A batch that fails validation writes nothing.
        #expect(await server.ok("Scan", ["TableName": "a-table"])["Count"] as? Int == 1)
    }

    @Test func timeToLiveAndTagsAreKept() async throws {
        let server = try DynamoDBTestServer()
        await server.createLockTable()
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/tf-locks"
        let before = await server.ok("DescribeTimeToLive", ["TableName": "tf-locks"])
        #expect((before["TimeToLiveDescription"] as? [String: String])?["TimeToLiveStatus"] == "DISABLED")
        await server.ok("UpdateTimeToLive", ["TableName": "tf-locks", "TimeToLiveSpecification": ["Enabled": true, "AttributeName": "expires"]])
        let after = await server.ok("DescribeTimeToLive", ["TableName": "tf-locks"])
        #expect(after["TimeToLiveDescription"] as? [String: String] == ["TimeToLiveStatus": "ENABLED", "AttributeName": "expires"])
        expectError(await server.call("UpdateTimeToLive", ["TableName": "tf-locks", "TimeToLiveSpecification": ["Enabled": true, "AttributeName": "expires"]]),
                    "ValidationException", message: "TimeToLive is already enabled")

        await server.ok("TagResource", ["ResourceArn": arn, "Tags": [["Key": "team", "Value": "infra"], ["Key": "env", "Value": "dev"]]])
        await server.ok("UntagResource", ["ResourceArn": arn, "TagKeys": ["env"]])
        let tags = await server.ok("ListTagsOfResource", ["ResourceArn": arn])["Tags"] as? [[String: String]]
        #expect(tags == [["Key": "team", "Value": "infra"]])
        // Concurrent changes to one table's settings each apply to what the previous one stored: none is lost.
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask { _ = await server.call("TagResource", ["ResourceArn": arn, "Tags": [["Key": "k\(index)", "Value": "v"]]]) }
            }
        }
        let all = await server.ok("ListTagsOfResource", ["ResourceArn": arn])["Tags"] as? [[String: String]] ?? []
        #expect(Set(all.compactMap { $0["Key"] }) == Set(["team"] + (0..<8).map { "k\($0)" }))
        expectError(await server.call("ListTagsOfResource", ["ResourceArn": arn + "-missing"]), "ResourceNotFoundException")
        expectError(await server.call("ListTagsOfResource", ["ResourceArn": "arn:aws:s3:::bucket"]), "ValidationException")
    }

    @Test func badRequestsGetDynamoDBsErrors() async throws {
        let server = try DynamoDBTestServer()
        expectError(await server.raw("ListTables", body: Array("{not json".utf8)), "SerializationException")
        expectError(await server.raw("ListTables", body: Array("[1, 2]".utf8)), "SerializationException")
        expectError(await server.call("DropEverything"), "UnknownOperationException")
        expectError(await server.call("ListTables", auth: .credentials(accessKey: testAccessKey, secretKey: "wrong")), "InvalidSignatureException")
        expectError(await server.call("ListTables", auth: .credentials(accessKey: "AKIDUNKNOWN", secretKey: "x")), "UnrecognizedClientException")
        expectError(await server.call("ListTables", service: "kms"), "InvalidSignatureException", message: "Credential should be scoped to correct service")
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "a"]]]), "ResourceNotFoundException")
        await server.createLockTable()
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "a", "N": "1"]]]), "ValidationException")
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": "not an object"]), "SerializationException")
        let deep = String(repeating: "(", count: 5000) + "attribute_exists(LockID)" + String(repeating: ")", count: 5000)
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "a"]], "ConditionExpression": deep]), "ValidationException")
        var nested: Any = ["S": "leaf"]
        for _ in 0..<100 { nested = ["M": ["x": nested]] }
        expectError(await server.call("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "a"], "deep": nested]]), "ValidationException")
    }

    @Test func itemsAreSealedAtRestAndSurviveAReopen() async throws {
        let server = try DynamoDBTestServer()
        await server.createLockTable()
        let secret = "do-not-store-me-in-the-clear-7f3a"
        await server.ok("PutItem", ["TableName": "tf-locks", "Item": ["LockID": ["S": "k"], "Info": ["S": secret]]])
        try server.tables.close()
        for file in ["tables.sqlite", "tables.sqlite-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: server.directory + "/" + file))) ?? Data()
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds the item in the clear")
        }
        let reopened = try DynamoDBTestServer(reopening: server)
        let item = await reopened.ok("GetItem", ["TableName": "tf-locks", "Key": ["LockID": ["S": "k"]]])["Item"] as? [String: [String: String]]
        #expect(item?["Info"]?["S"] == secret)
    }
}
