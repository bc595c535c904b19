import FrontDoors
import HTTPDates
import HTTPTypes
import KeyService
import LockstepCrypto
import LockstepXML
import Logging
import NIOCore
import SigV4

/// STS on Lockstep's port: the query protocol (`Action=…&Version=2011-06-15`, form-encoded in a POST body or in the
/// query string), signed for the service `sts`, answered in STS's XML. `GetCallerIdentity` is the one action: it lets
/// `aws sts get-caller-identity` and Terraform's credential validation and account lookup run against Lockstep.
/// IAM's `GetUser` (signed for `iam`, which Terraform ≤ 1.5 asks first for the account id) is answered here too.
public struct STSFrontDoor: FrontDoor {
    let authenticator: Authenticator
    let logger: Logger

    public static let namespace = "https://sts.amazonaws.com/doc/2011-06-15/"
    static let bodyLimit = 64 * 1024

    public init(authenticator: Authenticator, logger: Logger) {
        self.authenticator = authenticator
        self.logger = logger
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        let requestId = RequestIds.requestId()
        var response: APIResponse
        var summary = RequestSummary(service: "sts", operation: "Unknown", requestId: requestId)
        do {
            let body = try await readBody(request)
            let service = Self.isSignedForIAM(request) ? "iam" : "sts"
            let verified: VerifiedRequest
            do {
                verified = try authenticator.authenticate(request, service: service, bodySHA256Hex: Digest.sha256(body).hexString)
            } catch {
                throw STSError(authentication: error)
            }
            summary.requester = authenticator.identity(of: verified).arn
            var parameters = FormParameters(request.rawQuery)
            if request.method == .post { parameters.merge(FormParameters(String(decoding: body, as: UTF8.self))) }
            summary.operation = Self.summaryOperation(parameters["Action"], service: service)
            response = service == "iam" ? try runIAM(parameters, caller: verified, requestId: requestId)
                : try run(parameters, caller: verified, requestId: requestId)
        } catch let error as STSError {
            summary.errorCode = error.code
            response = render(error, requestId: requestId)
        } catch {
            logger.debug("STS request \(requestId): \(error)")
            summary.errorCode = "MalformedInput"
            response = render(STSError("MalformedInput", "The request body could not be read."), requestId: requestId)
        }
        response.summary = summary
        response.set("x-amzn-RequestId", requestId)
        response.set("Server", "Lockstep")
        response.set("Date", HTTPDate.format(authenticator.nowMillis()))
        return response
    }

    func run(_ parameters: FormParameters, caller: VerifiedRequest, requestId: String) throws(STSError) -> APIResponse {
        guard let action = parameters["Action"] else {
            throw STSError("MissingAction", "Missing Action")
        }
        guard parameters["Version"] == "2011-06-15" else {
            throw STSError("InvalidAction", "Could not find operation \(action) for version \(parameters["Version"] ?? "NO_VERSION_SPECIFIED")")
        }
        switch action {
        case "GetCallerIdentity":
            let identity = authenticator.identity(of: caller)
            return xml("GetCallerIdentity", requestId: requestId) { writer in
                writer.element("Arn", identity.arn)
                writer.element("UserId", identity.userId)
                writer.element("Account", identity.account.id)
            }
        default:
            throw STSError("InvalidAction", "Could not find operation \(action) for version 2011-06-15")
        }
    }

    /// The action by name when it is one answered here; any other is `Unknown`, so clients cannot mint names.
    static func summaryOperation(_ action: String?, service: String) -> String {
        switch (service, action) {
        case ("sts", "GetCallerIdentity"?): return "GetCallerIdentity"
        case ("iam", "GetUser"?): return "GetUser"
        default: return "Unknown"
        }
    }

    static func isSignedForIAM(_ request: APIRequest) -> Bool {
        request.header("authorization")?.contains("/iam/aws4_request") == true || request.rawQuery.contains("%2Fiam%2Faws4_request")
    }

    /// IAM's `GetUser` without a user name: the caller, an account's root or one of its users.
    func runIAM(_ parameters: FormParameters, caller: VerifiedRequest, requestId: String) throws(STSError) -> APIResponse {
        guard parameters["Action"] == "GetUser", parameters["Version"] == "2010-05-08", parameters["UserName"] == nil else {
            throw STSError("InvalidAction", "Lockstep answers only GetUser (of the caller) for IAM, version 2010-05-08")
        }
        let identity = authenticator.identity(of: caller)
        return xml("GetUser", namespace: Self.iamNamespace, requestId: requestId) { writer in
            writer.group("User") { writer in
                writer.element("Path", "/")
                writer.optional("UserName", identity.userName)
                writer.element("UserId", identity.userId)
                writer.element("Arn", identity.arn)
                writer.element("CreateDate", "2024-01-01T00:00:00Z")
            }
        }
    }

    static let iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"

    private func xml(_ action: String, namespace: String = Self.namespace, requestId: String, _ result: (inout XMLWriter) -> Void) -> APIResponse {
        var writer = XMLWriter(declaration: false)
        writer.group("\(action)Response", attributes: [("xmlns", namespace)]) { writer in
            writer.group("\(action)Result", result)
            writer.group("ResponseMetadata") { $0.element("RequestId", requestId) }
        }
        var response = APIResponse(status: .ok)
        response.set("Content-Type", "text/xml")
        response.body = .bytes(ByteBuffer(bytes: writer.bytes))
        return response
    }

    /// `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId>`.
    func render(_ error: STSError, requestId: String) -> APIResponse {
        var writer = XMLWriter(declaration: false)
        writer.group("ErrorResponse", attributes: [("xmlns", Self.namespace)]) { writer in
            writer.group("Error") { writer in
                writer.element("Type", "Sender")
                writer.element("Code", error.code)
                writer.element("Message", error.message)
            }
            writer.element("RequestId", requestId)
        }
        var response = APIResponse(status: error.status)
        response.set("Content-Type", "text/xml")
        response.body = .bytes(ByteBuffer(bytes: writer.bytes))
        return response
    }

    private func readBody(_ request: APIRequest) async throws -> [UInt8] {
        guard let body = try await request.body.collect(limit: Self.bodyLimit) else {
            throw STSError("MalformedInput", "The request body is larger than 64 KiB.", status: .contentTooLarge)
        }
        return body
    }
}
