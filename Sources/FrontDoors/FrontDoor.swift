/// One protocol's entry point: S3 REST, an AWS JSON service (KMS), and the protocols to come. The server decides which
/// front door a request belongs to (`LockstepServer/ProtocolRouter.swift`) and hands it over whole; the front door
/// authenticates it with `Authenticator` under its own service name, answers it, and renders every failure in its
/// protocol's error format. It never throws: a front door's answer is always a response.
public protocol FrontDoor: Sendable {
    func handle(_ request: APIRequest) async -> APIResponse
}
