"""CloudTrail end to end: every request leaves an audit record in AWS's format, for
every kind of caller and outcome; no secret reaches a record or a file; event history
(LookupEvents) with its filters, time ranges and pagination through boto3 and the aws
CLI; and a kill -9 loses no record of an acknowledged mutation.

Interpreter: /usr/bin/python3 with python3-boto3 and python3-pytest; CLI: /usr/bin/aws.
"""
import base64
import datetime
import glob
import json
import os
import signal
import subprocess
import threading
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import REGION, aws_cli, make_user
from test_iam_mfa import STEP, fresh_step, totp

MARKER = "audit-marker-5b1e0c7d"


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def lookup(server, creds=None, **kwargs):
    """Every event LookupEvents finds (following NextToken), newest first."""
    ct = server.client("cloudtrail", *(creds or ()))
    events, token = [], None
    while True:
        page = ct.lookup_events(**kwargs, **({"NextToken": token} if token else {}))
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            return events


def records(server, **kwargs):
    return [json.loads(e["CloudTrailEvent"]) for e in lookup(server, **kwargs)]


def by_name(server, name):
    return records(server, LookupAttributes=[{"AttributeKey": "EventName",
                                              "AttributeValue": name}])


def journal_lines(server):
    lines = []
    for path in sorted(glob.glob(os.path.join(server.data_dir, "cloudtrail", "events", "*"))):
        with open(path, "rb") as f:
            lines += [line for line in f.read().split(b"\n") if line]
    return lines


