"""KMS aliases and tags end to end with boto3 and the aws CLI v2: aliases as names of keys
in every operation, moved, deleted, listed page by page and by key; AWS's naming rules;
tags with their limits; and the authorization of both (an alias operation needs the
alias and the key; tags feed aws:RequestTag, aws:TagKeys and aws:ResourceTag).

Interpreter: /usr/bin/python3 (see conftest.py)."""
import datetime
import json

from conftest import aws_cli, make_user
from kms_util import code_of, error_of


def make_kms_user(server, name, *statements):
    return server.client("kms", *make_user(server, name, *statements))


def alias_arn(server, name):
    return f"arn:aws:kms:us-east-1:{server.account_id}:{name}"


def all_aliases(kms, **kwargs):
    pages = kms.get_paginator("list_aliases").paginate(**kwargs)
    return [a["AliasName"] for page in pages for a in page["Aliases"]]


def test_an_alias_names_its_key_everywhere(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    kms.create_alias(AliasName="alias/app/orders", TargetKeyId=key["KeyId"])
    arn = alias_arn(server, "alias/app/orders")
    assert kms.describe_key(KeyId="alias/app/orders")["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["Arn"] == key["Arn"]
    out = kms.encrypt(KeyId="alias/app/orders", Plaintext=b"by name")
    assert out["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], KeyId=arn)["Plaintext"] == b"by name"
    dk = kms.generate_data_key(KeyId=arn, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    assert kms.get_key_policy(KeyId="alias/app/orders", PolicyName="default")["Policy"]

    (entry,) = kms.list_aliases()["Aliases"]
    assert entry["AliasName"] == "alias/app/orders" and entry["AliasArn"] == arn
    assert entry["TargetKeyId"] == key["KeyId"]
    assert entry["CreationDate"] >= before and entry["LastUpdatedDate"] == entry["CreationDate"]
    # An unknown alias, by name and by ARN.
    missing = alias_arn(server, "alias/missing")
    err = error_of(kms.describe_key, KeyId="alias/missing")
    assert err["Code"] == "NotFoundException" and err["Message"] == f"Alias {missing} is not found."
    assert code_of(kms.encrypt, KeyId=missing, Plaintext=b"x") == "NotFoundException"


def test_update_moves_and_delete_removes(server):
    kms = server.client("kms")
    a = kms.create_key()["KeyMetadata"]
    b = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/current", TargetKeyId=a["Arn"])
    blob = kms.encrypt(KeyId="alias/current", Plaintext=b"old")["CiphertextBlob"]
    kms.update_alias(AliasName="alias/current", TargetKeyId=b["KeyId"])
    assert kms.describe_key(KeyId="alias/current")["KeyMetadata"]["KeyId"] == b["KeyId"]
    assert kms.encrypt(KeyId="alias/current", Plaintext=b"new")["KeyId"] == b["Arn"]
    # The ciphertext still names its own key.
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old"
    assert code_of(kms.decrypt, CiphertextBlob=blob, KeyId="alias/current") == \
        "IncorrectKeyException"
    assert kms.list_aliases(KeyId=a["KeyId"])["Aliases"] == []
    assert [x["AliasName"] for x in kms.list_aliases(KeyId=b["Arn"])["Aliases"]] == \
        ["alias/current"]
    err = error_of(kms.update_alias, AliasName="alias/nope", TargetKeyId=a["KeyId"])
    assert err["Code"] == "NotFoundException"
    # A key pending deletion takes no alias; the alias may leave one.
    kms.schedule_key_deletion(KeyId=a["KeyId"], PendingWindowInDays=7)
    err = error_of(kms.update_alias, AliasName="alias/current", TargetKeyId=a["KeyId"])
    assert err == {"Code": "KMSInvalidStateException",
                   "Message": f"{a['Arn']} is pending deletion."}
    assert code_of(kms.create_alias, AliasName="alias/late", TargetKeyId=a["KeyId"]) == \
        "KMSInvalidStateException"

    kms.delete_alias(AliasName="alias/current")
    assert code_of(kms.describe_key, KeyId="alias/current") == "NotFoundException"
    err = error_of(kms.delete_alias, AliasName="alias/current")
    assert err == {"Code": "NotFoundException",
                   "Message": f"Alias {alias_arn(server, 'alias/current')} is not found."}
    # The key is untouched and the name free again.
    assert kms.describe_key(KeyId=b["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    kms.create_alias(AliasName="alias/current", TargetKeyId=b["KeyId"])


def test_list_aliases_pages_and_filters(server):
    kms = server.client("kms")
    a = kms.create_key()["KeyMetadata"]["KeyId"]
    b = kms.create_key()["KeyMetadata"]["KeyId"]
    names = [f"alias/list-{i:02d}" for i in range(9)]
    for i, name in enumerate(names):
        kms.create_alias(AliasName=name, TargetKeyId=a if i % 3 == 0 else b)
    assert all_aliases(kms, PaginationConfig={"PageSize": 2}) == names
    first = kms.list_aliases(Limit=4)
    assert len(first["Aliases"]) == 4 and first["Truncated"] is True
    rest = kms.list_aliases(Limit=100, Marker=first["NextMarker"])
    assert rest["Truncated"] is False and "NextMarker" not in rest
    assert [x["AliasName"] for x in first["Aliases"] + rest["Aliases"]] == names
    assert all_aliases(kms, KeyId=a, PaginationConfig={"PageSize": 1}) == names[0::3]
    assert code_of(kms.list_aliases, Marker="not a marker!") == "InvalidMarkerException"
    assert code_of(kms.list_aliases, KeyId="00000000-0000-4000-8000-000000000000") == \
        "NotFoundException"
    raw = server.client("kms", parameter_validation=False)
    assert code_of(raw.list_aliases, Limit=0) == "ValidationException"


def test_alias_names_and_duplicates(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    err = error_of(kms.create_alias, AliasName="no-prefix", TargetKeyId=key)
    assert err == {"Code": "ValidationException",
                   "Message": 'Alias must start with the prefix "alias/". Please see '
                              "https://docs.aws.amazon.com/kms/latest/developerguide/"
                              "kms-alias.html"}
    err = error_of(kms.create_alias, AliasName="alias/Service:Test", TargetKeyId=key)
    assert err == {"Code": "ValidationException",
                   "Message": "alias/Service:Test contains invalid characters for an alias"}
    assert code_of(kms.create_alias, AliasName="alias/aws/s3", TargetKeyId=key) == \
        "NotAuthorizedException"
    assert code_of(kms.create_alias, AliasName="alias/", TargetKeyId=key) == \
        "InvalidAliasNameException"
    # The model's own constraints: characters and length.
    raw = server.client("kms", parameter_validation=False)
    assert code_of(raw.create_alias, AliasName="alias/a.b", TargetKeyId=key) == \
        "ValidationException"
    assert code_of(raw.create_alias, AliasName="alias/" + "x" * 251, TargetKeyId=key) == \
        "ValidationException"
    kms.create_alias(AliasName="alias/" + "x" * 250, TargetKeyId=key)

    kms.create_alias(AliasName="alias/taken", TargetKeyId=key)
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    err = error_of(kms.create_alias, AliasName="alias/taken", TargetKeyId=other)
    assert err == {"Code": "AlreadyExistsException",
                   "Message": f"An alias with the name {alias_arn(server, 'alias/taken')} "
                              "already exists"}
    assert code_of(kms.create_alias, AliasName="alias/second", TargetKeyId="alias/taken") == \
        "ValidationException"
    missing = "00000000-0000-4000-8000-000000000000"
    assert code_of(kms.create_alias, AliasName="alias/second", TargetKeyId=missing) == \
        "NotFoundException"


def test_fifty_aliases_per_key(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for i in range(50):
        kms.create_alias(AliasName=f"alias/many-{i}", TargetKeyId=key)
    assert code_of(kms.create_alias, AliasName="alias/many-50", TargetKeyId=key) == \
        "LimitExceededException"
    assert len(all_aliases(kms, KeyId=key)) == 50


def test_tags_merge_list_and_limits(server):
    kms = server.client("kms")
    key = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "red"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "team", "TagValue": "blue"},
                                      {"TagKey": "env", "TagValue": ""}])
    tags = kms.list_resource_tags(KeyId=key)
    assert tags["Tags"] == [{"TagKey": "env", "TagValue": ""},
                            {"TagKey": "team", "TagValue": "blue"}]
    assert tags["Truncated"] is False
    kms.untag_resource(KeyId=key, TagKeys=["env", "not-there"])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "team", "TagValue": "blue"}]

    assert code_of(kms.tag_resource, KeyId=key,
                   Tags=[{"TagKey": "aws:created", "TagValue": "x"}]) == "TagException"
    assert code_of(kms.tag_resource, KeyId=key, Tags=[{"TagKey": "a", "TagValue": "1"},
                                                      {"TagKey": "a", "TagValue": "2"}]) == \
        "TagException"
    raw = server.client("kms", parameter_validation=False)
    assert code_of(raw.tag_resource, KeyId=key,
                   Tags=[{"TagKey": "k" * 129, "TagValue": ""}]) == "ValidationException"
    many = [{"TagKey": f"k{i:02d}", "TagValue": str(i)} for i in range(49)]
    kms.tag_resource(KeyId=key, Tags=many)  # 50 with "team"
    assert code_of(kms.tag_resource, KeyId=key,
                   Tags=[{"TagKey": "fifty-one", "TagValue": ""}]) == "TagException"
    assert code_of(kms.create_key, Tags=many + [{"TagKey": "x", "TagValue": ""},
                                                {"TagKey": "y", "TagValue": ""}]) == \
        "TagException"
    # Page by page, in tag key order.
    seen, marker = [], None
    while True:
        page = kms.list_resource_tags(KeyId=key, Limit=7, **({"Marker": marker} if marker else {}))
        assert len(page["Tags"]) <= 7
        seen += [t["TagKey"] for t in page["Tags"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert seen == sorted([t["TagKey"] for t in many] + ["team"])
    # Pending deletion: readable, not changeable.
    kms.schedule_key_deletion(KeyId=key)
    assert code_of(kms.tag_resource, KeyId=key, Tags=[{"TagKey": "a", "TagValue": ""}]) == \
        "KMSInvalidStateException"
    assert code_of(kms.untag_resource, KeyId=key, TagKeys=["team"]) == \
        "KMSInvalidStateException"
    assert len(kms.list_resource_tags(KeyId=key, Limit=50)["Tags"]) == 50
    assert code_of(kms.list_resource_tags, KeyId="00000000-0000-4000-8000-000000000000") == \
        "NotFoundException"


def test_alias_operations_need_the_alias_and_the_key(server):
    acct = server.account_id
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]  # default policy: IAM decides
    alias_only = make_kms_user(server, "alias-only", {
        "Effect": "Allow", "Action": "kms:CreateAlias",
        "Resource": f"arn:aws:kms:us-east-1:{acct}:alias/team-*"})
    err = error_of(alias_only.create_alias, AliasName="alias/team-a", TargetKeyId=key["KeyId"])
    assert err["Code"] == "AccessDeniedException"
    assert f"kms:CreateAlias on resource: {key['Arn']}" in err["Message"]
    key_only = make_kms_user(server, "key-only", {
        "Effect": "Allow", "Action": "kms:CreateAlias", "Resource": key["Arn"]})
    err = error_of(key_only.create_alias, AliasName="alias/team-a", TargetKeyId=key["KeyId"])
    assert err["Code"] == "AccessDeniedException"
    assert f"on resource: {alias_arn(server, 'alias/team-a')}" in err["Message"]
    both = make_kms_user(server, "both", {
        "Effect": "Allow", "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
        "Resource": [f"arn:aws:kms:us-east-1:{acct}:alias/team-*", key["Arn"]]})
    both.create_alias(AliasName="alias/team-a", TargetKeyId=key["KeyId"])
    assert code_of(both.create_alias, AliasName="alias/other", TargetKeyId=key["KeyId"]) == \
        "AccessDeniedException"
    # UpdateAlias needs the new key too.
    other = kms.create_key()["KeyMetadata"]
    err = error_of(both.update_alias, AliasName="alias/team-a", TargetKeyId=other["KeyId"])
    assert err["Code"] == "AccessDeniedException" and other["Arn"] in err["Message"]
    both.delete_alias(AliasName="alias/team-a")
    # ListAliases has no resource.
    assert code_of(both.list_aliases) == "AccessDeniedException"

    # A key policy that does not allow kms:CreateAlias binds even the root user.
    locked = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
         "NotAction": "kms:CreateAlias", "Resource": "*"}]}))["KeyMetadata"]
    assert code_of(kms.create_alias, AliasName="alias/locked", TargetKeyId=locked["KeyId"]) == \
        "AccessDeniedException"
    kms.create_alias(AliasName="alias/unlocked", TargetKeyId=key["KeyId"])


