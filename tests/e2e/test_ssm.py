"""Parameter Store end to end with boto3 and the aws CLI v2: String, StringList and
SecureString parameters (under alias/aws/ssm or a customer key, decrypted only for a
caller allowed kms:Decrypt), overwrites and versions, version and label selectors,
hierarchies and GetParametersByPath with filters and pages, DescribeParameters,
GetParameterHistory, labels, tags, tiers, AllowedPattern, DataType and parameter
policies (an Expiration deletes the parameter).

Interpreter: /usr/bin/python3 (see conftest.py)."""
import base64
import datetime
import json
import os
import time
import uuid

from conftest import aws_cli, make_user
from kms_util import code_of, error_of


def names_of(params):
    return sorted(p["Name"] for p in params)


def test_put_get_overwrite_and_versions(server):
    ssm = server.client("ssm")
    out = ssm.put_parameter(Name="/app/db/host", Value="db1", Type="String",
                            Description="the host")
    assert out == {**out, "Version": 1, "Tier": "Standard"}
    p = ssm.get_parameter(Name="/app/db/host")["Parameter"]
    assert p["Value"] == "db1" and p["Type"] == "String" and p["Version"] == 1
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{server.account_id}:parameter/app/db/host"
    assert p["DataType"] == "text"
    err = error_of(ssm.put_parameter, Name="/app/db/host", Value="db2", Type="String")
    assert err["Code"] == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name="/app/db/host", Value="db2", Overwrite=True)["Version"] == 2
    assert ssm.get_parameter(Name="/app/db/host")["Parameter"]["Value"] == "db2"
    old = ssm.get_parameter(Name="/app/db/host:1")["Parameter"]
    assert old["Value"] == "db1" and old["Version"] == 1 and old["Selector"] == ":1"
    assert code_of(ssm.get_parameter, Name="/app/db/host:9") == "ParameterVersionNotFound"
    assert code_of(ssm.get_parameter, Name="/app/db/none") == "ParameterNotFound"
    # The ARN names the parameter too; "/x" and "x" are one root-level parameter.
    arn = f"arn:aws:ssm:us-east-1:{server.account_id}:parameter/app/db/host"
    assert ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "db2"
    ssm.put_parameter(Name="root", Value="r", Type="String")
    assert ssm.get_parameter(Name="/root")["Parameter"]["Value"] == "r"
    assert code_of(ssm.put_parameter, Name="/root", Value="s", Type="String") == \
        "ParameterAlreadyExists"
    desc = ssm.describe_parameters(ParameterFilters=[
        {"Key": "Name", "Values": ["/app/db/host"]}])["Parameters"][0]
    assert desc["Description"] == "the host" and desc["Version"] == 2
    assert desc["LastModifiedUser"] == f"arn:aws:iam::{server.account_id}:root"
    ssm.put_parameter(Name="/app/list", Value="a,b,c", Type="StringList")
    assert ssm.get_parameter(Name="/app/list")["Parameter"]["Type"] == "StringList"


def test_names_and_values_follow_aws_rules(server):
    ssm = server.client("ssm")
    for bad in ("awsthing", "/ssm/x", "a b", "/a//b", "a/b", "/a/"):
        assert code_of(ssm.put_parameter, Name=bad, Value="v", Type="String") == \
            "ValidationException", bad
    deep = "/" + "/".join(f"l{i}" for i in range(16))
    assert code_of(ssm.put_parameter, Name=deep, Value="v", Type="String") == \
        "HierarchyLevelLimitExceededException"
    ssm.put_parameter(Name="/" + "/".join(f"l{i}" for i in range(15)), Value="v", Type="String")
    assert code_of(ssm.put_parameter, Name="/t/none", Value="v") == "ValidationException"
    assert code_of(ssm.put_parameter, Name="/t/big", Value="x" * 4097, Type="String") == \
        "ValidationException"
    assert ssm.put_parameter(Name="/t/big", Value="x" * 4097, Type="String",
                             Tier="Advanced")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name="/t/auto", Value="x" * 5000, Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name="/t/auto2", Value="x", Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Standard"
    assert code_of(ssm.put_parameter, Name="/t/big", Value="y", Overwrite=True,
                   Tier="Standard") == "ValidationException"
    assert code_of(ssm.put_parameter, Name="/t/huge", Value="x" * 8193, Type="String",
                   Tier="Advanced") == "ValidationException"
    assert code_of(ssm.put_parameter, Name="/t/key", Value="v", Type="String",
                   KeyId="alias/aws/ssm") == "ValidationException"


