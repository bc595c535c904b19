#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LockstepCrypto

/// What Signature Version 2's canonicalized resource needs beyond the request line: the bucket, when the request named
/// it in the Host header (virtual-hosted style), since the resource always starts with `/bucket`.
public struct SignatureV2Context: Sendable {
    public var virtualHostBucket: String?
    public init(virtualHostBucket: String?) { self.virtualHostBucket = virtualHostBucket }
}

/// S3's Signature Version 2 (`Authorization: AWS AKID:signature`, or `AWSAccessKeyId`/`Expires`/`Signature` in the
/// query): HMAC-SHA1 over the verb, Content-MD5, Content-Type, the date (or Expires), the `x-amz-*` headers and the
/// canonicalized resource, as the S3 developer guide ("Signing and authenticating REST requests") defines them.
/// S3 only: the body is not signed (Content-MD5 still protects it when sent).
extension SigV4Verifier {
    /// The sub-resources and response overrides that are part of the canonicalized resource, in S3's list.
    static let v2SubResources: Set<String> = [
        "accelerate", "acl", "analytics", "cors", "delete", "encryption", "intelligent-tiering", "inventory", "legal-hold",
        "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "ownershipControls", "partNumber",
        "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "response-content-language", "response-content-type",
        "response-expires", "restore", "retention", "select", "select-type", "tagging", "torrent", "uploadId", "uploads",
        "versionId", "versioning", "versions", "website",
    ]

    static func isSignatureV2(authorization: String?, query: [RawQueryItem]) -> Bool {
        if let authorization { return authorization.hasPrefix("AWS ") }
        let names = Set(query.map(\.decodedName))
        return names.contains("AWSAccessKeyId") && names.contains("Signature")
    }

    func verifyV2(_ request: SignableRequest, authorization: String?, query: [RawQueryItem], context: SignatureV2Context,
                  now: Date) throws(SigV4Error) -> VerifiedRequest {
        let accessKey: String, provided: String, dateLine: String, seconds: Int64
        let serverSeconds = AmzDate.seconds(now)
        if let authorization {
            let credentials = String(authorization.dropFirst(4)).trimmingSpaces
            guard let colon = credentials.lastIndex(of: ":"), colon != credentials.startIndex else {
                throw .authorizationHeaderMalformed("the Authorization header is not AWS AccessKeyId:Signature.")
            }
            accessKey = String(credentials[..<colon])
            provided = String(credentials[credentials.index(after: colon)...])
            // With x-amz-date the Date line is empty: x-amz-date is signed among the x-amz-* headers instead.
            let dateHeader = request.header("date")?.trimmingSpaces
            let amzDate = request.header("x-amz-date")?.trimmingSpaces
            guard let text = amzDate ?? dateHeader, let time = AmzDate.parseHTTP(text) ?? AmzDate.parseBasic(text) else { throw .missingDate }
            guard abs(serverSeconds - time) <= Int64(maxClockSkewSeconds) else {
                throw .requestTimeTooSkewed(requestTime: text, serverTime: AmzDate.formatISO8601(serverSeconds))
            }
            (dateLine, seconds) = (amzDate == nil ? dateHeader ?? "" : "", time)
        } else {
            var params: [String: String] = [:]
            for item in query where params[item.decodedName] == nil { params[item.decodedName] = item.decodedValue }
            guard let expires = params["Expires"].flatMap(Int64.init) else {
                throw .authorizationQueryParametersError("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
            }
            guard serverSeconds <= expires else {
                throw .expired(expiresAt: AmzDate.formatISO8601(expires), serverTime: AmzDate.formatISO8601(serverSeconds))
            }
            (accessKey, provided, dateLine, seconds) = (params["AWSAccessKeyId"]!, params["Signature"]!, String(expires), serverSeconds)
        }
        let secret: String
        if let known = credentials.secretKey(forAccessKey: accessKey) {
            secret = known
        } else if allowAnyCredentials {
            secret = accessKey
        } else {
            throw .invalidAccessKeyId
        }
        let toSign = Self.v2StringToSign(request, dateLine: dateLine, query: query, context: context)
        // A bucket's own resource is `/bucket/`, which clients also sign for a path-style `/bucket` request.
        var candidates = [toSign]
        if context.virtualHostBucket == nil, request.rawPath.count > 1, !request.rawPath.dropFirst().contains("/") {
            candidates.append(Self.v2StringToSign(request, dateLine: dateLine, query: query, context: context, bucketRoot: true))
        }
        let matched = candidates.contains { candidate in
            let expected = Base64.encode(HMAC.sha1(key: Array(secret.utf8), Array(candidate.utf8)))
            return constantTimeEquals(Array(expected.utf8), Array(provided.utf8))
        }
        if !matched && !allowAnyCredentials {
            throw .signatureDoesNotMatch(stringToSign: toSign, canonicalRequest: "")
        }
        var signed = ["content-md5", "content-type", "date"]
        for (name, _) in request.headers where name.lowercased().hasPrefix("x-amz-") { signed.append(name.lowercased()) }
        return VerifiedRequest(accessKey: accessKey, region: "us-east-1", service: "s3", requestDate: AmzDate.date(seconds),
                               amzDate: AmzDate.formatBasic(seconds), scope: "", signingKey: [], seedSignature: "",
                               payload: .unsigned, isPresigned: authorization == nil, signedHeaders: signed, signatureChecked: matched)
    }

    /// `VERB\nContent-MD5\nContent-Type\nDate-or-Expires\n` + the `x-amz-*` headers + the canonicalized resource.
    static func v2StringToSign(_ request: SignableRequest, dateLine: String, query: [RawQueryItem], context: SignatureV2Context,
                               bucketRoot: Bool = false) -> String {
        var text = request.method + "\n"
        text += (request.header("content-md5")?.trimmingSpaces ?? "") + "\n"
        text += (request.header("content-type")?.trimmingSpaces ?? "") + "\n"
        text += dateLine + "\n"
        var amzHeaders: [String: [String]] = [:]
        for (name, value) in request.headers {
            let lower = name.lowercased()
            guard lower.hasPrefix("x-amz-") else { continue }
            amzHeaders[lower, default: []].append(value.trimmingSpaces)
        }
        for name in amzHeaders.keys.sorted() { text += name + ":" + amzHeaders[name]!.joined(separator: ",") + "\n" }
        var resource = context.virtualHostBucket.map { "/" + $0 } ?? ""
        resource += request.rawPath + (bucketRoot ? "/" : "")
        // Sub-resources keep their decoded values (`?versionId=…`), sorted by name.
        let subresources = query.map { (name: $0.decodedName, value: $0.value.isEmpty ? nil : $0.decodedValue) }
            .filter { v2SubResources.contains($0.name) }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        if !subresources.isEmpty {
            resource += "?" + subresources.map { item in item.value.map { "\(item.name)=\($0)" } ?? item.name }.joined(separator: "&")
        }
        return text + resource
    }
}
