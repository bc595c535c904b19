import FrontDoors
import HTTPTypes
import LockstepXML
import Store

/// An ACL as a request states it — a canned ACL (`x-amz-acl`), grant headers (`x-amz-grant-*`), or an
/// `AccessControlPolicy` document — made concrete once the owner is known.
enum ACLRequest: Equatable {
    case canned(String)
    case grants([ACLGrant])

    static let cannedNames: Set<String> = ["private", "public-read", "public-read-write", "aws-exec-read", "authenticated-read",
                                           "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"]
    static let grantHeaders: [(String, ACLPermission)] = [("x-amz-grant-full-control", .fullControl), ("x-amz-grant-read", .read),
                                                           ("x-amz-grant-write", .write), ("x-amz-grant-read-acp", .readACP),
                                                           ("x-amz-grant-write-acp", .writeACP)]

    /// The ACL the request's headers set; nil when they set none.
    static func fromHeaders(_ request: APIRequest) throws(S3Error) -> ACLRequest? {
        let canned = request.header("x-amz-acl")
        var grants: [ACLGrant] = []
        for (name, permission) in grantHeaders {
            guard let value = request.header(name) else { continue }
            for grantee in try parseGranteeList(value) { grants.append(ACLGrant(grantee, permission)) }
        }
        if let canned {
            guard grants.isEmpty, !ACLRequest.grantHeaders.contains(where: { request.header($0.0) != nil }) else {
                throw S3Error.invalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
            }
            guard cannedNames.contains(canned) else { throw S3Error.invalidArgument("Invalid canned ACL", name: "x-amz-acl", value: canned) }
            return .canned(canned)
        }
        return grantHeaders.contains(where: { request.header($0.0) != nil }) ? .grants(grants) : nil
    }

    /// `id="…", uri="…", emailAddress="…"` (values quoted or not).
    static func parseGranteeList(_ value: String) throws(S3Error) -> [ACLGrantee] {
        var grantees: [ACLGrantee] = []
        for item in value.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { throw S3Error.invalidArgument("Argument format not recognized", name: "x-amz-grant", value: value) }
            let text = pair[1].count >= 2 && pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") ? String(pair[1].dropFirst().dropLast()) : pair[1]
            switch pair[0].lowercased() {
            case "id": grantees.append(try canonicalUser(text))
            case "uri": grantees.append(try group(text))
            case "emailaddress": throw unresolvableEmail(text)
            default: throw S3Error.invalidArgument("Argument format not recognized", name: pair[0], value: text)
            }
        }
        return grantees
    }

    static func canonicalUser(_ id: String) throws(S3Error) -> ACLGrantee {
        guard id.utf8.count == 64, id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw S3Error.invalidArgument("Invalid id", name: "CanonicalUser/ID", value: id)
        }
        return .canonicalUser(id)
    }

    static func group(_ uri: String) throws(S3Error) -> ACLGrantee {
        let grantee = ACLGrantee.group(uri)
        guard [ACLGrantee.allUsers, .authenticatedUsers, .logDelivery].contains(grantee) else {
            throw S3Error.invalidArgument("Invalid group uri", name: "Group/URI", value: uri)
        }
        return grantee
    }

    /// Lockstep's accounts have no email addresses, as most AWS regions no longer resolve them.
    static func unresolvableEmail(_ address: String) -> S3Error {
        S3Error(.unresolvableGrantByEmailAddress, details: [("EmailAddress", address)])
    }

    /// The ACL for a resource owned by `owner`, in a bucket owned by `bucketOwner`.
    func resolve(owner: Account, bucketOwner: Account) -> AccessControlList {
        switch self {
        case .grants(let grants):
            return AccessControlList(grants: grants)
        case .canned(let name):
            var grants = [ACLGrant(.canonicalUser(owner.canonicalUserId), .fullControl)]
            switch name {
            case "public-read": grants.append(ACLGrant(.allUsers, .read))
            case "public-read-write": grants += [ACLGrant(.allUsers, .read), ACLGrant(.allUsers, .write)]
            case "authenticated-read": grants.append(ACLGrant(.authenticatedUsers, .read))
            case "log-delivery-write": grants += [ACLGrant(.logDelivery, .write), ACLGrant(.logDelivery, .readACP)]
            case "bucket-owner-read" where bucketOwner != owner: grants.append(ACLGrant(.canonicalUser(bucketOwner.canonicalUserId), .read))
            case "bucket-owner-full-control" where bucketOwner != owner:
                grants.append(ACLGrant(.canonicalUser(bucketOwner.canonicalUserId), .fullControl))
            default: break
            }
            return AccessControlList(grants: grants)
        }
    }

    /// What S3 still accepts where ACLs are disabled (`BucketOwnerEnforced`): ACLs that give the bucket owner full
    /// control and nobody anything else.
    var isAllowedWithACLsDisabled: Bool {
        switch self {
        case .canned(let name): return name == "bucket-owner-full-control" || name == "private"
        case .grants: return false
        }
    }

    /// An `AccessControlPolicy` document (PutBucketAcl, PutObjectAcl).
    static func fromDocument(_ root: XMLNode) throws(S3Error) -> ACLRequest {
        guard root.name == "AccessControlPolicy", let list = root.child("AccessControlList") else { throw S3Error.malformedACLError() }
        var grants: [ACLGrant] = []
        for grant in list.all("Grant") {
            guard let grantee = grant.child("Grantee"), let permissionText = grant.value("Permission"),
                  let permission = ACLPermission(rawValue: permissionText) else { throw S3Error.malformedACLError() }
            if let id = grantee.value("ID") {
                grants.append(ACLGrant(try canonicalUser(id), permission))
            } else if let uri = grantee.value("URI") {
                grants.append(ACLGrant(try group(uri), permission))
            } else if let email = grantee.value("EmailAddress") {
                throw unresolvableEmail(email)
            } else {
                throw S3Error.malformedACLError()
            }
        }
        return .grants(grants)
    }
}

extension AccessControlList {
    /// Block Public Access's definition: an ACL is public when it grants anything to everyone or to every AWS account.
    var isPublic: Bool { grants.contains { $0.grantee == .allUsers || $0.grantee == .authenticatedUsers } }

    /// GetBucketAcl's and GetObjectAcl's document.
    func write(_ x: inout XMLWriter, owner: Account, accounts: (String) -> Account?) {
        x.group("AccessControlPolicy", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            owner.write(&x)
            x.group("AccessControlList") { x in
                for grant in grants {
                    x.group("Grant") { x in
                        let type: String
                        switch grant.grantee {
                        case .canonicalUser: type = "CanonicalUser"
                        case .group: type = "Group"
                        }
                        x.group("Grantee", attributes: [("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"), ("xsi:type", type)]) { x in
                            switch grant.grantee {
                            case .canonicalUser(let id):
                                x.element("ID", id)
                                x.optional("DisplayName", accounts(id)?.displayName)
                            case .group(let uri):
                                x.element("URI", uri)
                            }
                        }
                        x.element("Permission", grant.permission.rawValue)
                    }
                }
            }
        }
    }
}