def test_allowed_pattern_and_data_type(server):
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/p/port", Value="5432", Type="String", AllowedPattern=r"^\d+$")
    err = error_of(ssm.put_parameter, Name="/p/port", Value="x", Overwrite=True)
    assert err["Code"] == "ParameterPatternMismatchException"
    ssm.put_parameter(Name="/p/port", Value="6543", Overwrite=True)
    assert code_of(ssm.put_parameter, Name="/p/bad", Value="v", Type="String",
                   AllowedPattern="(") == "InvalidAllowedPatternException"
    # A pattern that backtracks exponentially elsewhere is linear here.
    start = time.monotonic()
    assert code_of(ssm.put_parameter, Name="/p/redos", Value="a" * 4000 + "!", Type="String",
                   AllowedPattern="(a+)+$x") == "ParameterPatternMismatchException"
    assert time.monotonic() - start < 5
    ssm.put_parameter(Name="/p/ami", Value="ami-0123456789abcdef0", Type="String",
                      DataType="aws:ec2:image")
    assert ssm.get_parameter(Name="/p/ami")["Parameter"]["DataType"] == "aws:ec2:image"
    assert code_of(ssm.put_parameter, Name="/p/ami2", Value="nope", Type="String",
                   DataType="aws:ec2:image") == "ValidationException"
    assert code_of(ssm.put_parameter, Name="/p/dt", Value="v", Type="String",
                   DataType="Text") == "ValidationException"


def test_secure_strings_are_encrypted_through_kms(server):
    ssm = server.client("ssm")
    kms = server.client("kms")
    ssm.put_parameter(Name="/s/managed", Value="pw-managed", Type="SecureString")
    raw = ssm.get_parameter(Name="/s/managed")["Parameter"]["Value"]
    assert raw != "pw-managed"
    # The AWS managed key is usable only through SSM, even by the root user.
    arn = f"arn:aws:ssm:us-east-1:{server.account_id}:parameter/s/managed"
    assert code_of(kms.decrypt, CiphertextBlob=base64.b64decode(raw),
                   EncryptionContext={"PARAMETER_ARN": arn}) == "AccessDeniedException"
    assert ssm.get_parameter(Name="/s/managed", WithDecryption=True)["Parameter"]["Value"] == \
        "pw-managed"
    d = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/s/managed"]}])
    assert d["Parameters"][0]["KeyId"] == "alias/aws/ssm"
    key = kms.create_key()["KeyMetadata"]
    ssm.put_parameter(Name="/s/cmk", Value="pw-cmk", Type="SecureString", KeyId=key["KeyId"])
    assert ssm.get_parameter(Name="/s/cmk", WithDecryption=True)["Parameter"]["Value"] == "pw-cmk"
    # Without decryption the value is KMS's ciphertext, which KMS decrypts with the
    # parameter's ARN as encryption context (and only with it).
    raw = base64.b64decode(ssm.get_parameter(Name="/s/cmk")["Parameter"]["Value"])
    cmk_arn = f"arn:aws:ssm:us-east-1:{server.account_id}:parameter/s/cmk"
    assert kms.decrypt(CiphertextBlob=raw, EncryptionContext={"PARAMETER_ARN": cmk_arn})[
        "Plaintext"] == b"pw-cmk"
    assert code_of(kms.decrypt, CiphertextBlob=raw) == "InvalidCiphertextException"
    # A caller with SSM permissions only reads the managed-key parameter (its policy
    # allows the account through SSM), not the customer-key one.
    only_ssm = make_user(server, "only-ssm", {"Effect": "Allow", "Action": "ssm:*",
                                              "Resource": "*"})
    user = server.client("ssm", *only_ssm)
    assert user.get_parameter(Name="/s/managed", WithDecryption=True)["Parameter"]["Value"] == \
        "pw-managed"
    assert user.get_parameter(Name="/s/cmk")["Parameter"]["Value"] != "pw-cmk"
    assert code_of(user.get_parameter, Name="/s/cmk", WithDecryption=True) == \
        "AccessDeniedException"
    assert code_of(user.put_parameter, Name="/s/cmk2", Value="x", Type="SecureString",
                   KeyId=key["KeyId"]) == "AccessDeniedException"
    kms.disable_key(KeyId=key["KeyId"])
    assert code_of(ssm.put_parameter, Name="/s/cmk", Value="x", Overwrite=True) == "InvalidKeyId"
    kms.enable_key(KeyId=key["KeyId"])
    assert code_of(ssm.put_parameter, Name="/s/nokey", Value="x", Type="SecureString",
                   KeyId="alias/none") == "InvalidKeyId"
    # History decrypts every version.
    ssm.put_parameter(Name="/s/cmk", Value="pw-cmk-2", Overwrite=True)
    hist = ssm.get_parameter_history(Name="/s/cmk", WithDecryption=True)["Parameters"]
    assert [h["Value"] for h in hist] == ["pw-cmk", "pw-cmk-2"]