def test_tags_in_authorization(server):
    acct = server.account_id
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    tagger = make_kms_user(server, "tagger", {
        "Effect": "Allow", "Action": "kms:TagResource", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestTag/team": "red"},
                      "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}, {
        "Effect": "Allow", "Action": "kms:UntagResource", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["scratch"]}}})
    tagger.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "team", "TagValue": "red"}])
    assert code_of(tagger.tag_resource, KeyId=key["KeyId"],
                   Tags=[{"TagKey": "team", "TagValue": "blue"}]) == "AccessDeniedException"
    assert code_of(tagger.tag_resource, KeyId=key["KeyId"],
                   Tags=[{"TagKey": "team", "TagValue": "red"},
                         {"TagKey": "other", "TagValue": "red"}]) == "AccessDeniedException"
    assert code_of(tagger.untag_resource, KeyId=key["KeyId"], TagKeys=["team"]) == \
        "AccessDeniedException"
    tagger.untag_resource(KeyId=key["KeyId"], TagKeys=["scratch"])
    # The key's tags decide access to it (aws:ResourceTag).
    user = make_kms_user(server, "red-team", {
        "Effect": "Allow", "Action": "kms:Encrypt", "Resource": f"arn:aws:kms:*:{acct}:key/*",
        "Condition": {"StringEquals": {"aws:ResourceTag/team": "red"}}})
    user.encrypt(KeyId=key["KeyId"], Plaintext=b"ok")
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "team", "TagValue": "blue"}])
    assert code_of(user.encrypt, KeyId=key["KeyId"], Plaintext=b"no") == "AccessDeniedException"


