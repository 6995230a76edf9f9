"""Secrets Manager end to end with boto3 and the aws CLI v2: secrets created, read by
name, partial and full ARN, by VersionId and VersionStage; versions and staging labels
moving as AWS moves them; idempotent writes; deletion with a recovery window, restore and
forced deletion; listing with filters, sorting and pages; tags; resource policies with
BlockPublicPolicy; BatchGetSecretValue; GetRandomPassword; and the encryption of every
version through KMS (a customer key needs the caller's kms:Decrypt).

Interpreter: /usr/bin/python3 (see conftest.py)."""
import json
import os
import string
import uuid

import pytest

from conftest import aws_cli, make_user
from kms_util import code_of, error_of
from sm_util import sm_code, sm_ok

ACCESS = "Access to KMS is not allowed"


def sm_as(server, creds):
    return server.client("secretsmanager", *creds)


def test_create_and_read_by_every_kind_of_id(server):
    sm = server.client("secretsmanager")
    out = sm.create_secret(Name="prod/db/password", SecretString="s3cr3t",
                           Description="the db")
    arn = out["ARN"]
    prefix = f"arn:aws:secretsmanager:us-east-1:{server.account_id}:secret:prod/db/password-"
    assert arn.startswith(prefix) and len(arn) == len(prefix) + 6
    assert all(c in string.ascii_letters + string.digits for c in arn[-6:])
    assert out["Name"] == "prod/db/password"
    uuid.UUID(out["VersionId"])
    for secret_id in ("prod/db/password", arn, arn[:-7]):
        got = sm.get_secret_value(SecretId=secret_id)
        assert got["SecretString"] == "s3cr3t"
        assert got["ARN"] == arn and got["VersionId"] == out["VersionId"]
        assert got["VersionStages"] == ["AWSCURRENT"]
    assert code_of(sm.get_secret_value, SecretId="prod/db/pass") == "ResourceNotFoundException"
    assert code_of(sm.get_secret_value, SecretId=arn[:-1] + ("A" if arn[-1] != "A" else "B")) \
        == "ResourceNotFoundException"
    err = error_of(sm.get_secret_value, SecretId="nope")
    assert err["Message"] == "Secrets Manager can't find the specified secret."
    d = sm.describe_secret(SecretId=arn)
    assert d["Description"] == "the db" and "KmsKeyId" not in d
    assert d["VersionIdsToStages"] == {out["VersionId"]: ["AWSCURRENT"]}
    # The AWS managed key was made on first use.
    kms = server.client("kms")
    assert kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]["KeyManager"] == "AWS"


def test_binary_values_and_bad_values(server):
    sm = server.client("secretsmanager")
    blob = bytes(range(256))
    sm.create_secret(Name="bin", SecretBinary=blob)
    got = sm.get_secret_value(SecretId="bin")
    assert got["SecretBinary"] == blob and "SecretString" not in got
    err = error_of(sm.create_secret, Name="both", SecretString="a", SecretBinary=b"b")
    assert err["Code"] == "InvalidParameterException"
    assert "both a binary secret value and a string secret value" in err["Message"]
    err = error_of(sm.put_secret_value, SecretId="bin")
    assert err["Code"] == "InvalidRequestException"
    assert code_of(sm.create_secret, Name="bad name!") == "InvalidParameterException"
    assert code_of(sm.create_secret, Name="x" * 513) in ("ValidationException",
                                                         "InvalidParameterException")
    assert code_of(sm.create_secret, Name="big", SecretString="x" * 65537) in (
        "ValidationException", "InvalidParameterException")
    # A secret without a value yet has no current version.
    sm.create_secret(Name="empty")
    err = error_of(sm.get_secret_value, SecretId="empty")
    assert err["Code"] == "ResourceNotFoundException"
    assert "staging label: AWSCURRENT" in err["Message"]
    assert "VersionIdsToStages" not in sm.describe_secret(SecretId="empty")