def test_get_parameters_and_by_path(server):
    ssm = server.client("ssm")
    for name in ("/a/x", "/a/y", "/a/b/z", "/a/b/c/w", "/other/q"):
        ssm.put_parameter(Name=name, Value=name, Type="String")
    ssm.put_parameter(Name="/a/sec", Value="hidden", Type="SecureString")
    out = ssm.get_parameters(Names=["/a/x", "/a/none", "/a/x", "/a/y:1", "/a/y:7"])
    assert names_of(out["Parameters"]) == ["/a/x", "/a/y"]
    assert sorted(out["InvalidParameters"]) == ["/a/none", "/a/y:7"]
    one = ssm.get_parameters_by_path(Path="/a")["Parameters"]
    assert names_of(one) == ["/a/sec", "/a/x", "/a/y"]
    pages = ssm.get_paginator("get_parameters_by_path").paginate(
        Path="/a/", Recursive=True, PaginationConfig={"PageSize": 2})
    every = [p for page in pages for p in page["Parameters"]]
    assert names_of(every) == ["/a/b/c/w", "/a/b/z", "/a/sec", "/a/x", "/a/y"]
    sec = [p for p in every if p["Name"] == "/a/sec"][0]
    assert sec["Value"] != "hidden"
    dec = ssm.get_parameters_by_path(Path="/a", WithDecryption=True, ParameterFilters=[
        {"Key": "Type", "Values": ["SecureString"]}])["Parameters"]
    assert [(p["Name"], p["Value"]) for p in dec] == [("/a/sec", "hidden")]
    assert code_of(ssm.get_parameters_by_path, Path="/a", ParameterFilters=[
        {"Key": "Name", "Values": ["/a/x"]}]) == "InvalidFilterKey"
    assert code_of(ssm.get_parameters_by_path, Path="a") == "ValidationException"
    assert code_of(ssm.get_parameters_by_path, Path="/a", MaxResults=10,
                   NextToken="nonsense") == "InvalidNextToken"


