"""CloudTrail trails end to end: the trail API with boto3 and the aws CLI and its errors;
delivery of gzip'd log files in AWS's layout, as the trail's settings and selectors
choose; digest files signed with the Region's key (ListPublicKeys), and
`bulwark trail verify` passing on an intact trail and naming each changed, deleted,
added or replaced file.

Interpreter: /usr/bin/python3 with python3-boto3 and python3-pytest; CLI: /usr/bin/aws.
The servers here deliver every second and write digests every 2 seconds.
"""
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import time

import boto3
import botocore.exceptions
import pytest

from conftest import BIN, REGION, aws_cli, make_user

FAST = ("--maintenance-interval", "1", "--trail-delivery-interval", "1",
        "--trail-digest-interval", "2")
MARKER = "trail-marker-0c4f1a77"


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def code_of(call, *args, **kwargs):
    return error_of(call, *args, **kwargs)["Error"]["Code"]


def bucket_files(server, bucket, kind="CloudTrail"):
    root = os.path.join(server.data_dir, "cloudtrail", "buckets", bucket)
    return sorted(p for p in glob.glob(os.path.join(root, "**", "*.json.gz"), recursive=True)
                  if f"/{kind}/" in p)


def delivered_records(server, bucket):
    out = []
    for path in bucket_files(server, bucket):
        with gzip.open(path) as f:
            out += json.load(f)["Records"]
    return out


