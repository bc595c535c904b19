"""The built-in console at /_lockstep/console/, in a real headless Chromium driven by selenium, against a real
lockstep process holding what boto3 put there: Terraform states with a held lock, a KMS key with an alias, a
lifecycle rule, a key that is an HTML injection attempt, and a second account that must not see any of it.

Screenshots go to $LOCKSTEP_CONSOLE_SCREENSHOTS when set (docs/images uses them), else to the test's tmp dir."""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from s3helpers import REGION, LockstepProcess, ServerStartError, lockstep_binary, make_client

BASE = "/_lockstep/console"
STATE_KEY = "network/terraform.tfstate"
HOSTILE_KEY = "<img src=x onerror=alert(1)>"
OTHER_ACCOUNT = "222222222222"


def state_document(serial: int) -> bytes:
    """Serial n has n null resources, r0…r(n-1), whose ids change with the serial, and an output `count`."""
    return json.dumps({
        "version": 4, "terraform_version": "1.11.0", "serial": serial, "lineage": "5f2c1a4e-lineage",
        "outputs": {"count": {"value": serial, "type": "number"},
                    "secret": {"value": f"s{serial}", "type": "string", "sensitive": True}},
        "resources": [{"mode": "managed", "type": "null_resource", "name": f"r{i}",
                       "provider": "provider[\"registry.terraform.io/hashicorp/null\"]",
                       "instances": [{"schema_version": 0, "attributes": {"id": f"{i}-{serial}", "triggers": None}}]}
                      for i in range(serial)],
    }).encode()


LOCK_INFO = {"ID": "3b7d0c9e-held-by-alice", "Operation": "OperationTypeApply", "Info": "", "Who": "alice@laptop",
             "Version": "1.11.0", "Created": "2026-12-05T10:00:00.123456789Z", "Path": f"tfstate/{STATE_KEY}"}


@pytest.fixture(scope="module")
def console_server(tmp_path_factory):
    binary = lockstep_binary()
    if not binary.exists():
        pytest.fail(f"lockstep binary not found at {binary}", pytrace=False)
    root = tmp_path_factory.mktemp("console")
    users = {"users": [{"name": "bob", "accessKey": "BOBACCESSKEY00000000", "secretKey": "bob-secret", "account": OTHER_ACCOUNT}]}
    (root / "users.json").write_text(json.dumps(users))
    server = LockstepProcess(root / "data", root / "logs", extra_args=["--users", str(root / "users.json")])
    try:
        server.start()
    except ServerStartError as e:
        pytest.fail(str(e), pytrace=False)
    populate(server)
    yield server
    if server.alive():
        server.stop()


def populate(server):
    s3 = make_client(server)
    s3.create_bucket(Bucket="tfstate")
    s3.put_bucket_versioning(Bucket="tfstate", VersioningConfiguration={"Status": "Enabled"})
    for serial in (1, 2, 3):
        s3.put_object(Bucket="tfstate", Key=STATE_KEY, Body=state_document(serial))
    s3.put_object(Bucket="tfstate", Key=STATE_KEY + ".tflock", Body=json.dumps(LOCK_INFO).encode(), IfNoneMatch="*")
    s3.put_object(Bucket="tfstate", Key=HOSTILE_KEY, Body=b"not html")

    kms = boto3_client(server, "kms")
    key_id = kms.create_key(Description="state bucket key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/terraform-state", TargetKeyId=key_id)
    s3.put_object(Bucket="tfstate", Key="encrypted.txt", Body=b"sealed", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    server.kms_key_id = key_id

    s3.create_bucket(Bucket="scratch")
    s3.put_bucket_lifecycle_configuration(Bucket="scratch", LifecycleConfiguration={"Rules": [
        {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 30}}]})
    s3.put_object(Bucket="scratch", Key="tmp/build.log", Body=b"log")