def test_describe_parameters_filters_and_pages(server):
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/d/one", Value="1", Type="String", Tags=[{"Key": "env", "Value": "prod"}])
    ssm.put_parameter(Name="/d/two", Value="2", Type="SecureString")
    ssm.put_parameter(Name="/d/deep/three", Value="3", Type="StringList")
    ssm.put_parameter(Name="other", Value="4", Type="String", Tier="Advanced")

    def described(**kw):
        pages = ssm.get_paginator("describe_parameters").paginate(**kw)
        return names_of(p for page in pages for p in page["Parameters"])

    assert described() == ["/d/deep/three", "/d/one", "/d/two", "other"]
    assert described(ParameterFilters=[{"Key": "Path", "Values": ["/d"]}]) == ["/d/one", "/d/two"]
    assert described(ParameterFilters=[{"Key": "Path", "Option": "Recursive",
                                        "Values": ["/d"]}]) == ["/d/deep/three", "/d/one",
                                                                "/d/two"]
    assert described(ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}]) == ["/d/two"]
    assert described(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith",
                                        "Values": ["/d/t"]}]) == ["/d/two"]
    assert described(ParameterFilters=[{"Key": "Name", "Option": "Contains",
                                        "Values": ["ee"]}]) == ["/d/deep/three"]
    assert described(ParameterFilters=[{"Key": "tag:env", "Values": ["prod"]}]) == ["/d/one"]
    assert described(ParameterFilters=[{"Key": "tag:env"}]) == ["/d/one"]
    assert described(ParameterFilters=[{"Key": "Tier", "Values": ["Advanced"]}]) == ["other"]
    assert described(Filters=[{"Key": "Name", "Values": ["/d/o"]}]) == ["/d/one"]
    assert described(PaginationConfig={"PageSize": 1}) == described()
    assert code_of(ssm.describe_parameters, ParameterFilters=[
        {"Key": "Label", "Values": ["x"]}]) == "InvalidFilterKey"
    assert code_of(ssm.describe_parameters, ParameterFilters=[
        {"Key": "Type", "Values": ["Number"]}]) == "InvalidFilterValue"
    assert code_of(ssm.describe_parameters, ParameterFilters=[
        {"Key": "Type", "Option": "Contains", "Values": ["String"]}]) == "InvalidFilterOption"
    assert code_of(ssm.describe_parameters, Filters=[{"Key": "Name", "Values": ["a"]}],
                   ParameterFilters=[{"Key": "Type", "Values": ["String"]}]) == \
        "ValidationException"


def test_labels_and_history(server):
    ssm = server.client("ssm")
    for v in ("v1", "v2", "v3"):
        ssm.put_parameter(Name="/l/p", Value=v, Type="String", Overwrite=v != "v1")
    out = ssm.label_parameter_version(Name="/l/p", ParameterVersion=1, Labels=["prod", "1bad",
                                                                                "awsx"])
    assert out["ParameterVersion"] == 1 and sorted(out["InvalidLabels"]) == ["1bad", "awsx"]
    assert ssm.get_parameter(Name="/l/p:prod")["Parameter"]["Value"] == "v1"
    # A label moves: now on version 3.
    assert ssm.label_parameter_version(Name="/l/p", Labels=["prod"])["ParameterVersion"] == 3
    assert ssm.get_parameter(Name="/l/p:prod")["Parameter"]["Value"] == "v3"
    hist = ssm.get_parameter_history(Name="/l/p")["Parameters"]
    assert [(h["Version"], h["Labels"]) for h in hist] == [(1, []), (2, []), (3, ["prod"])]
    page = ssm.get_parameter_history(Name="/l/p", MaxResults=2)
    assert len(page["Parameters"]) == 2 and page["NextToken"]
    rest = ssm.get_parameter_history(Name="/l/p", MaxResults=2, NextToken=page["NextToken"])
    assert [h["Version"] for h in rest["Parameters"]] == [3]
    out = ssm.unlabel_parameter_version(Name="/l/p", ParameterVersion=3, Labels=["prod", "x"])
    assert out["RemovedLabels"] == ["prod"] and out["InvalidLabels"] == ["x"]
    assert code_of(ssm.get_parameter, Name="/l/p:prod") == "ParameterNotFound"
    ten = [f"l{i}" for i in range(10)]
    ssm.label_parameter_version(Name="/l/p", ParameterVersion=2, Labels=ten)
    assert code_of(ssm.label_parameter_version, Name="/l/p", ParameterVersion=2,
                   Labels=["eleven"]) == "ParameterVersionLabelLimitExceeded"
    assert code_of(ssm.label_parameter_version, Name="/l/p", ParameterVersion=9,
                   Labels=["x"]) == "ParameterVersionNotFound"
    assert code_of(ssm.label_parameter_version, Name="/l/none", Labels=["x"]) == \
        "ParameterNotFound"
    assert code_of(ssm.get_parameter_history, Name="/l/none") == "ParameterNotFound"