def wait_for(predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("timed out")


def verify(server, trail, *extra):
    return subprocess.run([BIN, "trail", "verify", "--data-dir", server.data_dir, "--trail",
                           trail, *extra], capture_output=True, text=True, timeout=60)


def test_trail_api_and_errors(server):
    acct = server.account_id
    ct = server.client("cloudtrail")
    made = ct.create_trail(Name="main", S3BucketName="audit-logs", S3KeyPrefix="org/a",
                           TagsList=[{"Key": "team", "Value": "sec"}])
    arn = f"arn:aws:cloudtrail:{REGION}:{acct}:trail/main"
    assert made["TrailARN"] == arn
    assert made["IncludeGlobalServiceEvents"] is True and made["IsMultiRegionTrail"] is False
    assert made["LogFileValidationEnabled"] is False and made["S3KeyPrefix"] == "org/a"
    # Name rules and the other checks.
    for bad, text in (("ab", "too short"), ("-abc", "starts with"), ("abc-", "ends with"),
                      ("a b c", "can only contain"), ("a..b", "adjacent"),
                      ("10.0.0.1", "IP address"), ("x" * 129, "too long")):
        err = error_of(ct.create_trail, Name=bad, S3BucketName="audit-logs")
        assert err["Error"]["Code"] == "InvalidTrailNameException", bad
        assert text in err["Error"]["Message"], (bad, err["Error"]["Message"])
    assert code_of(ct.create_trail, Name="main", S3BucketName="audit-logs") == \
        "TrailAlreadyExistsException"
    for bucket in ("Upper", "a", "bad_name", "..", "1.2.3.4", "x/../y"):
        assert code_of(ct.create_trail, Name="trail2", S3BucketName=bucket) == \
            "InvalidS3BucketNameException", bucket
    for prefix in ("../up", "a//b", "a/./b", "/abs"):
        assert code_of(ct.create_trail, Name="trail2", S3BucketName="ok-bucket",
                       S3KeyPrefix=prefix) == "InvalidS3PrefixException", prefix
    assert code_of(ct.create_trail, Name="trail2", S3BucketName="ok-bucket", SnsTopicName="x") == \
        "UnsupportedOperationException"
    assert code_of(ct.create_trail, Name="trail2", S3BucketName="ok-bucket", IsMultiRegionTrail=True,
                   IncludeGlobalServiceEvents=False) == "InvalidParameterCombinationException"

    got = ct.get_trail(Name=arn)["Trail"]
    assert got["HomeRegion"] == REGION and got["HasCustomEventSelectors"] is False
    assert ct.get_trail(Name="main")["Trail"] == got
    assert code_of(ct.get_trail, Name="nope") == "TrailNotFoundException"
    assert error_of(ct.get_trail, Name="nope")["Error"]["Message"] == \
        f"Unknown trail: nope for the user: {acct}"
    status = ct.get_trail_status(Name="main")
    assert status["IsLogging"] is False and "LatestDeliveryTime" not in status
    ct.start_logging(Name="main")
    status = ct.get_trail_status(Name="main")
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", status["TimeLoggingStarted"])
    ct.stop_logging(Name="main")
    assert ct.get_trail_status(Name="main")["IsLogging"] is False

    updated = ct.update_trail(Name="main", IsMultiRegionTrail=True, EnableLogFileValidation=True,
                              S3KeyPrefix="")
    assert updated["IsMultiRegionTrail"] is True and updated["LogFileValidationEnabled"] is True
    assert "S3KeyPrefix" not in updated
    # A multi-Region trail is seen (a shadow trail) but not changed from another Region.
    west = boto3.client("cloudtrail", endpoint_url=server.url, region_name="eu-west-1",
                        aws_access_key_id=server.credentials()[0],
                        aws_secret_access_key=server.credentials()[1])
    assert [t["Name"] for t in west.describe_trails()["trailList"]] == ["main"]
    assert west.describe_trails(includeShadowTrails=False)["trailList"] == []
    assert code_of(west.update_trail, Name="main", EnableLogFileValidation=False) == \
        "InvalidHomeRegionException"
    assert code_of(west.create_trail, Name="main", S3BucketName="audit-logs") == \
        "TrailAlreadyExistsException"
    west.create_trail(Name="west-only", S3BucketName="audit-logs")
    listed = ct.list_trails()["Trails"]
    assert sorted((t["Name"], t["HomeRegion"]) for t in listed) == [
        ("main", REGION), ("west-only", "eu-west-1")]
    assert ct.describe_trails(trailNameList=["main", "ghost"])["trailList"][0]["Name"] == "main"
    assert len(ct.describe_trails(trailNameList=["ghost"])["trailList"]) == 0

    # Event selectors.
    assert ct.get_event_selectors(TrailName="main")["EventSelectors"] == [
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
         "ExcludeManagementEventSources": []}]
    put = ct.put_event_selectors(TrailName="main", EventSelectors=[
        {"ReadWriteType": "WriteOnly", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}])
    assert put["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"
    assert ct.get_trail(Name="main")["Trail"]["HasCustomEventSelectors"] is True
    assert code_of(ct.put_event_selectors, TrailName="main", EventSelectors=[
        {"ExcludeManagementEventSources": ["iam.amazonaws.com"]}]) == \
        "InvalidEventSelectorsException"
    assert code_of(ct.put_event_selectors, TrailName="main",
                   EventSelectors=[{}] * 6) == "InvalidEventSelectorsException"
    advanced = [{"Name": "writes", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "readOnly", "Equals": ["false"]}]}]
    assert ct.put_event_selectors(TrailName="main", AdvancedEventSelectors=advanced)[
        "AdvancedEventSelectors"] == advanced
    got = ct.get_event_selectors(TrailName="main")
    assert got["AdvancedEventSelectors"] == advanced and "EventSelectors" not in got
    assert code_of(ct.put_event_selectors, TrailName="main", AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventName", "Equals": ["CreateKey"]}]}]) == \
        "InvalidEventSelectorsException"
    assert code_of(ct.put_event_selectors, TrailName="main", AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}]) == \
        "InvalidEventSelectorsException"
    assert code_of(ct.put_event_selectors, TrailName="main", EventSelectors=[{}],
                   AdvancedEventSelectors=advanced) == "InvalidParameterCombinationException"

    # Tags.
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "env", "Value": "prod"}])
    tags = ct.list_tags(ResourceIdList=[arn])["ResourceTagList"]
    assert tags == [{"ResourceId": arn, "TagsList": [{"Key": "team", "Value": "sec"},
                                                     {"Key": "env", "Value": "prod"}]}]
    ct.remove_tags(ResourceId=arn, TagsList=[{"Key": "team"}])
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [
        {"Key": "env", "Value": "prod"}]
    assert code_of(ct.add_tags, ResourceId="main", TagsList=[{"Key": "a", "Value": "b"}]) == \
        "CloudTrailARNInvalidException"
    assert code_of(ct.list_tags, ResourceIdList=[arn + "x"]) == "ResourceNotFoundException"

    # Five trails a Region (the shadow of a multi-Region trail counts).
    for i in range(4):
        ct.create_trail(Name=f"extra-{i}", S3BucketName="audit-logs")
    assert code_of(ct.create_trail, Name="one-too-many", S3BucketName="audit-logs") == \
        "MaximumNumberOfTrailsExceededException"

    # Authorization: a user needs the action on the trail's ARN.
    reader = make_user(server, "reader", {"Effect": "Allow", "Action": "cloudtrail:GetTrail",
                                          "Resource": arn})
    as_reader = server.client("cloudtrail", *reader)
    assert as_reader.get_trail(Name="main")["Trail"]["Name"] == "main"
    assert code_of(as_reader.delete_trail, Name="main") == "AccessDeniedException"
    assert code_of(as_reader.get_trail, Name="extra-0") == "AccessDeniedException"

    ct.delete_trail(Name=arn)
    assert code_of(ct.get_trail, Name="main") == "TrailNotFoundException"
    assert code_of(ct.delete_trail, Name="main") == "TrailNotFoundException"


