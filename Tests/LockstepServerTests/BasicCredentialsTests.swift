import FrontDoors
import Testing

/// `Authenticator.acceptsBasic`: exactly a configured user's secret, whatever its length.
@Suite("Basic credentials")
struct BasicCredentialsTests {
    static let authenticator = Authenticator(credentials: ["alice-key": "alice-secret"], nowMillis: { 0 })

    @Test func theSecretItselfIsAccepted() {
        #expect(Self.authenticator.acceptsBasic(accessKey: "alice-key", secretKey: "alice-secret"))
    }

    @Test(arguments: ["", "alice-secreT", "alice-secre", "alice-secret ", "alice-secretalice-secret", "x"])
    func anythingElseIsRefused(_ secret: String) {
        #expect(!Self.authenticator.acceptsBasic(accessKey: "alice-key", secretKey: secret))
    }

    @Test func anotherKeysSecretOrAnUnknownKeyIsRefused() {
        #expect(!Self.authenticator.acceptsBasic(accessKey: "bob-key", secretKey: "alice-secret"))
        #expect(!Self.authenticator.acceptsBasic(accessKey: "", secretKey: ""))
    }

    @Test func anyCredentialsPassWhenAnyAreAllowed() {
        let open = Authenticator(credentials: ["alice-key": "alice-secret"], allowAnyCredentials: true, nowMillis: { 0 })
        #expect(open.acceptsBasic(accessKey: "bob-key", secretKey: "anything"))
    }
}