def boto3_client(server, service):
    import boto3

    return boto3.session.Session().client(service, endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                                          aws_secret_access_key=server.secret_key, region_name=REGION)


# ---------------------------------------------------------------------------------------------------- browser


def chromium_paths() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed (Tests/run-all.sh installs it)", pytrace=False)
    paths = chromium_paths()
    if paths is None:
        pytest.fail("chromium and chromedriver are not installed (Tests/run-all.sh installs them)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(paths[1]), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    target = os.environ.get("LOCKSTEP_CONSOLE_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def by_id(driver, element_id):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def sign_in(driver, server, access_key, secret_key, next_page=""):
    from selenium.webdriver.common.by import By

    driver.get(server.endpoint + BASE + next_page)
    assert "/signin" in driver.current_url, driver.current_url
    driver.find_element(By.XPATH, "//label[text()='Access key']")
    driver.find_element(By.XPATH, "//label[text()='Secret key']")
    by_id(driver, "accessKey").send_keys(access_key)
    by_id(driver, "secretKey").send_keys(secret_key)
    driver.find_element(By.XPATH, "//button[text()='Sign in']").click()


def no_alert(driver):
    from selenium.common.exceptions import NoAlertPresentException

    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return
    pytest.fail(f"a script ran in the page and opened an alert: {text!r}")


def wait_for_text(driver, element_id, text):
    """The page a form or a link leads to, once it has loaded: the old page may still be showing right after a click."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    def shows(d):
        try:
            return text in d.find_element("id", element_id).text
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    WebDriverWait(driver, 10).until(shows, f"#{element_id} never showed {text!r}")
    return driver.find_element("id", element_id).text


def accept_confirmation(driver):
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(expected_conditions.alert_is_present())
    driver.switch_to.alert.accept()


def test_wrong_credentials_show_an_error(console_server, browser):
    browser.delete_all_cookies()
    sign_in(browser, console_server, console_server.access_key, "not-the-secret")
    assert wait_for_text(browser, "signin-error", "Wrong") == "Wrong access key or secret key."
    assert "/signin" in browser.current_url


def test_pages_show_what_boto3_created(console_server, browser, screenshots):
    browser.delete_all_cookies()
    sign_in(browser, console_server, console_server.access_key, console_server.secret_key, next_page="/b/tfstate")
    # The deep link survives sign-in.
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith(BASE + "/b/tfstate"), browser.current_url)
    wait_for_text(browser, "versions", "tfstate")
    no_alert(browser)
    # The hostile key is text, not markup.
    cells = [cell.text for cell in css(browser, "#versions td.mono")]
    assert HOSTILE_KEY in cells
    assert not css(browser, "img")
    assert any("SSE-KMS" in row.text and console_server.kms_key_id in row.text for row in css(browser, "#versions tr"))
    browser.save_screenshot(str(screenshots / "console-bucket.png"))

    browser.get(console_server.endpoint + BASE + "/")
    rows = {row.find_element("css selector", "td").text: row.text for row in css(browser, "#buckets tbody tr")}
    assert set(rows) == {"tfstate", "scratch"}
    assert "Enabled" in rows["tfstate"] and "Off" in rows["scratch"]
    assert "1 rule" in rows["scratch"]
    browser.save_screenshot(str(screenshots / "console-buckets.png"))


def test_state_history_diff_and_lock(console_server, browser, screenshots):
    browser.get(console_server.endpoint + BASE + "/b/tfstate/state/" + STATE_KEY)
    serials = [cell.text for cell in css(browser, "#state-versions td.serial")]
    assert serials == ["3", "2", "1"]
    assert by_id(browser, "lock").text.startswith("Held")
    assert css(browser, "#lock td.lock-who")[0].text == "alice@laptop"
    assert css(browser, "#lock td.lock-id")[0].text == LOCK_INFO["ID"]
    diff = by_id(browser, "diff").text
    # Serial 2 → 3: r2 added, r0 and r1 changed ids; the output changed; the sensitive one is never shown.
    assert "+ null_resource.r2" in diff
    assert "~ null_resource.r0" in diff and "~ null_resource.r1" in diff
    assert "~ count: 2 → 3" in diff
    assert "s3" not in diff.replace("serial 3", "")
    browser.save_screenshot(str(screenshots / "console-state.png"))

    # Any two versions: serial 1 against serial 3.
    radios_from = css(browser, "input[name=from]")
    radios_to = css(browser, "input[name=to]")
    radios_from[2].click()
    radios_to[0].click()
    by_id(browser, "compare").click()
    wait_for_text(browser, "changes-title", "Changes from serial 1 to serial 3")
    diff = by_id(browser, "diff").text
    assert "+ null_resource.r1" in diff and "+ null_resource.r2" in diff and "~ null_resource.r0" in diff


def test_force_unlock_and_restore(console_server, browser, screenshots):
    s3 = make_client(console_server)
    page = console_server.endpoint + BASE + "/b/tfstate/state/" + STATE_KEY
    browser.get(page)
    # Restoring under a held lock is refused.
    restore_buttons = [b for b in css(browser, "button.danger") if b.text == "Restore this version"]
    restore_buttons[-1].click()
    accept_confirmation(browser)
    wait_for_text(browser, "notice", "release the lock before restoring")
    assert json.loads(s3.get_object(Bucket="tfstate", Key=STATE_KEY)["Body"].read())["serial"] == 3

    by_id(browser, "force-unlock").click()
    accept_confirmation(browser)
    assert wait_for_text(browser, "notice", "Lock released.") == "Lock released."
    with pytest.raises(ClientError) as gone:
        s3.head_object(Bucket="tfstate", Key=STATE_KEY + ".tflock")
    assert gone.value.response["Error"]["Code"] == "404"
    assert by_id(browser, "lock").text.startswith("Not locked")

    restore_buttons = [b for b in css(browser, "button.danger") if b.text == "Restore this version"]
    restore_buttons[-1].click()  # the oldest version, serial 1
    accept_confirmation(browser)
    wait_for_text(browser, "notice", "restored as the current state")
    assert json.loads(s3.get_object(Bucket="tfstate", Key=STATE_KEY)["Body"].read())["serial"] == 1
    assert [cell.text for cell in css(browser, "#state-versions td.serial")] == ["1", "3", "2", "1"]


def test_keys_page(console_server, browser, screenshots):
    browser.get(console_server.endpoint + BASE + "/keys")
    row = css(browser, f"tr[data-key-id='{console_server.kms_key_id}']")[0]
    assert "alias/terraform-state" in row.find_element("css selector", "td.aliases").text
    assert row.find_element("css selector", "td.protected").text == "1"
    assert "Enabled" in row.text
    assert by_id(browser, "root-key").text.startswith("generated into") or by_id(browser, "root-key").text.startswith("from")
    # Key material never reaches the page.
    assert "secret" not in browser.page_source.lower().replace("secret key", "")
    browser.save_screenshot(str(screenshots / "console-keys.png"))


def test_clock_and_lifecycle_timeline(console_server, browser, screenshots):
    browser.get(console_server.endpoint + BASE + "/clock")
    timeline = by_id(browser, "timeline").text
    assert "tmp/build.log" in timeline and "expire" in timeline and "expire-tmp" in timeline
    browser.save_screenshot(str(screenshots / "console-clock.png"))
    field = by_id(browser, "advance")
    field.send_keys("31d")
    by_id(browser, "advance-button").click()
    accept_confirmation(browser)
    wait_for_text(browser, "notice", "moved forward 31 d")
    assert by_id(browser, "clock-offset").text == "31 d"
    # The pass the move started removes the expired object.
    s3 = make_client(console_server)
    for _ in range(100):
        if s3.list_objects_v2(Bucket="scratch").get("KeyCount") == 0:
            break
        import time
        time.sleep(0.1)
    assert s3.list_objects_v2(Bucket="scratch").get("KeyCount") == 0


def test_requests_page_shows_a_lock_cycle(console_server, browser, screenshots):
    s3 = make_client(console_server)
    s3.put_object(Bucket="tfstate", Key=STATE_KEY + ".tflock", Body=json.dumps(LOCK_INFO).encode(), IfNoneMatch="*")
    s3.get_object(Bucket="tfstate", Key=STATE_KEY)
    s3.put_object(Bucket="tfstate", Key=STATE_KEY, Body=state_document(4))
    s3.delete_object(Bucket="tfstate", Key=STATE_KEY + ".tflock")
    browser.get(console_server.endpoint + BASE + "/requests?bucket=tfstate")
    rows = [[cell.text for cell in row.find_elements("css selector", "td")] for row in css(browser, "#live-requests tbody tr")]
    cycle = [(row[1], row[3]) for row in rows[:4]]
    assert cycle == [("DeleteObject", STATE_KEY + ".tflock"), ("PutObject", STATE_KEY), ("GetObject", STATE_KEY),
                     ("PutObject", STATE_KEY + ".tflock")], rows[:6]
    browser.save_screenshot(str(screenshots / "console-requests.png"))


def test_sign_out(console_server, browser):
    browser.get(console_server.endpoint + BASE + "/")
    from selenium.webdriver.common.by import By

    browser.find_element(By.XPATH, "//button[text()='Sign out']").click()
    wait_for_text(browser, "accessKey", "")
    assert "/signin" in browser.current_url
    browser.get(console_server.endpoint + BASE + "/keys")
    assert "/signin" in browser.current_url


# ---------------------------------------------------------------------------------------------------- HTTP


def signed_in(server, access_key, secret_key) -> requests.Session:
    session = requests.Session()
    answer = session.post(server.endpoint + BASE + "/signin", data={"accessKey": access_key, "secretKey": secret_key},
                          allow_redirects=False)
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie
    return session


def csrf_token(session, server) -> str:
    page = session.get(server.endpoint + BASE + "/clock").text
    marker = 'name="csrf" value="'
    return page[page.index(marker) + len(marker):].split('"', 1)[0]


def test_json_endpoints_need_a_session(console_server):
    for path in ("/api/buckets", "/api/b/tfstate", "/api/keys", "/api/clock", "/api/requests"):
        answer = requests.get(console_server.endpoint + BASE + path)
        assert answer.status_code == 401, path
        assert answer.json()["error"] == "Unauthorized"
    page = requests.get(console_server.endpoint + BASE + "/keys", allow_redirects=False)
    assert page.status_code == 303 and "/signin?next=" in page.headers["Location"]


def test_security_headers(console_server):
    answer = requests.get(console_server.endpoint + BASE + "/signin")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assets = sum(len(requests.get(console_server.endpoint + BASE + "/assets/" + name).content)
                 for name in ("console.css", "console.js"))
    assert assets <= 300 * 1024


def test_state_changes_need_the_csrf_token_and_the_cookie(console_server):
    session = signed_in(console_server, console_server.access_key, console_server.secret_key)
    before = session.get(console_server.endpoint + BASE + "/api/clock").json()["offsetSeconds"]
    forged = session.post(console_server.endpoint + BASE + "/clock", data={"advance": "1d"}, allow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text
    wrong = session.post(console_server.endpoint + BASE + "/clock", data={"advance": "1d", "csrf": "0" * 64}, allow_redirects=False)
    assert wrong.status_code == 403
    token = csrf_token(session, console_server)
    cookieless = requests.post(console_server.endpoint + BASE + "/clock", data={"advance": "1d", "csrf": token}, allow_redirects=False)
    assert cookieless.status_code == 401
    assert session.get(console_server.endpoint + BASE + "/api/clock").json()["offsetSeconds"] == before
    moved = session.post(console_server.endpoint + BASE + "/clock", data={"advance": "1h", "csrf": token}, allow_redirects=False)
    assert moved.status_code == 303
    assert session.get(console_server.endpoint + BASE + "/api/clock").json()["offsetSeconds"] == before + 3600


def test_another_account_sees_only_its_own(console_server):
    make_client(console_server, access_key="BOBACCESSKEY00000000", secret_key="bob-secret").list_buckets()
    bob = signed_in(console_server, "BOBACCESSKEY00000000", "bob-secret")
    assert bob.get(console_server.endpoint + BASE + "/api/buckets").json()["buckets"] == []
    denied = bob.get(console_server.endpoint + BASE + "/api/b/tfstate")
    assert denied.status_code == 403 and denied.json()["error"] == "AccessDenied"
    state = bob.get(console_server.endpoint + BASE + "/api/b/tfstate/state/" + urllib.parse.quote(STATE_KEY))
    assert state.status_code == 403 and state.json()["error"] == "AccessDenied"
    requests_seen = bob.get(console_server.endpoint + BASE + "/api/requests").json()["requests"]
    assert [r["operation"] for r in requests_seen] == ["ListBuckets"]
    assert requests_seen[0]["requester"] == f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob"
    # Bob's state actions are S3 requests as Bob: refused, nothing changed.
    token = csrf_token(bob, console_server)
    def outcome(form):
        answer = bob.post(console_server.endpoint + BASE + "/b/tfstate/state/" + STATE_KEY, data={**form, "csrf": token},
                          allow_redirects=False)
        assert answer.status_code == 303
        return urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)["done"][0]

    # The lock Bob cannot read is not "free": no restore under it.
    assert outcome({"action": "restore", "versionId": "null"}) == "locked"
    assert outcome({"action": "unlock", "etag": '"0123"'}) == "unlock-refused:AccessDenied"


def test_state_page_shows_a_dynamodb_lock_item(console_server):
    dynamodb = boto3_client(console_server, "dynamodb")
    dynamodb.create_table(TableName="terraform-locks", AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    # What Terraform ≤ 1.9's s3 backend writes: LockID "<bucket>/<key>" with the lock info as JSON in Info.
    info = {**LOCK_INFO, "ID": "dynamo-lock-7", "Who": "carol@ci"}
    dynamodb.put_item(TableName="terraform-locks", Item={"LockID": {"S": f"tfstate/{STATE_KEY}"}, "Info": {"S": json.dumps(info)}},
                      ConditionExpression="attribute_not_exists(LockID)")
    root = signed_in(console_server, console_server.access_key, console_server.secret_key)
    lock = root.get(console_server.endpoint + BASE + "/api/b/tfstate/state/" + urllib.parse.quote(STATE_KEY)).json()["lock"]
    assert lock["dynamoDBTable"] == "terraform-locks"
    assert lock["dynamoDBInfo"]["id"] == "dynamo-lock-7" and lock["dynamoDBInfo"]["who"] == "carol@ci"
    page = root.get(console_server.endpoint + BASE + "/b/tfstate/state/" + STATE_KEY).text
    assert "terraform-locks" in page and "carol@ci" in page
    dynamodb.delete_item(TableName="terraform-locks", Key={"LockID": {"S": f"tfstate/{STATE_KEY}"}})
    lock = root.get(console_server.endpoint + BASE + "/api/b/tfstate/state/" + urllib.parse.quote(STATE_KEY)).json()["lock"]
    assert "dynamoDBTable" not in lock


# ---------------------------------------------------------------------------------------------------- review findings


def test_objects_cannot_run_as_the_console(console_server):
    """The console shares its origin with path-style objects: an HTML object opened in a browser is sandboxed."""
    s3 = make_client(console_server)
    s3.create_bucket(Bucket="pages")
    s3.put_object(Bucket="pages", Key="evil.html", Body=b"<script>fetch('/_lockstep/console/api/buckets')</script>",
                  ContentType="text/html")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "pages", "Key": "evil.html"})
    answer = requests.get(url)
    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"].startswith("sandbox")
    assert "allow-same-origin" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_sign_in_leads_only_to_console_pages(console_server):
    def lands(next_page):
        answer = requests.post(console_server.endpoint + BASE + "/signin", allow_redirects=False, data={
            "accessKey": console_server.access_key, "secretKey": console_server.secret_key, "next": next_page})
        return answer.headers["Location"]

    for hostile in (BASE + "/../../pages/evil.html", BASE + "/%2e%2e/%2E%2E/pages/evil.html", BASE + "/./x",
                    "//evil.example/", "https://evil.example" + BASE + "/", BASE + "\\..\\x"):
        assert lands(hostile) == BASE + "/", hostile
    # A deep link with its query survives the sign-in round trip.
    page = BASE + "/b/tfstate/state/" + STATE_KEY + "?from=a&to=b"
    assert lands(page) == page
    first = requests.get(console_server.endpoint + page, allow_redirects=False)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(first.headers["Location"]).query)["next"] == [page]


def test_an_empty_state_key_is_not_a_bucket_operation(console_server):
    root = signed_in(console_server, console_server.access_key, console_server.secret_key)
    token = csrf_token(root, console_server)
    answer = root.post(console_server.endpoint + BASE + "/b/smuggled-bucket/state/",
                       data={"csrf": token, "action": "restore", "versionId": "x"}, allow_redirects=False)
    assert answer.status_code == 404
    with pytest.raises(ClientError):
        make_client(console_server).head_bucket(Bucket="smuggled-bucket")


def test_source_ip_conditions_apply_to_the_console(console_server):
    s3 = make_client(console_server)
    s3.create_bucket(Bucket="ipdeny")
    s3.put_bucket_versioning(Bucket="ipdeny", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="ipdeny", Key="t.tfstate", Body=state_document(1))
    s3.put_object(Bucket="ipdeny", Key="t.tfstate", Body=state_document(2))
    s3.put_bucket_policy(Bucket="ipdeny", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::ipdeny/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}]}))
    root = signed_in(console_server, console_server.access_key, console_server.secret_key)
    state = root.get(console_server.endpoint + BASE + "/api/b/ipdeny/state/t.tfstate").json()
    assert [v.get("unreadable") for v in state["versions"]] == ["AccessDenied", "AccessDenied"]
    assert "diff" not in state


def test_a_user_sees_only_what_their_s3_permissions_show(console_server):
    """Bob (another account) may list the versions of `shared` and nothing else: no configuration, no object
    details, and the lock he cannot read is unknown, never free."""
    s3 = make_client(console_server)
    s3.create_bucket(Bucket="shared")
    s3.put_bucket_versioning(Bucket="shared", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_cors(Bucket="shared", CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    s3.put_object(Bucket="shared", Key="s.tfstate", Body=state_document(1), ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=console_server.kms_key_id)
    s3.put_object(Bucket="shared", Key="s.tfstate.tflock", Body=json.dumps(LOCK_INFO).encode())
    s3.put_bucket_policy(Bucket="shared", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob"},
        "Action": "s3:ListBucketVersions", "Resource": "arn:aws:s3:::shared"}]}))
    bob = signed_in(console_server, "BOBACCESSKEY00000000", "bob-secret")
    page = bob.get(console_server.endpoint + BASE + "/api/b/shared").json()
    assert {v["key"] for v in page["versions"]} == {"s.tfstate", "s.tfstate.tflock"}
    assert all("encryption" not in v and "kmsKeyId" not in v for v in page["versions"])
    assert page["configuration"] == {}
    state = bob.get(console_server.endpoint + BASE + "/api/b/shared/state/s.tfstate").json()
    assert state["lock"]["held"] is False and state["lock"]["unknown"] == "AccessDenied"
    token = csrf_token(bob, console_server)
    answer = bob.post(console_server.endpoint + BASE + "/b/shared/state/s.tfstate",
                      data={"csrf": token, "action": "restore", "versionId": state["versions"][0]["versionId"]}, allow_redirects=False)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)["done"] == ["locked"]
    root = signed_in(console_server, console_server.access_key, console_server.secret_key)
    mine = root.get(console_server.endpoint + BASE + "/api/b/shared").json()
    assert mine["configuration"]["versioning"] == "Enabled" and "AllowedOrigins" in mine["configuration"]["cors"]
    assert any(v.get("kmsKeyId") == console_server.kms_key_id for v in mine["versions"])


def test_large_objects_are_listed_not_read(console_server):
    s3 = make_client(console_server)
    s3.create_bucket(Bucket="bigstate")
    s3.put_object(Bucket="bigstate", Key="big.tfstate", Body=b" " * (17 << 20))
    root = signed_in(console_server, console_server.access_key, console_server.secret_key)
    state = root.get(console_server.endpoint + BASE + "/api/b/bigstate/state/big.tfstate").json()
    assert state["versions"][0]["unreadable"] == "larger than 16 MiB, not shown"


def test_notices_are_the_consoles_own_words(console_server):
    root = signed_in(console_server, console_server.access_key, console_server.secret_key)
    page = BASE + "/b/tfstate/state/" + STATE_KEY
    spoofed = root.get(console_server.endpoint + page + "?done=" + urllib.parse.quote("Your account is suspended, call +1-555")).text
    assert 'id="notice"' not in spoofed and "suspended" not in spoofed
    assert "Lock released." in root.get(console_server.endpoint + page + "?done=unlocked").text
    injected = root.get(console_server.endpoint + page + "?done=restore-refused:" + urllib.parse.quote("<script>x")).text
    assert 'id="notice"' not in injected and "&lt;script" not in injected


def test_force_unlock_needs_the_lock_it_showed(console_server):
    s3 = make_client(console_server)
    s3.put_object(Bucket="tfstate", Key=STATE_KEY + ".tflock", Body=json.dumps(LOCK_INFO).encode(), IfNoneMatch="*")
    root = signed_in(console_server, console_server.access_key, console_server.secret_key)
    token = csrf_token(root, console_server)
    answer = root.post(console_server.endpoint + BASE + "/b/tfstate/state/" + STATE_KEY, data={"csrf": token, "action": "unlock"},
                       allow_redirects=False)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)["done"] == ["unlock-no-etag"]
    assert s3.head_object(Bucket="tfstate", Key=STATE_KEY + ".tflock")["ContentLength"] > 0
    s3.delete_object(Bucket="tfstate", Key=STATE_KEY + ".tflock")


def test_forms_from_another_site_are_refused(console_server):
    cross = requests.post(console_server.endpoint + BASE + "/signin", allow_redirects=False,
                          headers={"Origin": "http://evil.example"},
                          data={"accessKey": console_server.access_key, "secretKey": console_server.secret_key})
    assert cross.status_code == 403 and "Set-Cookie" not in cross.headers
    fetch_site = requests.post(console_server.endpoint + BASE + "/signin", allow_redirects=False,
                               headers={"Sec-Fetch-Site": "cross-site"},
                               data={"accessKey": console_server.access_key, "secretKey": console_server.secret_key})
    assert fetch_site.status_code == 403
    host = urllib.parse.urlsplit(console_server.endpoint).netloc
    same = requests.post(console_server.endpoint + BASE + "/signin", allow_redirects=False, headers={"Origin": "http://" + host},
                         data={"accessKey": console_server.access_key, "secretKey": console_server.secret_key})
    assert same.status_code == 303 and "Set-Cookie" in same.headers
