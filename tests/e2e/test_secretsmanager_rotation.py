"""Secrets Manager rotation end to end with boto3: RotateSecret with the built-in
random-password function and with an operator's executable registered by
--rotation-function, each following the four-step contract; schedules and their
NextRotationDate; a failing step that leaves AWSCURRENT alone; CancelRotateSecret.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import datetime
import json
import os
import stat
import time

from kms_util import code_of, error_of
from sm_util import sm_ok

BUILTIN = "bulwark-rotate-random-password"


def lambda_arn(server, name):
    return f"arn:aws:lambda:us-east-1:{server.account_id}:function:{name}"


def stages(sm, name):
    return sm.describe_secret(SecretId=name).get("VersionIdsToStages", {})


def wait_for(condition, timeout=20):
    """Rotations run on the server's maintenance thread, started by RotateSecret."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def rotated_to(sm, name, version):
    """The rotation to `version` is over: AWSCURRENT moved, and its date recorded."""
    start = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - \
        datetime.timedelta(seconds=1)

    def over():
        d = sm.describe_secret(SecretId=name)
        return "AWSCURRENT" in d.get("VersionIdsToStages", {}).get(version, []) and \
            d.get("LastRotatedDate", start) > start
    return over


def test_builtin_random_password_rotation(server):
    sm = server.client("secretsmanager")
    first = sm.create_secret(Name="db", SecretString=json.dumps(
        {"engine": "postgres", "username": "app", "password": "old"}))["VersionId"]
    out = sm.rotate_secret(SecretId="db", RotationLambdaARN=lambda_arn(server, BUILTIN),
                           RotationRules={"AutomaticallyAfterDays": 30})
    new = out["VersionId"]
    assert new != first
    wait_for(rotated_to(sm, "db", new))
    value = json.loads(sm.get_secret_value(SecretId="db")["SecretString"])
    assert value["username"] == "app" and value["engine"] == "postgres"
    assert value["password"] != "old" and len(value["password"]) == 32
    assert not set(value["password"]) & set("\"@/\\'")
    assert stages(sm, "db") == {first: ["AWSPREVIOUS"], new: ["AWSCURRENT"]}
    d = sm.describe_secret(SecretId="db")
    assert d["RotationEnabled"] is True
    assert d["RotationLambdaARN"] == lambda_arn(server, BUILTIN)
    assert d["RotationRules"]["AutomaticallyAfterDays"] == 30
    raw = sm_ok(server, "DescribeSecret", {"SecretId": "db"})
    assert abs(raw["NextRotationDate"] - raw["LastRotatedDate"] - 30 * 86400) < 5
    # Again, with the function remembered; a plain string is replaced whole.
    sm.create_secret(Name="plain", SecretString="old-password")
    v = sm.rotate_secret(SecretId="plain", RotationLambdaARN=lambda_arn(server, BUILTIN))
    wait_for(rotated_to(sm, "plain", v["VersionId"]))
    assert sm.get_secret_value(SecretId="plain")["SecretString"] != "old-password"
    again = sm.rotate_secret(SecretId="plain")["VersionId"]
    wait_for(rotated_to(sm, "plain", again))