def test_cli_aliases_and_tags(server):
    def cli(*args):
        r = aws_cli(server, "kms", *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else None

    key_id = cli("create-key", "--tags", "TagKey=team,TagValue=red")["KeyMetadata"]["KeyId"]
    cli("create-alias", "--alias-name", "alias/cli-key", "--target-key-id", key_id)
    assert cli("describe-key", "--key-id", "alias/cli-key")["KeyMetadata"]["KeyId"] == key_id
    out = cli("encrypt", "--key-id", "alias/cli-key", "--plaintext", "aGVsbG8=")
    assert out["KeyId"].endswith(key_id)
    for i in range(3):
        cli("create-alias", "--alias-name", f"alias/cli-{i}", "--target-key-id", key_id)
    listed = cli("list-aliases", "--key-id", key_id, "--page-size", "2")
    assert [a["AliasName"] for a in listed["Aliases"]] == \
        ["alias/cli-0", "alias/cli-1", "alias/cli-2", "alias/cli-key"]
    cli("tag-resource", "--key-id", key_id, "--tags", "TagKey=env,TagValue=prod")
    tags = cli("list-resource-tags", "--key-id", key_id)["Tags"]
    assert tags == [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "red"}]
    cli("untag-resource", "--key-id", key_id, "--tag-keys", "team")
    cli("update-alias", "--alias-name", "alias/cli-0", "--target-key-id",
        cli("create-key")["KeyMetadata"]["KeyId"])
    cli("delete-alias", "--alias-name", "alias/cli-1")
    r = aws_cli(server, "kms", "create-alias", "--alias-name", "alias/aws/cli",
                "--target-key-id", key_id)
    assert r.returncode != 0 and "NotAuthorizedException" in r.stderr
