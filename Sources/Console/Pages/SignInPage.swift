import FrontDoors
import HTTPTypes

/// The sign-in form: any configured user's access key and secret key.
enum SignInPage {
    static func render(next: String?, error: String?, status: HTTPResponse.Status) -> APIResponse {
        let message = error.map { "<p class=\"error\" id=\"signin-error\">\(HTML.escape($0))</p>" } ?? ""
        let body = """
            <form class="signin" method="post" action="/_lockstep/console/signin">
            <h1>Sign in to Lockstep</h1>
            \(message)
            <label for="accessKey">Access key</label>
            <input id="accessKey" name="accessKey" autocomplete="username" required>
            <label for="secretKey">Secret key</label>
            <input id="secretKey" name="secretKey" type="password" autocomplete="current-password" required>
            <input type="hidden" name="next" value="\(HTML.escape(next ?? ""))">
            <button type="submit">Sign in</button>
            </form>
            """
        return ConsoleResponses.page(status: status, title: "Sign in", session: nil, body: body)
    }
}
