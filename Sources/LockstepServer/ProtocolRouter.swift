import AdminAPI
import AWSJSON
import FrontDoors
import S3API

/// Decides which front door a request belongs to. Lockstep serves every protocol on one port, as AWS serves each on
/// its own host name:
/// - `/_lockstep/…` is Lockstep's admin API (`AdminFrontDoor`).
/// - The AWS JSON protocols are told apart by `X-Amz-Target: <prefix>.<Operation>`; a prefix no service here serves
///   (DynamoDB, until it is built) stays S3, which answers with its own error.
/// - Everything else is S3 REST (path-style or virtual-hosted).
/// A new protocol adds its rule here and its front door beside the others (see docs/architecture.md).
public struct ProtocolRouter: Sendable {
    public let s3: any FrontDoor
    /// JSON protocol front doors by `X-Amz-Target` prefix (`TrentService`).
    public let jsonServices: [String: any FrontDoor]
    public let admin: any FrontDoor

    public init(s3: any FrontDoor, jsonServices: [String: any FrontDoor], admin: any FrontDoor) {
        self.s3 = s3
        self.jsonServices = jsonServices
        self.admin = admin
    }

    public func frontDoor(for request: APIRequest) -> any FrontDoor {
        if AdminFrontDoor.handles(request) { return admin }
        if let target = request.header("x-amz-target"), let dot = target.firstIndex(of: "."),
           let service = jsonServices[String(target[..<dot])] {
            return service
        }
        return s3
    }
}