def test_names_are_unique_and_tokens_make_writes_idempotent(server):
    sm = server.client("secretsmanager")
    token = str(uuid.uuid4())
    a = sm.create_secret(Name="idem", SecretString="v1", ClientRequestToken=token)
    b = sm.create_secret(Name="idem", SecretString="v1", ClientRequestToken=token)
    assert a["ARN"] == b["ARN"] and b["VersionId"] == token
    err = error_of(sm.create_secret, Name="idem", SecretString="other", ClientRequestToken=token)
    assert err["Code"] == "ResourceExistsException"
    err = error_of(sm.create_secret, Name="idem", SecretString="v1")
    assert err["Code"] == "ResourceExistsException"
    assert err["Message"] == "The operation failed because the secret idem already exists."
    t2 = str(uuid.uuid4())
    p1 = sm.put_secret_value(SecretId="idem", SecretString="v2", ClientRequestToken=t2)
    p2 = sm.put_secret_value(SecretId="idem", SecretString="v2", ClientRequestToken=t2)
    assert p1 == {**p2, "ResponseMetadata": p1["ResponseMetadata"]}
    assert p1["VersionId"] == t2 and p1["VersionStages"] == ["AWSCURRENT"]
    err = error_of(sm.put_secret_value, SecretId="idem", SecretString="v3",
                   ClientRequestToken=t2)
    assert err["Code"] == "ResourceExistsException"
    assert f"You can't use ClientRequestToken {t2}" in err["Message"]
    assert sm.get_secret_value(SecretId="idem")["SecretString"] == "v2"


