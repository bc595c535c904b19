import AWSJSON
import FrontDoors
import KeyService
import LockstepCrypto

/// The key state a KMS request's summary carries: the state of the key the operation named (or, for a Decrypt that
/// named none, the key its ciphertext was made under) after the operation.
extension KMSService {
    public func annotate(_ summary: inout RequestSummary, operation: String, request: JSONMembers, result: [String: JSONValue]?,
                         error: AWSJSONError?) {
        guard let reference = keyReference(operation, request: request, result: result) else { return }
        summary.keyState = (try? keyring.resolve(reference))?.state.rawValue
    }

    private func keyReference(_ operation: String, request: JSONMembers, result: [String: JSONValue]?) -> String? {
        if case .string(let id)? = request["KeyId"] ?? request["TargetKeyId"] { return id }
        if case .string(let id)? = result?["KeyId"] { return id }
        if case .object(let metadata)? = result?["KeyMetadata"], case .string(let id)? = metadata["KeyId"] { return id }
        if operation == "Decrypt", case .string(let blob)? = request["CiphertextBlob"], let bytes = Base64.decode(blob) {
            return Keyring.keyId(ofWrapped: bytes)
        }
        return nil
    }
}
