/// The top of a bucket policy: `Version`, `Id` and `Statement`, read with S3's checks in S3's order — the first
/// byte, the normalized size, the JSON, the document's members, then each statement.
struct PolicyDocument: Sendable {
    /// Whether `${…}` is read as a policy variable: only under Version 2012-10-17. A document without a Version is
    /// 2008-10-17 ("the default policy version").
    let variablesEnabled: Bool
    let statements: [PolicyStatement]

    /// Input far beyond any normalized policy is refused before it is scanned; the normalized size decides the rest.
    static let maximumInput = 1 << 20

    init(json bytes: [UInt8], bucket: String) throws(MalformedPolicy) {
        guard bytes.first == UInt8(ascii: "{") else { throw .notJSON }
        guard bytes.count <= Self.maximumInput, PolicyJSON.normalizedSize(bytes) <= BucketPolicy.maximumSize else {
            throw .tooLarge
        }
        let document: PolicyJSON
        do {
            document = try PolicyJSON.parse(bytes)
        } catch .duplicateMember {
            // RFC 8259 leaves duplicate names to the reader; taking either would let two readers of one
            // policy disagree, so it is refused.
            throw .syntax
        } catch {
            throw .invalidJSON
        }
        guard case .object(let members) = document else { throw .notJSON }
        var version: PolicyJSON?
        var statement: PolicyJSON?
        for member in members {
            switch member.name {
            case "Version": version = member.value
            case "Id":
                guard case .string = member.value else { throw .syntax }
            case "Statement": statement = member.value
            default: throw .unknownField(member.name)
            }
        }
        switch version {
        case nil, .string("2008-10-17"): variablesEnabled = false
        case .string("2012-10-17"): variablesEnabled = true
        default: throw .version
        }
        let elements: [PolicyJSON]
        switch statement {
        case nil: throw .missingStatement
        case .array(let items) where items.isEmpty: throw .emptyStatement
        case .array(let items): elements = items
        case .object: elements = [statement!]
        default: throw .syntax
        }
        var statements: [PolicyStatement] = []
        statements.reserveCapacity(elements.count)
        for element in elements {
            statements.append(try PolicyStatement(element, bucket: bucket, variablesEnabled: variablesEnabled))
        }
        self.statements = statements
    }
}