def test_staging_labels_move_as_in_aws(server):
    sm = server.client("secretsmanager")
    v1 = sm.create_secret(Name="stages", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="stages", SecretString="two")["VersionId"]
    stages = sm.describe_secret(SecretId="stages")["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId="stages", VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    assert sm.get_secret_value(SecretId="stages", VersionId=v1)["SecretString"] == "one"
    err = error_of(sm.get_secret_value, SecretId="stages", VersionId=v1, VersionStage="AWSCURRENT")
    assert err["Code"] == "InvalidRequestException"
    # A pending version does not become current.
    v3 = sm.put_secret_value(SecretId="stages", SecretString="three",
                             VersionStages=["AWSPENDING"])["VersionId"]
    assert sm.get_secret_value(SecretId="stages")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="stages", VersionStage="AWSPENDING")["VersionId"] == v3
    # Moving AWSCURRENT needs the version that has it.
    err = error_of(sm.update_secret_version_stage, SecretId="stages", VersionStage="AWSCURRENT",
                   MoveToVersionId=v3)
    assert err["Code"] == "InvalidParameterException"
    assert f"currently attached to version {v2}" in err["Message"]
    sm.update_secret_version_stage(SecretId="stages", VersionStage="AWSCURRENT",
                                   MoveToVersionId=v3, RemoveFromVersionId=v2)
    stages = sm.describe_secret(SecretId="stages")["VersionIdsToStages"]
    assert stages == {v2: ["AWSPREVIOUS"], v3: ["AWSPENDING", "AWSCURRENT"]}
    sm.update_secret_version_stage(SecretId="stages", VersionStage="AWSPENDING",
                                   RemoveFromVersionId=v3)
    sm.update_secret_version_stage(SecretId="stages", VersionStage="custom", MoveToVersionId=v1)
    versions = sm.list_secret_version_ids(SecretId="stages")["Versions"]
    assert {v["VersionId"]: v["VersionStages"] for v in versions} == {
        v1: ["custom"], v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    sm.update_secret_version_stage(SecretId="stages", VersionStage="custom",
                                   RemoveFromVersionId=v1)
    assert v1 not in [v["VersionId"] for v in
                      sm.list_secret_version_ids(SecretId="stages")["Versions"]]
    assert v1 in [v["VersionId"] for v in sm.list_secret_version_ids(
        SecretId="stages", IncludeDeprecated=True)["Versions"]]
    assert code_of(sm.update_secret_version_stage, SecretId="stages", VersionStage="AWSCURRENT",
                   RemoveFromVersionId=v3) == "InvalidParameterException"
    page = sm.list_secret_version_ids(SecretId="stages", MaxResults=1, IncludeDeprecated=True)
    assert len(page["Versions"]) == 1 and "NextToken" in page
    seen = [page["Versions"][0]["VersionId"]]
    while "NextToken" in page:
        page = sm.list_secret_version_ids(SecretId="stages", MaxResults=1, IncludeDeprecated=True,
                                          NextToken=page["NextToken"])
        seen += [v["VersionId"] for v in page["Versions"]]
    assert sorted(seen) == sorted([v1, v2, v3])
    assert code_of(sm.list_secret_version_ids, SecretId="stages",
                   NextToken="garbage") == "InvalidNextTokenException"


def test_update_secret_changes_metadata_value_and_key(server):
    sm = server.client("secretsmanager")
    kms = server.client("kms")
    sm.create_secret(Name="upd", SecretString="one")
    out = sm.update_secret(SecretId="upd", Description="new")
    assert "VersionId" not in out
    assert sm.describe_secret(SecretId="upd")["Description"] == "new"
    out = sm.update_secret(SecretId="upd", SecretString="two")
    assert sm.get_secret_value(SecretId="upd")["VersionId"] == out["VersionId"]
    key = kms.create_key()["KeyMetadata"]
    sm.update_secret(SecretId="upd", KmsKeyId=key["Arn"])
    assert sm.describe_secret(SecretId="upd")["KmsKeyId"] == key["Arn"]
    # The labeled versions were encrypted again under the new key: disabling it makes
    # them unreadable.
    assert sm.get_secret_value(SecretId="upd", VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    kms.disable_key(KeyId=key["KeyId"])
    assert code_of(sm.get_secret_value, SecretId="upd") == "DecryptionFailure"
    assert code_of(sm.put_secret_value, SecretId="upd", SecretString="x") == "EncryptionFailure"
    kms.enable_key(KeyId=key["KeyId"])
    assert sm.get_secret_value(SecretId="upd")["SecretString"] == "two"
    assert code_of(sm.create_secret, Name="nokey", SecretString="x",
                   KmsKeyId="alias/missing") == "EncryptionFailure"


def test_delete_restore_and_force(server):
    sm = server.client("secretsmanager")
    arn = sm.create_secret(Name="gone", SecretString="x")["ARN"]
    for days in (6, 31):
        err = error_of(sm.delete_secret, SecretId="gone", RecoveryWindowInDays=days)
        assert err["Code"] == "InvalidParameterException"
        assert "between 7 and 30 days" in err["Message"]
    err = error_of(sm.delete_secret, SecretId="gone", RecoveryWindowInDays=7,
                   ForceDeleteWithoutRecovery=True)
    assert err["Code"] == "InvalidParameterException"
    out = sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    assert out["ARN"] == arn and "DeletionDate" in out
    err = error_of(sm.get_secret_value, SecretId="gone")
    assert err["Code"] == "InvalidRequestException"
    assert "marked for deletion" in err["Message"]
    assert "DeletedDate" in sm.describe_secret(SecretId="gone")
    assert code_of(sm.put_secret_value, SecretId="gone", SecretString="y") == "InvalidRequestException"
    err = error_of(sm.create_secret, Name="gone", SecretString="z")
    assert err["Code"] == "InvalidRequestException" and "scheduled for deletion" in err["Message"]
    assert arn not in [s["ARN"] for s in sm.list_secrets()["SecretList"]]
    listed = sm_ok(server, "ListSecrets", {"IncludePlannedDeletion": True})["SecretList"]
    assert arn in [s["ARN"] for s in listed]
    sm.restore_secret(SecretId="gone")
    assert sm.get_secret_value(SecretId="gone")["SecretString"] == "x"
    sm.delete_secret(SecretId="gone", ForceDeleteWithoutRecovery=True)
    assert code_of(sm.describe_secret, SecretId="gone") == "ResourceNotFoundException"
    # Forcing the deletion of a secret that does not exist succeeds, as in AWS.
    assert sm.delete_secret(SecretId="never", ForceDeleteWithoutRecovery=True)["Name"] == "never"
    assert code_of(sm.delete_secret, SecretId="never") == "ResourceNotFoundException"
    # The name is free again, with a new ARN.
    assert sm.create_secret(Name="gone", SecretString="again")["ARN"] != arn


def test_list_filters_sorting_and_pages(server):
    sm = server.client("secretsmanager")
    sm.create_secret(Name="app/alpha", Description="Primary Database", SecretString="v",
                     Tags=[{"Key": "team", "Value": "red"}])
    sm.create_secret(Name="app/beta", Description="cache",
                     Tags=[{"Key": "team", "Value": "blue"}])
    sm.create_secret(Name="other/gamma", Description="primary queue")

    def names(**kw):
        pages = sm.get_paginator("list_secrets").paginate(**kw)
        return [s["Name"] for p in pages for s in p["SecretList"]]

    assert sorted(names(Filters=[{"Key": "name", "Values": ["app/"]}])) == ["app/alpha", "app/beta"]
    assert names(Filters=[{"Key": "name", "Values": ["App/"]}]) == []  # case-sensitive
    assert sorted(names(Filters=[{"Key": "description", "Values": ["primary"]}])) == [
        "app/alpha", "other/gamma"]
    assert names(Filters=[{"Key": "tag-value", "Values": ["blue"]}]) == ["app/beta"]
    assert sorted(names(Filters=[{"Key": "tag-key", "Values": ["team"]}])) == ["app/alpha",
                                                                               "app/beta"]
    assert names(Filters=[{"Key": "name", "Values": ["app/"]},
                          {"Key": "tag-value", "Values": ["red"]}]) == ["app/alpha"]
    assert names(Filters=[{"Key": "name", "Values": ["!app/"]}]) == ["other/gamma"]
    assert sorted(names(Filters=[{"Key": "all", "Values": ["database"]}])) == ["app/alpha"]
    def sorted_names(**kw):
        out, token = [], None
        while True:
            params = dict(kw, **({"NextToken": token} if token else {}))
            page = sm_ok(server, "ListSecrets", params)
            out += [x["Name"] for x in page["SecretList"]]
            token = page.get("NextToken")
            if not token:
                return out

    assert sorted_names(SortBy="name", SortOrder="asc") == ["app/alpha", "app/beta", "other/gamma"]
    assert sorted_names(SortBy="name", SortOrder="desc") == ["other/gamma", "app/beta",
                                                             "app/alpha"]
    assert sorted_names(SortBy="name", SortOrder="asc", MaxResults=1) == [
        "app/alpha", "app/beta", "other/gamma"]
    assert sorted_names(SortBy="created-date", SortOrder="asc") == [
        "app/alpha", "app/beta", "other/gamma"]
    assert sm_code(server, "ListSecrets", {"SortBy": "size"}) in ("ValidationException",
                                                                  "InvalidParameterException")
    page = sm_ok(server, "ListSecrets", {"MaxResults": 2, "SortBy": "name", "SortOrder": "asc"})
    assert len(page["SecretList"]) == 2 and page["NextToken"]
    entry = page["SecretList"][0]
    assert entry["Tags"] == [{"Key": "team", "Value": "red"}]
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]
    assert code_of(sm.list_secrets, Filters=[{"Key": "colour", "Values": ["x"]}]) in (
        "ValidationException", "InvalidParameterException")
    assert code_of(sm.list_secrets, NextToken="bm9wZQ==") == "InvalidNextTokenException"


def test_tags(server):
    sm = server.client("secretsmanager")
    sm.create_secret(Name="tagged", SecretString="x")
    sm.tag_resource(SecretId="tagged", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sm.tag_resource(SecretId="tagged", Tags=[{"Key": "a", "Value": "3"}])
    sm.untag_resource(SecretId="tagged", TagKeys=["b"])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [{"Key": "a", "Value": "3"}]
    assert code_of(sm.tag_resource, SecretId="tagged",
                   Tags=[{"Key": "aws:x", "Value": "1"}]) == "InvalidParameterException"
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert code_of(sm.tag_resource, SecretId="tagged", Tags=too_many) == "InvalidRequestException"
    assert code_of(sm.tag_resource, SecretId="missing",
                   Tags=[{"Key": "a", "Value": "1"}]) == "ResourceNotFoundException"


def test_get_random_password_options(server):
    sm = server.client("secretsmanager")
    pw = sm.get_random_password()["RandomPassword"]
    assert len(pw) == 32
    punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    for chars in (string.ascii_lowercase, string.ascii_uppercase, string.digits, punctuation):
        assert any(c in chars for c in pw), pw
    pw = sm.get_random_password(PasswordLength=4096, ExcludePunctuation=True,
                                ExcludeCharacters="abc")["RandomPassword"]
    assert len(pw) == 4096 and not set(pw) & set(punctuation + "abc")
    pw = sm.get_random_password(PasswordLength=8, ExcludeNumbers=True, ExcludeLowercase=True,
                                ExcludeUppercase=True, IncludeSpace=True)["RandomPassword"]
    assert set(pw) <= set(punctuation + " ") and " " in pw
    pw = sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)["RandomPassword"]
    assert len(pw) == 1
    err = error_of(sm.get_random_password, PasswordLength=3)
    assert err["Code"] == "InvalidParameterException"
    assert err["Message"] == "Password length is too short based on the required types."
    for length in (0, 4097):
        assert sm_code(server, "GetRandomPassword", {"PasswordLength": length}) in (
            "ValidationException", "InvalidParameterException")
    many = {sm.get_random_password(PasswordLength=16)["RandomPassword"] for _ in range(20)}
    assert len(many) == 20


def test_resource_policy_is_enforced_and_public_ones_blocked(server):
    sm = server.client("secretsmanager")
    arn = sm.create_secret(Name="guarded", SecretString="x")["ARN"]
    reader = make_user(server, "reader", {"Effect": "Allow", "Action": "secretsmanager:*",
                                          "Resource": "*"})
    assert sm_as(server, reader).get_secret_value(SecretId="guarded")["SecretString"] == "x"
    deny = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:user/reader"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    sm.put_resource_policy(SecretId="guarded", ResourcePolicy=json.dumps(deny))
    assert json.loads(sm.get_resource_policy(SecretId="guarded")["ResourcePolicy"]) == deny
    assert code_of(sm_as(server, reader).get_secret_value,
                   SecretId="guarded") == "AccessDeniedException"
    # The root user is bound by an explicit deny too.
    root_deny = dict(deny, Statement=[dict(deny["Statement"][0], Principal="*")])
    sm.put_resource_policy(SecretId="guarded", ResourcePolicy=json.dumps(root_deny))
    assert code_of(sm.get_secret_value, SecretId="guarded") == "AccessDeniedException"
    sm.delete_resource_policy(SecretId="guarded")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="guarded")
    assert sm_as(server, reader).get_secret_value(SecretId="guarded")["SecretString"] == "x"
    # A user without an identity policy is allowed by the secret's policy.
    outsider = make_user(server, "outsider")
    assert code_of(sm_as(server, outsider).get_secret_value,
                   SecretId="guarded") == "AccessDeniedException"
    allow = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:user/outsider"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    sm.put_resource_policy(SecretId="guarded", ResourcePolicy=json.dumps(allow),
                           BlockPublicPolicy=True)
    assert sm_as(server, outsider).get_secret_value(SecretId=arn)["SecretString"] == "x"
    public = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*"}]}
    err = error_of(sm.put_resource_policy, SecretId="guarded", ResourcePolicy=json.dumps(public),
                   BlockPublicPolicy=True)
    assert err["Code"] == "PublicPolicyException"
    narrowed = json.loads(json.dumps(public))
    narrowed["Statement"][0]["Condition"] = {
        "StringEquals": {"aws:PrincipalAccount": server.account_id}}
    sm.put_resource_policy(SecretId="guarded", ResourcePolicy=json.dumps(narrowed),
                           BlockPublicPolicy=True)
    v = sm.validate_resource_policy(ResourcePolicy=json.dumps(public))
    assert v["PolicyValidationPassed"] is False and v["ValidationErrors"]
    assert sm.validate_resource_policy(SecretId="guarded",
                                       ResourcePolicy=json.dumps(allow))["PolicyValidationPassed"]
    for bad in ("{", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]})):
        assert code_of(sm.put_resource_policy, SecretId="guarded",
                       ResourcePolicy=bad) == "MalformedPolicyDocumentException"