def test_rotation_rules_are_checked(server):
    sm = server.client("secretsmanager")
    sm.create_secret(Name="r", SecretString="x")
    fn = lambda_arn(server, BUILTIN)
    for rules in ({"AutomaticallyAfterDays": 5, "ScheduleExpression": "rate(5 days)"},
                  {"ScheduleExpression": "rate(2 hours)"},
                  {"ScheduleExpression": "cron(0 0 * * * *)"},
                  {"ScheduleExpression": "rate(4 hours)", "Duration": "4h"},
                  {"AutomaticallyAfterDays": 2, "Duration": "25h"}):
        assert code_of(sm.rotate_secret, SecretId="r", RotationLambdaARN=fn,
                       RotationRules=rules) == "InvalidParameterException", rules
    assert code_of(sm.rotate_secret, SecretId="r") == "InvalidRequestException"
    assert code_of(sm.rotate_secret, SecretId="r",
                   RotationLambdaARN=lambda_arn(server, "nothing")) == "InvalidParameterException"
    assert code_of(sm.rotate_secret, SecretId="r",
                   RotationLambdaARN="arn:aws:lambda:eu-west-1:111122223333:function:x") == \
        "InvalidParameterException"
    # A cron schedule without an immediate rotation: the next firing time.
    sm.rotate_secret(SecretId="r", RotationLambdaARN=fn, RotateImmediately=False,
                     RotationRules={"ScheduleExpression": "cron(0 16 1 * ? *)", "Duration": "2h"})
    d = sm_ok(server, "DescribeSecret", {"SecretId": "r"})
    nxt = datetime.datetime.fromtimestamp(d["NextRotationDate"], datetime.timezone.utc)
    assert (nxt.day, nxt.hour, nxt.minute) == (1, 16, 0)
    assert nxt > datetime.datetime.now(datetime.timezone.utc)
    assert "LastRotatedDate" not in d
    assert sm.get_secret_value(SecretId="r")["SecretString"] == "x"
    out = sm.cancel_rotate_secret(SecretId="r")
    assert out["Name"] == "r"
    d = sm_ok(server, "DescribeSecret", {"SecretId": "r"})
    assert d["RotationEnabled"] is False and "NextRotationDate" not in d


SCRIPT = """#!/usr/bin/python3
import json, os, sys
import boto3
event = json.loads(sys.argv[1])
with open({log!r}, "a") as f:
    f.write(json.dumps(event) + "\\n")
if event["Step"] == os.environ.get("FAIL_AT", {fail!r}):
    sys.exit(3)
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = {creds!r}
sm = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                  region_name="us-east-1")
arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
if step == "createSecret":
    sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="from-script",
                        VersionStages=["AWSPENDING"])
elif step == "finishSecret":
    meta = sm.describe_secret(SecretId=arn)
    current = [v for v, s in meta["VersionIdsToStages"].items() if "AWSCURRENT" in s][0]
    sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                   MoveToVersionId=token, RemoveFromVersionId=current)
"""


def write_function(tmp_path, name, server_creds, fail=""):
    log = str(tmp_path / f"{name}.log")
    path = tmp_path / name
    path.write_text(SCRIPT.format(log=log, fail=fail, creds=server_creds))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path), log