def test_trail_api_with_the_aws_cli(server):
    r = aws_cli(server, "cloudtrail", "create-trail", "--name", "cli-trail", "--s3-bucket-name",
                "cli-bucket", "--enable-log-file-validation")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["LogFileValidationEnabled"] is True
    assert aws_cli(server, "cloudtrail", "start-logging", "--name", "cli-trail").returncode == 0
    r = aws_cli(server, "cloudtrail", "get-trail-status", "--name", "cli-trail")
    assert json.loads(r.stdout)["IsLogging"] is True
    r = aws_cli(server, "cloudtrail", "describe-trails")
    assert [t["Name"] for t in json.loads(r.stdout)["trailList"]] == ["cli-trail"]
    r = aws_cli(server, "cloudtrail", "get-trail", "--name", "ghost")
    assert r.returncode == 254 and "TrailNotFoundException" in r.stderr


def test_delivery_follows_the_trail_settings(make_server, data_dir):
    server = make_server(data_dir, *FAST)
    ct = server.client("cloudtrail")
    kms = server.client("kms")
    kms.create_key(Description="before-logging")
    ct.create_trail(Name="all", S3BucketName="all-bucket", S3KeyPrefix="team/x")
    ct.create_trail(Name="writes", S3BucketName="writes-bucket",
                    IncludeGlobalServiceEvents=False)
    ct.put_event_selectors(TrailName="writes", EventSelectors=[{"ReadWriteType": "WriteOnly"}])
    ct.create_trail(Name="advanced", S3BucketName="adv-bucket")
    ct.put_event_selectors(TrailName="advanced", AdvancedEventSelectors=[{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]}])
    for name in ("all", "writes", "advanced"):
        ct.start_logging(Name=name)
    kms.create_key(Description="while-logging")
    kms.list_keys()
    server.client("iam").create_user(UserName="global-event")
    server.client("ssm").put_parameter(Name="/t/secret", Value=MARKER, Type="SecureString")
    west_kms = boto3.client("kms", endpoint_url=server.url, region_name="eu-west-1",
                            aws_access_key_id=server.credentials()[0],
                            aws_secret_access_key=server.credentials()[1])
    west_kms.list_keys()

    records = wait_for(lambda: (lambda r: r if any(x["eventName"] == "PutParameter" for x in r)
                                else None)(delivered_records(server, "all-bucket")))
    names = [r["eventName"] for r in records]
    assert "ListKeys" in names and "CreateUser" in names and "StartLogging" in names
    descriptions = [r["requestParameters"].get("description") for r in records
                    if r["eventName"] == "CreateKey"]
    assert descriptions == ["while-logging"]  # nothing from before StartLogging
    assert all(r["awsRegion"] == REGION for r in records)  # eu-west-1 is another Region
    path = bucket_files(server, "all-bucket")[0]
    rel = os.path.relpath(path, os.path.join(data_dir, "cloudtrail", "buckets", "all-bucket"))
    assert re.fullmatch(
        rf"team/x/AWSLogs/{server.account_id}/CloudTrail/{REGION}/\d{{4}}/\d\d/\d\d/"
        rf"{server.account_id}_CloudTrail_{REGION}_\d{{8}}T\d{{4}}Z_[A-Za-z0-9]{{16}}\.json\.gz",
        rel), rel
    assert os.stat(path).st_mode & 0o777 == 0o600

    writes = wait_for(lambda: delivered_records(server, "writes-bucket"))
    writes = wait_for(lambda: (lambda r: r if any(x["eventName"] == "PutParameter" for x in r)
                               else None)(delivered_records(server, "writes-bucket")))
    assert all(r["readOnly"] is False for r in writes)
    assert not any(r["eventSource"] == "iam.amazonaws.com" for r in writes)
    adv = wait_for(lambda: (lambda r: r if any(x["eventName"] == "PutParameter" for x in r)
                            else None)(delivered_records(server, "adv-bucket")))
    assert not any(r["eventSource"] == "kms.amazonaws.com" for r in adv)

    # No secret in any delivered file.
    for path in glob.glob(os.path.join(data_dir, "cloudtrail", "buckets", "**", "*.gz"),
                          recursive=True):
        with gzip.open(path) as f:
            assert MARKER.encode() not in f.read()
    status = ct.get_trail_status(Name="all")
    assert "LatestDeliveryTime" in status and "LatestDeliveryError" not in status

    # After StopLogging nothing more is delivered.
    ct.stop_logging(Name="all")
    time.sleep(1.5)
    before = len(delivered_records(server, "all-bucket"))
    kms.create_key(Description="after-stop")
    time.sleep(2.5)
    after = delivered_records(server, "all-bucket")
    assert "after-stop" not in json.dumps(after)
    assert len(after) - before <= 1  # at most the StopLogging call itself