def test_customer_key_needs_the_callers_kms_decrypt(server):
    sm = server.client("secretsmanager")
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    sm.create_secret(Name="cmk", SecretString="under-cmk", KmsKeyId=key["KeyId"])
    sm.create_secret(Name="managed", SecretString="under-managed")
    only_sm = make_user(server, "onlysm", {"Effect": "Allow", "Action": "secretsmanager:*",
                                           "Resource": "*"})
    # The AWS managed key allows the account's principals through Secrets Manager.
    assert sm_as(server, only_sm).get_secret_value(SecretId="managed")["SecretString"] == \
        "under-managed"
    err = error_of(sm_as(server, only_sm).get_secret_value, SecretId="cmk")
    assert err["Code"] == "AccessDeniedException" and err["Message"] == ACCESS
    assert code_of(sm_as(server, only_sm).put_secret_value, SecretId="cmk",
                   SecretString="x") == "AccessDeniedException"
    with_kms = make_user(server, "withkms",
                         {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"},
                         {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                          "Resource": key["Arn"],
                          "Condition": {"StringEquals": {
                              "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
                              "kms:EncryptionContext:SecretARN":
                                  sm.describe_secret(SecretId="cmk")["ARN"]}}})
    assert sm_as(server, with_kms).get_secret_value(SecretId="cmk")["SecretString"] == "under-cmk"
    # The same user may not use the key directly (kms:ViaService).
    assert code_of(server.client("kms", *with_kms).encrypt, KeyId=key["KeyId"],
                   Plaintext=b"x") == "AccessDeniedException"


def test_batch_get_secret_value(server):
    sm = server.client("secretsmanager")
    a = sm.create_secret(Name="batch/a", SecretString="A")["ARN"]
    sm.create_secret(Name="batch/b", SecretString="B")
    sm.create_secret(Name="batch/c", SecretString="C")
    batch = "BatchGetSecretValue"
    out = sm_ok(server, batch, {"SecretIdList": [a, "batch/b", "batch/missing"]})
    assert sorted(v["SecretString"] for v in out["SecretValues"]) == ["A", "B"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in out["Errors"]] == [
        ("batch/missing", "ResourceNotFoundException")]
    by_name = {"Filters": [{"Key": "name", "Values": ["batch/"]}], "MaxResults": 2}
    out = sm_ok(server, batch, by_name)
    assert len(out["SecretValues"]) == 2 and out["NextToken"]
    rest = sm_ok(server, batch, dict(by_name, NextToken=out["NextToken"]))
    assert sorted(v["SecretString"] for v in out["SecretValues"] + rest["SecretValues"]) == [
        "A", "B", "C"]
    assert sm_code(server, batch, {"SecretIdList": [a], "Filters": by_name["Filters"]}) == \
        "InvalidParameterException"
    assert sm_code(server, batch, {"SecretIdList": [a], "MaxResults": 2}) == \
        "InvalidParameterException"
    assert sm_code(server, batch, {}) == "InvalidParameterException"
    # Each secret is authorized apart: a denied one is an error, the others are values.
    user = make_user(server, "batcher",
                     {"Effect": "Allow", "Action": "secretsmanager:BatchGetSecretValue",
                      "Resource": "*"},
                     {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                      "Resource": a})
    out = sm_ok(server, batch, {"SecretIdList": [a, "batch/b"]}, user)
    assert [v["SecretString"] for v in out["SecretValues"]] == ["A"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in out["Errors"]] == [
        ("batch/b", "AccessDeniedException")]
    # Filters need secretsmanager:ListSecrets as well.
    assert sm_code(server, batch, by_name, user) == "AccessDeniedException"


def test_identity_policies_and_condition_keys(server):
    sm = server.client("secretsmanager")
    sm.create_secret(Name="team/red", SecretString="r", Tags=[{"Key": "team", "Value": "red"}])
    sm.create_secret(Name="team/blue", SecretString="b", Tags=[{"Key": "team", "Value": "blue"}])
    user = make_user(server, "red", {
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/team": "red",
                                       "secretsmanager:VersionStage": "AWSCURRENT"}}})
    red = sm_as(server, user)
    assert red.get_secret_value(SecretId="team/red", VersionStage="AWSCURRENT")["SecretString"] == "r"
    assert code_of(red.get_secret_value, SecretId="team/blue",
                   VersionStage="AWSCURRENT") == "AccessDeniedException"
    assert code_of(red.get_secret_value, SecretId="team/red") == "AccessDeniedException"
    assert code_of(red.describe_secret, SecretId="team/red") == "AccessDeniedException"
    # Tags on a new secret need secretsmanager:TagResource too.
    creator = make_user(server, "creator", {"Effect": "Allow",
                                            "Action": "secretsmanager:CreateSecret",
                                            "Resource": "*"})
    c = sm_as(server, creator)
    c.create_secret(Name="plain", SecretString="x")
    assert code_of(c.create_secret, Name="with-tags", SecretString="x",
                   Tags=[{"Key": "a", "Value": "b"}]) == "AccessDeniedException"