def test_records_for_each_kind_of_caller_and_outcome(server):
    acct = server.account_id
    iam = server.client("iam")
    alice = make_user(server, "alice",
                      {"Effect": "Allow", "Action": ["kms:CreateKey", "kms:DescribeKey",
                                                     "kms:ListAliases", "sts:GetSessionToken",
                                                     "sts:AssumeRole", "sts:GetFederationToken"],
                       "Resource": "*"})
    role_arn = iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:user/alice"},
            "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="auditor", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}))

    # An IAM user: a success on a resource, and an access denied.
    kms = server.client("kms", *alice)
    key_id = kms.create_key(Description="audited")["KeyMetadata"]["KeyId"]
    key_arn = f"arn:aws:kms:{REGION}:{acct}:key/{key_id}"
    assert error_of(kms.schedule_key_deletion, KeyId=key_id)["Error"]["Code"] == \
        "AccessDeniedException"
    # An assumed role.
    creds = server.client("sts", *alice).assume_role(RoleArn=role_arn,
                                                     RoleSessionName="audit-s1")["Credentials"]
    server.client("kms", creds["AccessKeyId"], creds["SecretAccessKey"],
                  creds["SessionToken"]).list_keys()
    # A federated user.
    fed = server.client("sts", *alice).get_federation_token(
        Name="fed-bob", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:ListAliases", "Resource": "*"}]}))["Credentials"]
    server.client("kms", fed["AccessKeyId"], fed["SecretAccessKey"],
                  fed["SessionToken"]).list_aliases()
    # A wrong secret for a real key, and a key that does not exist.
    bad = server.client("kms", alice[0], "x" * 40)
    assert error_of(bad.list_keys)["Error"]["Code"] == "InvalidSignatureException"
    ghost = server.client("kms", "AKIAIOSFODNN7EXAMPLE", "y" * 40)
    assert error_of(ghost.list_keys)["Error"]["Code"] == "UnrecognizedClientException"

    created = by_name(server, "CreateKey")
    assert len(created) == 1
    r = created[0]
    assert r["eventVersion"] == "1.11"
    assert r["eventSource"] == "kms.amazonaws.com"
    assert r["awsRegion"] == REGION
    assert r["sourceIPAddress"] == "127.0.0.1"
    assert "Boto3" in r["userAgent"] or "botocore" in r["userAgent"]
    assert r["readOnly"] is False
    assert r["eventType"] == "AwsApiCall" and r["managementEvent"] is True
    assert r["eventCategory"] == "Management"
    assert r["recipientAccountId"] == acct
    assert r["requestParameters"] == {"description": "audited"}
    assert r["responseElements"]["keyMetadata"]["keyId"] == key_id
    assert r["userIdentity"]["type"] == "IAMUser"
    assert r["userIdentity"]["userName"] == "alice"
    assert r["userIdentity"]["accessKeyId"] == alice[0]
    assert r["userIdentity"]["arn"] == f"arn:aws:iam::{acct}:user/alice"
    assert r["userIdentity"]["principalId"].startswith("AIDA")
    # The record's event id and request id are the ones the call had.
    assert len(r["eventID"]) == 36 and len(r["requestID"]) == 36

    denied = by_name(server, "ScheduleKeyDeletion")[0]
    assert denied["errorCode"] == "AccessDeniedException"
    assert "is not authorized to perform: kms:ScheduleKeyDeletion" in denied["errorMessage"]
    assert denied["resources"] == [{"accountId": acct, "type": "AWS::KMS::Key", "ARN": key_arn}]
    assert denied["requestParameters"] == {"keyId": key_id}

    listed = [x for x in by_name(server, "ListKeys")
              if x["userIdentity"]["type"] == "AssumedRole"][0]
    ident = listed["userIdentity"]
    assert ident["arn"] == f"arn:aws:sts::{acct}:assumed-role/auditor/audit-s1"
    assert ident["accessKeyId"] == creds["AccessKeyId"]
    assert ident["sessionContext"]["sessionIssuer"]["arn"] == role_arn
    assert ident["sessionContext"]["sessionIssuer"]["type"] == "Role"
    assert ident["sessionContext"]["sessionIssuer"]["userName"] == "auditor"
    assert ident["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert listed["readOnly"] is True
    assert "errorCode" not in listed
    assumed = by_name(server, "AssumeRole")[0]
    assert assumed["eventSource"] == "sts.amazonaws.com"
    assert assumed["responseElements"]["credentials"]["sessionToken"] == \
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert creds["SessionToken"] not in json.dumps(assumed)

    federated = by_name(server, "ListAliases")[0]
    ident = federated["userIdentity"]
    assert ident["type"] == "FederatedUser"
    assert ident["arn"] == f"arn:aws:sts::{acct}:federated-user/fed-bob"
    assert ident["principalId"] == f"{acct}:fed-bob"
    assert ident["sessionContext"]["sessionIssuer"] == {
        "type": "IAMUser", "arn": f"arn:aws:iam::{acct}:user/alice", "accountId": acct,
        "userName": "alice"}
    assert lookup(server, LookupAttributes=[{"AttributeKey": "Username",
                                             "AttributeValue": "fed-bob"}])

    # A real key with a bad signature: recorded in its account, with the identity it claimed.
    failed = [x for x in by_name(server, "ListKeys") if x.get("errorCode")]
    assert [x["errorCode"] for x in failed] == ["InvalidSignatureException"]
    assert failed[0]["userIdentity"]["accessKeyId"] == alice[0]
    # An unknown key: in the journal, in no account's history.
    ghost_lines = [line for line in journal_lines(server) if b"AKIAIOSFODNN7EXAMPLE" in line]
    assert len(ghost_lines) == 1
    ghost_record = json.loads(ghost_lines[0].split(b"\t", 11)[11])
    assert ghost_record["userIdentity"] == {"type": "Unknown",
                                            "accessKeyId": "AKIAIOSFODNN7EXAMPLE"}
    assert ghost_record["errorCode"] == "UnrecognizedClientException"
    assert "recipientAccountId" not in ghost_record

    # The root user.
    root_user = [x for x in by_name(server, "CreateUser")][0]["userIdentity"]
    assert root_user["type"] == "Root"
    assert root_user["arn"] == f"arn:aws:iam::{acct}:root"


def test_mfa_session_is_recorded_as_mfa_authenticated(server):
    iam = server.client("iam")
    key, secret = make_user(server, "mfa-user",
                            {"Effect": "Allow", "Action": ["kms:ListKeys", "sts:GetSessionToken"],
                             "Resource": "*"})
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="mfa-user-phone")
    serial = dev["VirtualMFADevice"]["SerialNumber"]
    seed = dev["VirtualMFADevice"]["Base32StringSeed"].decode()
    t = fresh_step()
    iam.enable_mfa_device(UserName="mfa-user", SerialNumber=serial,
                          AuthenticationCode1=totp(seed, t - STEP),
                          AuthenticationCode2=totp(seed, t))
    # The next step's code (the device's window allows one step of drift).
    creds = server.client("sts", key, secret).get_session_token(
        SerialNumber=serial, TokenCode=totp(seed, t + STEP))["Credentials"]
    server.client("kms", creds["AccessKeyId"], creds["SecretAccessKey"],
                  creds["SessionToken"]).list_keys()
    rec = [x for x in by_name(server, "ListKeys")][0]
    ident = rec["userIdentity"]
    assert ident["type"] == "IAMUser" and ident["userName"] == "mfa-user"
    assert ident["accessKeyId"] == creds["AccessKeyId"]
    assert ident["sessionContext"]["attributes"]["mfaAuthenticated"] == "true"
    # Neither the MFA codes nor the seed are recorded.
    enabled = by_name(server, "EnableMFADevice")[0]
    assert enabled["requestParameters"]["authenticationCode1"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    token = by_name(server, "GetSessionToken")[0]
    assert token["requestParameters"]["tokenCode"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    created = by_name(server, "CreateVirtualMFADevice")[0]
    assert seed not in json.dumps(created)


def test_no_secret_reaches_a_record_or_a_file(server):
    acct = server.account_id
    sm = server.client("secretsmanager")
    sm.create_secret(Name="db", SecretString=MARKER + "-string")
    sm.put_secret_value(SecretId="db", SecretBinary=(MARKER + "-binary").encode())
    sm.get_secret_value(SecretId="db")
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/app/pw", Value=MARKER + "-param", Type="SecureString")
    ssm.get_parameter(Name="/app/pw", WithDecryption=True)
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=(MARKER + "-plain").encode())["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    data_key = kms.generate_data_key(KeyId=key, KeySpec="AES_256")["Plaintext"]
    iam = server.client("iam")
    iam.create_user(UserName="pw-user")
    iam.create_login_profile(UserName="pw-user", Password=MARKER + "-Pw1!")
    access = iam.create_access_key(UserName="pw-user")["AccessKey"]
    password = server.client("secretsmanager").get_random_password()["RandomPassword"]

    everything = json.dumps([e for e in lookup(server)], default=str)
    assert "PutSecretValue" in everything and "CreateLoginProfile" in everything
    secrets = [MARKER, access["SecretAccessKey"], password]
    for s in secrets:
        assert s not in everything
    for raw in (data_key, MARKER.encode()):
        assert base64.b64encode(raw).decode() not in everything
    # Nor in any file of the journal (or the rest of the data directory).
    for path in glob.glob(os.path.join(server.data_dir, "**", "*"), recursive=True):
        if not os.path.isfile(path) or path.endswith("credentials"):
            continue
        with open(path, "rb") as f:
            content = f.read()
        for s in secrets:
            assert s.encode() not in content, path
        assert base64.b64encode(data_key) not in content, path
    put = by_name(server, "PutParameter")[0]
    assert put["requestParameters"]["value"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert put["resources"] == [{"accountId": acct, "type": "AWS::SSM::Parameter",
                                 "ARN": f"arn:aws:ssm:{REGION}:{acct}:parameter/app/pw"}]
    assert by_name(server, "CreateLoginProfile")[0]["requestParameters"]["password"] == \
        "HIDDEN_DUE_TO_SECURITY_REASONS"
    got = by_name(server, "GetSecretValue")[0]
    assert got["responseElements"] is None and got["readOnly"] is True
    assert got["resources"][0]["type"] == "AWS::SecretsManager::Secret"
    enc = by_name(server, "Encrypt")[0]
    assert enc["requestParameters"] == {"keyId": key}


def test_lookup_attributes(server):
    acct = server.account_id
    bob = make_user(server, "bob", {"Effect": "Allow", "Action": ["kms:*", "cloudtrail:*"],
                                    "Resource": "*"})
    kms = server.client("kms", *bob)
    key = kms.create_key()["KeyMetadata"]
    kms.describe_key(KeyId=key["KeyId"])
    kms.list_keys()
    server.client("kms").list_aliases()

    def names(key, value):
        return [e["EventName"] for e in lookup(
            server, LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])]

    assert names("Username", "bob") == ["ListKeys", "DescribeKey", "CreateKey"]
    assert names("AccessKeyId", bob[0]) == ["ListKeys", "DescribeKey", "CreateKey"]
    assert names("ResourceName", key["Arn"]) == ["DescribeKey", "CreateKey"]
    assert names("ResourceName", key["KeyId"]) == ["DescribeKey", "CreateKey"]
    assert "DescribeKey" in names("ResourceType", "AWS::KMS::Key")
    assert "ListAliases" not in names("Username", "bob")
    assert set(names("EventSource", "kms.amazonaws.com")) == {
        "ListAliases", "ListKeys", "DescribeKey", "CreateKey"}
    read_only = names("ReadOnly", "true")
    assert "DescribeKey" in read_only and "CreateKey" not in read_only
    assert "CreateKey" in names("ReadOnly", "false")
    one = lookup(server, LookupAttributes=[{"AttributeKey": "EventName",
                                            "AttributeValue": "DescribeKey"}])
    assert len(one) == 1
    event = one[0]
    assert event["Username"] == "bob" and event["AccessKeyId"] == bob[0]
    assert event["ReadOnly"] == "true" and event["EventSource"] == "kms.amazonaws.com"
    assert event["Resources"] == [{"ResourceType": "AWS::KMS::Key", "ResourceName": key["Arn"]}]
    assert json.loads(event["CloudTrailEvent"])["eventID"] == event["EventId"]
    assert isinstance(event["EventTime"], datetime.datetime)
    assert names("EventId", event["EventId"]) == ["DescribeKey"]
    # The user's own lookups are recorded, and only the first attribute applies (as AWS).
    lookup(server, creds=bob)
    assert names("EventName", "LookupEvents")
    both = lookup(server, LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "CreateKey"},
        {"AttributeKey": "Username", "AttributeValue": "nobody"}])
    assert [e["EventName"] for e in both] == ["CreateKey"]
    # History is per Region and per account.
    other = boto3.client("cloudtrail", endpoint_url=server.url, region_name="eu-west-1",
                         aws_access_key_id=server.credentials()[0],
                         aws_secret_access_key=server.credentials()[1])
    assert other.lookup_events()["Events"] == []
    # Insights events are never recorded.
    assert server.client("cloudtrail").lookup_events(EventCategory="insight")["Events"] == []
    # A caller without cloudtrail:LookupEvents is denied.
    carol = make_user(server, "carol")
    err = error_of(server.client("cloudtrail", *carol).lookup_events)
    assert err["Error"]["Code"] == "AccessDeniedException"


def test_pagination_time_ranges_and_errors(server):
    ssm = server.client("ssm")
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    for i in range(23):
        ssm.put_parameter(Name=f"/p/{i}", Value="v", Type="String")
    pages, token, seen = 0, None, []
    ct = server.client("cloudtrail")
    attrs = [{"AttributeKey": "EventName", "AttributeValue": "PutParameter"}]
    while True:
        kw = {"LookupAttributes": attrs, "MaxResults": 5}
        if token:
            kw["NextToken"] = token
        page = ct.lookup_events(**kw)
        pages += 1
        seen += [json.loads(e["CloudTrailEvent"])["requestParameters"]["name"]
                 for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 5
    assert seen == [f"/p/{i}" for i in reversed(range(23))]
    # The default page is 50; boto3's paginator follows NextToken.
    paginator = ct.get_paginator("lookup_events")
    got = [e for p in paginator.paginate(LookupAttributes=attrs,
                                         PaginationConfig={"PageSize": 10}) for e in p["Events"]]
    assert len(got) == 23
    # A token belongs to its query.
    token = ct.lookup_events(LookupAttributes=attrs, MaxResults=5)["NextToken"]
    err = error_of(ct.lookup_events, MaxResults=5, NextToken=token)
    assert err["Error"]["Code"] == "InvalidNextTokenException"
    err = error_of(ct.lookup_events, NextToken="bm90LWEtdG9rZW4=")
    assert err["Error"]["Code"] == "InvalidNextTokenException"
    # Time ranges.
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    assert ct.lookup_events(StartTime=future)["Events"] == []
    assert ct.lookup_events(StartTime=future, EndTime=future)["Events"] == []
    assert len(lookup(server, LookupAttributes=attrs, StartTime=start)) == 23
    assert lookup(server, LookupAttributes=attrs, EndTime=start) == []
    err = error_of(ct.lookup_events, StartTime=future, EndTime=start)
    assert err["Error"]["Code"] == "InvalidTimeRangeException"
    err = error_of(ct.lookup_events, MaxResults=51)  # botocore itself refuses 0
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    err = error_of(ct.lookup_events, LookupAttributes=[{"AttributeKey": "Nope",
                                                        "AttributeValue": "x"}])
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_lookup_events_with_the_aws_cli(server):
    server.client("kms").create_key(Description="via-cli")
    r = aws_cli(server, "cloudtrail", "lookup-events", "--lookup-attributes",
                "AttributeKey=EventName,AttributeValue=CreateKey", "--max-items", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [e["EventName"] for e in out["Events"]] == ["CreateKey"]
    assert json.loads(out["Events"][0]["CloudTrailEvent"])["requestParameters"] == {
        "description": "via-cli"}
    # The CLI's own call is in the history too, with the CLI's user agent.
    r = aws_cli(server, "cloudtrail", "lookup-events", "--lookup-attributes",
                "AttributeKey=EventName,AttributeValue=LookupEvents")
    assert r.returncode == 0, r.stderr
    agents = [json.loads(e["CloudTrailEvent"])["userAgent"]
              for e in json.loads(r.stdout)["Events"]]
    assert any(a.startswith("aws-cli/") for a in agents)
    r = aws_cli(server, "cloudtrail", "lookup-events", "--start-time", "2030-01-02",
                "--end-time", "2030-01-01")
    assert r.returncode == 254 and "InvalidTimeRangeException" in r.stderr


def test_kill_9_loses_no_record_of_an_acknowledged_mutation(make_server, data_dir):
    first = make_server(data_dir)
    acknowledged, stop = [], threading.Event()
    lock = threading.Lock()

    def writer(n):
        ssm = first.client("ssm")
        i = 0
        while not stop.is_set():
            name = f"/load/{n}/{i}"
            try:
                ssm.put_parameter(Name=name, Value="v", Type="String")
            except Exception:
                return  # the server is gone
            with lock:
                acknowledged.append(name)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(2)
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) > 20
    second = make_server(data_dir)
    recorded = {r["requestParameters"]["name"] for r in by_name(second, "PutParameter")}
    missing = [n for n in acknowledged if n not in recorded]
    assert missing == []


def test_audit_off_records_nothing(make_server, data_dir):
    s = make_server(data_dir, "--audit", "off")
    s.client("kms").create_key()
    assert s.client("cloudtrail").lookup_events()["Events"] == []
    assert not os.path.exists(os.path.join(data_dir, "cloudtrail", "events")) or \
        os.listdir(os.path.join(data_dir, "cloudtrail", "events")) == []


def test_unsupported_cloudtrail_operations_say_so(server):
    err = error_of(server.client("cloudtrail").list_event_data_stores)
    assert err["Error"]["Code"] == "UnknownOperationException"
