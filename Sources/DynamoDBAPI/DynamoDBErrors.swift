import AWSJSON

/// DynamoDB's own errors, with its messages.
enum DynamoDBErrors {
    static var resourceNotFound: AWSJSONError {
        AWSJSONError("ResourceNotFoundException", "Requested resource not found")
    }

    static func tableNotFound(_ name: String) -> AWSJSONError {
        AWSJSONError("ResourceNotFoundException", "Requested resource not found: Table: \(name) not found")
    }

    static func tableInUse(_ name: String) -> AWSJSONError {
        AWSJSONError("ResourceInUseException", "Table already exists: \(name)")
    }

    static func conditionalCheckFailed(item: JSONValue? = nil) -> AWSJSONError {
        AWSJSONError("ConditionalCheckFailedException", "The conditional request failed")
    }

    static var itemTooLarge: AWSJSONError {
        .validation("Item size has exceeded the maximum allowed size")
    }

    static func invalid(_ why: String) -> AWSJSONError {
        .validation("One or more parameter values were invalid: \(why)")
    }
}