def test_an_operators_executable_follows_the_four_steps(make_server, data_dir, tmp_path):
    creds = os.path.join(data_dir, "credentials")
    good, good_log = write_function(tmp_path, "good", creds)
    bad, bad_log = write_function(tmp_path, "bad", creds, fail="testSecret")
    server = make_server(data_dir, "--rotation-function", f"my-rotator={good}",
                         "--rotation-function", f"broken={bad}")
    sm = server.client("secretsmanager")
    first = sm.create_secret(Name="ext", SecretString="before")["VersionId"]
    new = sm.rotate_secret(SecretId="ext",
                           RotationLambdaARN=lambda_arn(server, "my-rotator"))["VersionId"]
    wait_for(rotated_to(sm, "ext", new))
    events = [json.loads(line) for line in open(good_log)]
    arn = sm.describe_secret(SecretId="ext")["ARN"]
    assert events == [{"SecretId": arn, "ClientRequestToken": new, "Step": step}
                      for step in ("createSecret", "setSecret", "testSecret", "finishSecret")]
    assert sm.get_secret_value(SecretId="ext")["SecretString"] == "from-script"
    assert stages(sm, "ext") == {first: ["AWSPREVIOUS"], new: ["AWSCURRENT"]}
    # A step that fails leaves AWSCURRENT where it was, and the pending version waiting.
    sm.create_secret(Name="fragile", SecretString="keep-me")
    token = sm.rotate_secret(SecretId="fragile",
                             RotationLambdaARN=lambda_arn(server, "broken"))["VersionId"]
    wait_for(lambda: os.path.exists(bad_log) and len(open(bad_log).readlines()) == 3)
    time.sleep(0.5)  # the attempt's end is written after the step
    assert [json.loads(line)["Step"] for line in open(bad_log)] == [
        "createSecret", "setSecret", "testSecret"]
    assert sm.get_secret_value(SecretId="fragile")["SecretString"] == "keep-me"
    assert sm.get_secret_value(SecretId="fragile", VersionStage="AWSPENDING")["VersionId"] == token
    assert "LastRotatedDate" not in sm.describe_secret(SecretId="fragile")
    # The failure is in the audit trail, as AWS's RotationFailed service event.
    ct = server.client("cloudtrail")

    def service_events(name):
        return [json.loads(e["CloudTrailEvent"]) for e in ct.lookup_events(LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": name}])["Events"]]
    fragile_arn = sm.describe_secret(SecretId="fragile")["ARN"]
    failed = service_events("RotationFailed")
    assert [e["additionalEventData"]["SecretId"] for e in failed] == [fragile_arn]
    assert failed[0]["eventType"] == "AwsServiceEvent"
    assert failed[0]["userIdentity"]["invokedBy"] == "secretsmanager.amazonaws.com"
    assert failed[0]["serviceEventDetails"]["step"] == "testSecret"
    assert [e["additionalEventData"]["SecretId"] for e in service_events("RotationSucceeded")] \
        == [arn]
    assert len(service_events("RotationStarted")) == 2
    err = error_of(sm.rotate_secret, SecretId="fragile",
                   RotationLambdaARN=lambda_arn(server, "my-rotator"),
                   ClientRequestToken="a" * 32)
    assert err["Code"] == "InvalidRequestException"
    assert "previous rotation isn't complete" in err["Message"]
    # The same rotation again (its token) with a working function completes it.
    sm.rotate_secret(SecretId="fragile", RotationLambdaARN=lambda_arn(server, "my-rotator"),
                     ClientRequestToken=token)
    wait_for(rotated_to(sm, "fragile", token))
    assert sm.get_secret_value(SecretId="fragile")["SecretString"] == "from-script"


def test_an_operators_http_endpoint_follows_the_four_steps(make_server, data_dir):
    import http.server
    import threading
    events = []
    holder = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            events.append(event)
            ok = event["Step"] != "testSecret" or not holder.get("fail")
            if ok:
                sm = holder["client"]
                arn, token = event["SecretId"], event["ClientRequestToken"]
                if event["Step"] == "createSecret":
                    sm.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                        SecretString="from-http", VersionStages=["AWSPENDING"])
                elif event["Step"] == "finishSecret":
                    meta = sm.describe_secret(SecretId=arn)
                    current = [v for v, s in meta["VersionIdsToStages"].items()
                               if "AWSCURRENT" in s][0]
                    sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                                   MoveToVersionId=token,
                                                   RemoveFromVersionId=current)
            self.send_response(200 if ok else 500)
            self.end_headers()

        def log_message(self, *args):
            pass

    endpoint = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{endpoint.server_address[1]}/rotate"
        server = make_server(data_dir, "--rotation-function", f"web={url}")
        sm = server.client("secretsmanager")
        holder["client"] = server.client("secretsmanager")
        sm.create_secret(Name="web", SecretString="before")
        token = sm.rotate_secret(SecretId="web",
                                 RotationLambdaARN=lambda_arn(server, "web"))["VersionId"]
        wait_for(rotated_to(sm, "web", token))
        assert [e["Step"] for e in events] == ["createSecret", "setSecret", "testSecret",
                                               "finishSecret"]
        assert all(e["ClientRequestToken"] == token for e in events)
        assert sm.get_secret_value(SecretId="web")["SecretString"] == "from-http"
        # An endpoint that answers 500 stops the rotation there.
        holder["fail"] = True
        events.clear()
        sm.put_secret_value(SecretId="web", SecretString="kept")
        sm.rotate_secret(SecretId="web")
        wait_for(lambda: len(events) == 3)
        time.sleep(0.5)
        assert sm.get_secret_value(SecretId="web")["SecretString"] == "kept"
    finally:
        endpoint.shutdown()
