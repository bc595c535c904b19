import AccessPolicy
import FrontDoors
import Foundation
import HTTPDates
import SigV4

extension S3Service {
    /// The condition keys a bucket policy can test for this request, as S3 supplies them.
    func conditionContext(_ c: S3Context) -> ConditionContext {
        var context = ConditionContext()
        // Lockstep serves plain HTTP.
        context["aws:SecureTransport"] = ["false"]
        if let ip = c.request.remoteAddress { context["aws:SourceIp"] = [ip] }
        let nowMillis = authenticator.nowMillis()
        context["aws:CurrentTime"] = [ISO8601Date.format(nowMillis)]
        context["aws:EpochTime"] = [String(nowMillis / 1000)]
        if let identity = c.requester {
            context["aws:PrincipalAccount"] = [identity.account.id]
            context["aws:PrincipalArn"] = [identity.arn]
            context["aws:userid"] = [identity.userId]
            context["aws:PrincipalType"] = [identity.isRoot ? "Account" : "User"]
            if let name = identity.userName { context["aws:username"] = [name] }
        } else {
            context["aws:PrincipalType"] = ["Anonymous"]
        }
        if let auth = c.auth {
            context["s3:signatureversion"] = [auth.isSignatureV2 ? "AWS" : "AWS4-HMAC-SHA256"]
            context["s3:authType"] = [auth.isPresigned ? "REST-QUERY-STRING" : "REST-HEADER"]
            if !auth.isSignatureV2 {
                context["s3:signatureAge"] = [String(max(0, nowMillis - Int64(auth.requestDate.timeIntervalSince1970 * 1000)))]
            }
        }
        if c.operation == .postObject { context["s3:authType"] = ["POST"] }
        // Every x-amz-* header is a key of the same name (s3:x-amz-acl, s3:x-amz-server-side-encryption, …).
        for field in c.request.headers {
            let name = field.name.canonicalName
            guard name.hasPrefix("x-amz-") else { continue }
            context["s3:" + name] = (context["s3:" + name] ?? []) + [field.value]
        }
        for (header, key) in [("x-amz-object-lock-mode", "s3:object-lock-mode"),
                              ("x-amz-object-lock-retain-until-date", "s3:object-lock-retain-until-date"),
                              ("x-amz-object-lock-legal-hold", "s3:object-lock-legal-hold")] {
            if let value = c.header(header) { context[key] = [value] }
        }
        if let retainUntil = c.header("x-amz-object-lock-retain-until-date").flatMap(ISO8601Date.parse) {
            context["s3:object-lock-remaining-retention-days"] = [String(max(0, (retainUntil - store.clock.nowMillis()) / 86_400_000))]
        }
        if let tagging = c.header("x-amz-tagging") {
            let pairs = QueryParameters(raw: tagging).items
            for (key, value) in pairs { context["s3:RequestObjectTag/" + key] = [value] }
            context["s3:RequestObjectTagKeys"] = pairs.map(\.0)
        }
        switch c.operation {
        case .listObjects(let q): addListing(q.listing, to: &context)
        case .listObjectsV2(let q): addListing(q.listing, to: &context)
        case .listObjectVersions(let q): addListing(q.listing, to: &context)
        case .listMultipartUploads(let q): addListing(q.listing, to: &context)
        default: break
        }
        if let versionId = c.query["versionId"] { context["s3:VersionId"] = [versionId] }
        return context
    }

    private func addListing(_ listing: ListingQuery, to context: inout ConditionContext) {
        context["s3:prefix"] = [listing.prefix]
        if let delimiter = listing.delimiter { context["s3:delimiter"] = [delimiter] }
        context["s3:max-keys"] = [String(listing.maxKeys)]
    }
}