def test_multi_region_trail_delivers_each_region(make_server, data_dir):
    server = make_server(data_dir, *FAST)
    ct = server.client("cloudtrail")
    ct.create_trail(Name="everywhere", S3BucketName="multi", IsMultiRegionTrail=True)
    ct.start_logging(Name="everywhere")
    boto3.client("kms", endpoint_url=server.url, region_name="eu-west-1",
                 aws_access_key_id=server.credentials()[0],
                 aws_secret_access_key=server.credentials()[1]).list_keys()
    files = wait_for(lambda: [p for p in bucket_files(server, "multi") if "/eu-west-1/" in p])
    with gzip.open(files[0]) as f:
        assert json.load(f)["Records"][0]["awsRegion"] == "eu-west-1"


def tamper(path, fn):
    saved = path + ".saved"
    shutil.copy2(path, saved)
    fn(path)
    return saved


def test_digests_verify_and_tampering_is_named(make_server, data_dir):
    server = make_server(data_dir, *FAST)
    ct = server.client("cloudtrail")
    ct.create_trail(Name="signed", S3BucketName="signed-bucket", EnableLogFileValidation=True)
    ct.start_logging(Name="signed")
    kms = server.client("kms")
    for i in range(3):
        kms.create_key(Description=f"k{i}")
        time.sleep(1.2)
    digests = wait_for(lambda: (lambda d: d if len(d) >= 3 else None)(
        bucket_files(server, "signed-bucket", "CloudTrail-Digest")))
    logs = wait_for(lambda: (lambda d: d if len(d) >= 2 else None)(
        bucket_files(server, "signed-bucket")))
    server.stop()  # nothing more is written while the files are tampered with

    # The digest format.
    with gzip.open(digests[-1]) as f:
        digest = json.load(f)
    acct = server.account_id
    assert digest["awsAccountId"] == acct
    assert digest["digestSignatureAlgorithm"] == "SHA256withRSA"
    assert digest["previousDigestHashAlgorithm"] == "SHA-256"
    assert digest["digestS3Bucket"] == "signed-bucket"
    assert re.fullmatch(rf"AWSLogs/{acct}/CloudTrail-Digest/{REGION}/\d{{4}}/\d\d/\d\d/{acct}_"
                        rf"CloudTrail-Digest_{REGION}_signed_{REGION}_\d{{8}}T\d{{6}}Z\.json\.gz",
                        digest["digestS3Object"])
    with open(digests[-1] + ".metadata.json") as f:
        assert json.load(f)["signature-algorithm"] == "SHA256withRSA"

    r = verify(server, "signed")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 problems" in r.stdout
    assert r.stdout.count("\tvalid") >= len(logs) + 3

    def fails_naming(path, why):
        r = verify(server, "signed")
        assert r.returncode == 1, r.stdout
        rel = os.path.relpath(path, os.path.join(data_dir, "cloudtrail", "buckets",
                                                 "signed-bucket"))
        line = [x for x in r.stdout.splitlines() if x.split("\t")[1:2] ==
                [f"s3://signed-bucket/{rel}"]]
        assert line and why in line[0], r.stdout

    def flip_byte(path):
        with gzip.open(path) as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0x01
        with gzip.open(path, "wb") as f:
            f.write(bytes(data))

    # A single byte changed in a log file.
    log = logs[0]
    saved = tamper(log, flip_byte)
    fails_naming(log, "hash value doesn't match")
    os.replace(saved, log)
    assert verify(server, "signed").returncode == 0
    # A log file deleted.
    saved = log + ".saved"
    os.rename(log, saved)
    fails_naming(log, "not found")
    os.replace(saved, log)
    # A digest replaced by another, well-formed one.
    target = digests[1]

    def replace_digest(path):
        with gzip.open(path) as f:
            d = json.load(f)
        d["logFiles"] = []
        with gzip.open(path, "wb") as f:
            f.write(json.dumps(d).encode())
    saved = tamper(target, replace_digest)
    fails_naming(target, "hash value doesn't match")
    os.replace(saved, target)
    # The newest digest deleted.
    newest = digests[-1]
    os.rename(newest, newest + ".saved")
    fails_naming(newest, "not found")
    os.replace(newest + ".saved", newest)
    # A log file added (named for the start of the day: log files of the newest digest's
    # last minute may be newer than it, and are not counted as added).
    day = os.path.basename(log).split("_")[3][:8]
    forged = os.path.join(os.path.dirname(log),
                          f"{acct}_CloudTrail_{REGION}_{day}T0000Z_AAAAAAAAAAAAAAAA.json.gz")
    with gzip.open(forged, "wb") as f:
        f.write(b'{"Records":[]}')
    fails_naming(forged, "added")
    os.remove(forged)
    assert verify(server, "signed").returncode == 0
    # Unknown trail, bad flags.
    assert verify(server, "ghost").returncode == 2
    assert verify(server, "signed", "--start-time", "yesterday").returncode == 2


def test_list_public_keys_matches_the_digests(make_server, data_dir):
    server = make_server(data_dir, *FAST)
    ct = server.client("cloudtrail")
    assert ct.list_public_keys()["PublicKeyList"] == []
    ct.create_trail(Name="signed", S3BucketName="keys-bucket", EnableLogFileValidation=True)
    ct.start_logging(Name="signed")
    digests = wait_for(lambda: bucket_files(server, "keys-bucket", "CloudTrail-Digest"))
    with gzip.open(digests[0]) as f:
        fingerprint = json.load(f)["digestPublicKeyFingerprint"]
    keys = ct.list_public_keys()["PublicKeyList"]
    assert [k["Fingerprint"] for k in keys] == [fingerprint]
    der = keys[0]["Value"]
    out = subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-noout", "-text"],
                         input=der, capture_output=True, timeout=30)
    assert out.returncode == 0 and b"2048 bit" in out.stdout
    future = ct.list_public_keys(EndTime=time.time() - 86400)["PublicKeyList"]
    assert future == []
    assert code_of(ct.list_public_keys, StartTime=time.time(), EndTime=time.time() - 60) == \
        "InvalidTimeRangeException"