def test_version_limit_keeps_labeled_versions(server):
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/v/p", Value="0", Type="String")
    ssm.label_parameter_version(Name="/v/p", ParameterVersion=1, Labels=["keep"])
    for i in range(1, 100):
        ssm.put_parameter(Name="/v/p", Value=str(i), Overwrite=True)
    assert code_of(ssm.put_parameter, Name="/v/p", Value="x", Overwrite=True) == \
        "ParameterMaxVersionLimitExceeded"
    ssm.unlabel_parameter_version(Name="/v/p", ParameterVersion=1, Labels=["keep"])
    assert ssm.put_parameter(Name="/v/p", Value="x", Overwrite=True)["Version"] == 101
    assert code_of(ssm.get_parameter, Name="/v/p:1") == "ParameterVersionNotFound"
    hist = ssm.get_paginator("get_parameter_history").paginate(Name="/v/p")
    assert len([h for page in hist for h in page["Parameters"]]) == 100


def test_delete_and_tags(server):
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/t/a", Value="1", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    ssm.put_parameter(Name="/t/b", Value="2", Type="String")
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/t/a")["TagList"] == [
        {"Key": "k", "Value": "v"}]
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/t/b",
                             Tags=[{"Key": "x", "Value": "1"}, {"Key": "y", "Value": "2"}])
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/t/b", TagKeys=["x"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/t/b")["TagList"] == [
        {"Key": "y", "Value": "2"}]
    assert code_of(ssm.add_tags_to_resource, ResourceType="Document", ResourceId="d",
                   Tags=[{"Key": "a", "Value": "b"}]) == "InvalidResourceType"
    assert code_of(ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId="/t/none",
                   Tags=[{"Key": "a", "Value": "b"}]) == "InvalidResourceId"
    assert code_of(ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId="/t/b",
                   Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]) == "TooManyTagsError"
    assert code_of(ssm.put_parameter, Name="/t/a", Value="3", Overwrite=True,
                   Tags=[{"Key": "k", "Value": "v"}]) == "ValidationException"
    ssm.delete_parameter(Name="/t/a")
    err = error_of(ssm.delete_parameter, Name="/t/a")
    assert err["Code"] == "ParameterNotFound" and err["Message"] == "Parameter /t/a not found."
    out = ssm.delete_parameters(Names=["/t/b", "/t/none"])
    assert out["DeletedParameters"] == ["/t/b"] and out["InvalidParameters"] == ["/t/none"]
    # A deleted name starts again at version 1.
    assert ssm.put_parameter(Name="/t/a", Value="new", Type="String")["Version"] == 1


def test_policies_and_expiration(make_server, data_dir):
    server = make_server(data_dir, "--maintenance-interval", "1")
    ssm = server.client("ssm")
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3))
    expiration = {"Type": "Expiration", "Version": "1.0",
                  "Attributes": {"Timestamp": soon.strftime("%Y-%m-%dT%H:%M:%SZ")}}
    notify = {"Type": "NoChangeNotification", "Version": "1.0",
              "Attributes": {"After": "20", "Unit": "Days"}}
    assert code_of(ssm.put_parameter, Name="/e/std", Value="v", Type="String",
                   Policies=json.dumps([expiration])) == "ValidationException"
    ssm.put_parameter(Name="/e/p", Value="v", Type="String", Tier="Advanced",
                      Policies=json.dumps([expiration, notify]))
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/e/p"]}])
    policies = meta["Parameters"][0]["Policies"]
    assert sorted(p["PolicyType"] for p in policies) == ["Expiration", "NoChangeNotification"]
    for bad, code in ((json.dumps([{"Type": "Bogus", "Version": "1.0"}]), "InvalidPolicyTypeException"),
                      (json.dumps([dict(notify, Attributes={"After": "x", "Unit": "Days"})]),
                       "InvalidPolicyAttributeException"),
                      (json.dumps([{"Type": "ExpirationNotification", "Version": "1.0",
                                    "Attributes": {"Before": "1", "Unit": "Days"}}]),
                       "IncompatiblePolicyException"),
                      ("not json", "InvalidPolicyAttributeException")):
        assert code_of(ssm.put_parameter, Name="/e/bad", Value="v", Type="String",
                       Tier="Advanced", Policies=bad) == code, bad
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            ssm.get_parameter(Name="/e/p")
        except Exception:
            break
        time.sleep(0.5)
    assert code_of(ssm.get_parameter, Name="/e/p") == "ParameterNotFound"