def test_replication_is_unsupported(server):
    sm = server.client("secretsmanager")
    arn = sm.create_secret(Name="repl", SecretString="x")["ARN"]
    assert code_of(sm.replicate_secret_to_regions, SecretId=arn,
                   AddReplicaRegions=[{"Region": "eu-west-1"}]) == "UnknownOperationException"
    assert code_of(sm.create_secret, Name="repl2", SecretString="x",
                   AddReplicaRegions=[{"Region": "eu-west-1"}]) == "UnknownOperationException"


def test_values_never_reach_disk_or_logs_in_plaintext(server, data_dir):
    sm = server.client("secretsmanager")
    marker = "MARKER-" + uuid.uuid4().hex
    sm.create_secret(Name="marked", SecretString=marker + "-1")
    sm.put_secret_value(SecretId="marked", SecretString=marker + "-2")
    sm.update_secret(SecretId="marked", SecretString=marker + "-3")
    sm.create_secret(Name="marked-bin", SecretBinary=(marker + "-4").encode())
    assert sm.get_secret_value(SecretId="marked")["SecretString"] == marker + "-3"
    server.stop()
    needles = [marker.encode(), marker.encode().hex().encode(),
               __import__("base64").b64encode(marker.encode())[:24]]
    for root, _, files in os.walk(data_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                data = fh.read()
            for n in needles:
                assert n not in data, (f, n)
    assert marker not in server.stdout


def cli(server, *args):
    r = aws_cli(server, "secretsmanager", *args)
    assert r.returncode == 0, (args, r.stderr)
    return json.loads(r.stdout) if r.stdout.strip() else {}


def test_the_cli_v2_works_against_it(server):
    arn = cli(server, "create-secret", "--name", "cli/one",
              "--secret-string", '{"user":"u","password":"p"}')["ARN"]
    got = cli(server, "get-secret-value", "--secret-id", arn)
    assert json.loads(got["SecretString"]) == {"user": "u", "password": "p"}
    cli(server, "put-secret-value", "--secret-id", "cli/one", "--secret-string", "two")
    listed = cli(server, "list-secret-version-ids", "--secret-id", "cli/one")
    assert sorted(s for v in listed["Versions"] for s in v["VersionStages"]) == [
        "AWSCURRENT", "AWSPREVIOUS"]
    pw = cli(server, "get-random-password", "--password-length", "20", "--exclude-punctuation")
    assert len(pw["RandomPassword"]) == 20
    r = aws_cli(server, "secretsmanager", "get-secret-value", "--secret-id", "cli/none")
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr
    cli(server, "delete-secret", "--secret-id", "cli/one", "--force-delete-without-recovery")
    names = cli(server, "list-secrets")["SecretList"]
    assert "cli/one" not in [s["Name"] for s in names]


def test_kill_9_loses_no_acknowledged_write(server, data_dir, make_server):
    import signal
    import threading
    sm = server.client("secretsmanager")
    sm.create_secret(Name="durable", SecretString="v0")
    acknowledged = []
    stop = threading.Event()

    def writer():
        i = 1
        while not stop.is_set():
            try:
                out = sm.put_secret_value(SecretId="durable", SecretString=f"v{i}")
            except Exception:
                return  # the server is gone
            acknowledged.append((out["VersionId"], f"v{i}"))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    while len(acknowledged) < 20:
        pass
    server.stop(signal.SIGKILL)
    stop.set()
    t.join()
    again = make_server(data_dir).client("secretsmanager")
    # Every acknowledged version is there with its value (at most 100 are kept, the
    # newest; all of these are newer than a day).
    for version_id, value in acknowledged[-50:]:
        assert again.get_secret_value(SecretId="durable",
                                      VersionId=version_id)["SecretString"] == value
    # The current value is the last acknowledged one, or a later write that committed
    # before its answer was lost.
    current = again.get_secret_value(SecretId="durable")["SecretString"]
    assert int(current[1:]) >= int(acknowledged[-1][1][1:])