def test_identity_policies_decide(server):
    acct = server.account_id
    ssm = server.client("ssm")
    ssm.put_parameter(Name="/team/red/x", Value="r", Type="String")
    ssm.put_parameter(Name="/team/blue/x", Value="b", Type="String",
                      Tags=[{"Key": "team", "Value": "blue"}])
    red = server.client("ssm", *make_user(server, "red", {
        "Effect": "Allow", "Action": ["ssm:GetParameter*", "ssm:PutParameter"],
        "Resource": f"arn:aws:ssm:us-east-1:{acct}:parameter/team/red*"}))
    assert red.get_parameter(Name="/team/red/x")["Parameter"]["Value"] == "r"
    assert code_of(red.get_parameter, Name="/team/blue/x") == "AccessDeniedException"
    assert code_of(red.get_parameters, Names=["/team/red/x", "/team/blue/x"]) == \
        "AccessDeniedException"
    assert red.get_parameters_by_path(Path="/team/red")["Parameters"]
    red.put_parameter(Name="/team/red/y", Value="new", Type="String")
    assert code_of(red.put_parameter, Name="/team/red/z", Value="v", Type="String",
                   Tags=[{"Key": "a", "Value": "b"}]) == "AccessDeniedException"
    tagged = server.client("ssm", *make_user(server, "blue", {
        "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}}))
    assert tagged.get_parameter(Name="/team/blue/x")["Parameter"]["Value"] == "b"
    assert code_of(tagged.get_parameter, Name="/team/red/x") == "AccessDeniedException"


def test_secure_values_never_reach_disk_in_plaintext(server, data_dir):
    ssm = server.client("ssm")
    marker = "MARKER-" + uuid.uuid4().hex
    ssm.put_parameter(Name="/m/a", Value=marker + "-1", Type="SecureString")
    ssm.put_parameter(Name="/m/a", Value=marker + "-2", Overwrite=True)
    server.stop()
    for root, _, files in os.walk(data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                assert marker.encode() not in fh.read(), f


def test_the_cli_v2_works_against_it(server):
    def cli(*args):
        r = aws_cli(server, "ssm", *args)
        assert r.returncode == 0, (args, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    assert cli("put-parameter", "--name", "/cli/p", "--value", "s3cr3t", "--type",
               "SecureString")["Version"] == 1
    got = cli("get-parameter", "--name", "/cli/p", "--with-decryption")["Parameter"]
    assert got["Value"] == "s3cr3t"
    cli("put-parameter", "--name", "/cli/q", "--value", "plain", "--type", "String")
    listed = cli("get-parameters-by-path", "--path", "/cli")["Parameters"]
    assert names_of(listed) == ["/cli/p", "/cli/q"]
    cli("label-parameter-version", "--name", "/cli/q", "--labels", "live")
    assert cli("get-parameter", "--name", "/cli/q:live")["Parameter"]["Value"] == "plain"
    cli("delete-parameter", "--name", "/cli/q")
    r = aws_cli(server, "ssm", "get-parameter", "--name", "/cli/q")
    assert r.returncode != 0 and "ParameterNotFound" in r.stderr
