"""IAM end to end with boto3 and the aws CLI: users, access keys, groups, managed and
inline policies, and the authorization of every request by those policies.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import json
import os
import signal

import botocore.exceptions
import pytest

from conftest import Server, aws_cli

READ_IAM = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"],
                           "Resource": "*"}]}


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def new_user(server, iam, name, **kwargs):
    """Creates a user with an access key; returns (iam client as the user, key id)."""
    iam.create_user(UserName=name, **kwargs)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return (server.client("iam", key["AccessKeyId"], key["SecretAccessKey"]),
            key["AccessKeyId"], key["SecretAccessKey"])


def test_user_lifecycle(server):
    iam = server.client("iam")
    created = iam.create_user(UserName="Alice", Path="/eng/", Tags=[{"Key": "team", "Value": "red"}])
    user = created["User"]
    assert user["UserName"] == "Alice"
    assert user["Path"] == "/eng/"
    assert user["Arn"] == f"arn:aws:iam::{server.account_id}:user/eng/Alice"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 20
    assert user["Tags"] == [{"Key": "team", "Value": "red"}]

    got = iam.get_user(UserName="Alice")["User"]
    assert got["UserId"] == user["UserId"]
    assert got["CreateDate"] == user["CreateDate"]

    # Names are unique without regard to case.
    err = error_of(iam.create_user, UserName="alice")
    assert err["Error"]["Code"] == "EntityAlreadyExists"
    assert err["Error"]["Message"] == "User with name alice already exists."
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 409

    err = error_of(iam.get_user, UserName="nobody")
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert err["Error"]["Message"] == "The user with name nobody cannot be found."
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 404

    iam.tag_user(UserName="Alice", Tags=[{"Key": "TEAM", "Value": "blue"}, {"Key": "x", "Value": "1"}])
    tags = iam.list_user_tags(UserName="Alice")["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("TEAM", "blue"), ("x", "1")]
    iam.untag_user(UserName="Alice", TagKeys=["team"])
    assert iam.list_user_tags(UserName="Alice")["Tags"] == [{"Key": "x", "Value": "1"}]

    iam.update_user(UserName="Alice", NewUserName="Alicia", NewPath="/ops/")
    assert iam.get_user(UserName="alicia")["User"]["Arn"].endswith(":user/ops/Alicia")
    assert error_of(iam.get_user, UserName="Alice")["Error"]["Code"] == "NoSuchEntity"
    iam.delete_user(UserName="Alicia")
    assert error_of(iam.delete_user, UserName="Alicia")["Error"]["Code"] == "NoSuchEntity"


def test_list_users_paginates_and_filters_by_path(server):
    iam = server.client("iam")
    for i in range(7):
        iam.create_user(UserName=f"u{i}", Path="/a/" if i % 2 else "/b/")
    first = iam.list_users(MaxItems=3)
    assert len(first["Users"]) == 3 and first["IsTruncated"] is True
    names = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_users(MaxItems=3, Marker=marker)
        names += [u["UserName"] for u in page["Users"]]
        marker = page.get("Marker") if page["IsTruncated"] else None
    assert names == [f"u{i}" for i in range(7)]
    pages = iam.get_paginator("list_users").paginate(PathPrefix="/a/", PaginationConfig={"PageSize": 2})
    assert [u["UserName"] for p in pages for u in p["Users"]] == ["u1", "u3", "u5"]
    # ListUsers leaves tags out, as AWS does.
    assert "Tags" not in first["Users"][0]


def test_access_keys_authenticate_and_stop_working_at_once(server):
    iam = server.client("iam")
    as_bob, key_id, secret = new_user(server, iam, "bob")
    sts = server.client("sts", key_id, secret)
    ident = sts.get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{server.account_id}:user/bob"
    assert ident["UserId"] == iam.get_user(UserName="bob")["User"]["UserId"]

    second = iam.create_access_key(UserName="bob")["AccessKey"]
    err = error_of(iam.create_access_key, UserName="bob")
    assert err["Error"]["Code"] == "LimitExceeded"
    assert err["Error"]["Message"] == "Cannot exceed quota for AccessKeysPerUser: 2"
    listed = iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key_id, second["AccessKeyId"]])
    assert all(k["Status"] == "Active" for k in listed)

    last = iam.get_access_key_last_used(AccessKeyId=key_id)
    assert last["UserName"] == "bob"
    assert last["AccessKeyLastUsed"]["ServiceName"] == "sts"
    assert last["AccessKeyLastUsed"]["Region"] == "us-east-1"
    never = iam.get_access_key_last_used(AccessKeyId=second["AccessKeyId"])
    assert never["AccessKeyLastUsed"]["ServiceName"] == "N/A"

    iam.update_access_key(UserName="bob", AccessKeyId=key_id, Status="Inactive")
    assert error_of(sts.get_caller_identity)["Error"]["Code"] == "InvalidClientTokenId"
    iam.update_access_key(UserName="bob", AccessKeyId=key_id, Status="Active")
    assert sts.get_caller_identity()["Account"] == server.account_id

    # Renaming the user keeps its keys, which now speak for the new name.
    iam.update_user(UserName="bob", NewUserName="robert")
    assert sts.get_caller_identity()["Arn"].endswith(":user/robert")

    err = error_of(iam.delete_user, UserName="robert")
    assert err["Error"]["Code"] == "DeleteConflict"
    assert err["Error"]["Message"] == "Cannot delete entity, must delete access keys first."
    iam.delete_access_key(UserName="robert", AccessKeyId=key_id)
    assert error_of(sts.get_caller_identity)["Error"]["Code"] == "InvalidClientTokenId"
    err = error_of(iam.delete_access_key, UserName="robert", AccessKeyId=key_id)
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert err["Error"]["Message"] == f"The Access Key with id {key_id} cannot be found."
    iam.delete_access_key(UserName="robert", AccessKeyId=second["AccessKeyId"])
    iam.delete_user(UserName="robert")


def test_least_privilege_and_explicit_deny(server):
    iam = server.client("iam")
    as_carol, _, _ = new_user(server, iam, "carol")
    arn = f"arn:aws:iam::{server.account_id}:user/carol"

    err = error_of(as_carol.list_users)
    assert err["Error"]["Code"] == "AccessDenied"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Error"]["Message"] == (
        f"User: {arn} is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{server.account_id}:user/ because no identity-based policy allows "
        "the iam:ListUsers action")

    policy = iam.create_policy(PolicyName="read-iam", PolicyDocument=json.dumps(READ_IAM))["Policy"]
    iam.attach_user_policy(UserName="carol", PolicyArn=policy["Arn"])
    assert "carol" in [u["UserName"] for u in as_carol.list_users()["Users"]]
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"] == 1
    # Read-only: writes stay denied.
    err = error_of(as_carol.create_user, UserName="mallory")
    assert err["Error"]["Code"] == "AccessDenied"
    assert f"on resource: arn:aws:iam::{server.account_id}:user/mallory " in err["Error"]["Message"]

    deny = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}
    iam.put_user_policy(UserName="carol", PolicyName="no-list", PolicyDocument=json.dumps(deny))
    err = error_of(as_carol.list_users)
    assert err["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")
    assert as_carol.get_user(UserName="carol")["User"]["UserName"] == "carol"

    doc = iam.get_user_policy(UserName="carol", PolicyName="no-list")["PolicyDocument"]
    assert doc == deny  # boto3 decodes IAM's URL-encoded documents
    assert iam.list_user_policies(UserName="carol")["PolicyNames"] == ["no-list"]

    iam.delete_user_policy(UserName="carol", PolicyName="no-list")
    assert as_carol.list_users()["Users"]
    iam.detach_user_policy(UserName="carol", PolicyArn=policy["Arn"])
    assert error_of(as_carol.list_users)["Error"]["Code"] == "AccessDenied"
    err = error_of(iam.detach_user_policy, UserName="carol", PolicyArn=policy["Arn"])
    assert err["Error"]["Code"] == "NoSuchEntity"


def test_policy_variables_scope_users_to_themselves(server):
    iam = server.client("iam")
    self_service = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["iam:ListAccessKeys", "iam:GetUser"],
        "Resource": f"arn:aws:iam::{server.account_id}:user/${{aws:username}}"}]}
    as_dave, dave_key, _ = new_user(server, iam, "dave")
    iam.create_user(UserName="erin")
    iam.put_user_policy(UserName="dave", PolicyName="self", PolicyDocument=json.dumps(self_service))
    assert as_dave.list_access_keys()["AccessKeyMetadata"][0]["AccessKeyId"] == dave_key
    assert as_dave.get_user()["User"]["UserName"] == "dave"
    assert error_of(as_dave.list_access_keys, UserName="erin")["Error"]["Code"] == "AccessDenied"


def test_listing_permission_can_be_granted_for_one_path(server):
    """A listing acts on the type and PathPrefix ("user/div/"); instance profiles
    resolve to their ARN with its path."""
    acct = server.account_id
    iam = server.client("iam")
    by_path = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListUsers",
         "Resource": f"arn:aws:iam::{acct}:user/div/*"},
        {"Effect": "Allow", "Action": "iam:GetInstanceProfile",
         "Resource": f"arn:aws:iam::{acct}:instance-profile/div/*"}]}
    as_fay, _, _ = new_user(server, iam, "fay")
    iam.put_user_policy(UserName="fay", PolicyName="p", PolicyDocument=json.dumps(by_path))
    iam.create_user(UserName="in-div", Path="/div/")
    iam.create_instance_profile(InstanceProfileName="ip-div", Path="/div/")
    iam.create_instance_profile(InstanceProfileName="ip-root")
    assert [u["UserName"] for u in as_fay.list_users(PathPrefix="/div/")["Users"]] == ["in-div"]
    err = error_of(as_fay.list_users)
    assert err["Error"]["Code"] == "AccessDenied"
    assert f"on resource: arn:aws:iam::{acct}:user/ because" in err["Error"]["Message"]
    err = error_of(as_fay.list_users, PathPrefix="/other/")
    assert f"on resource: arn:aws:iam::{acct}:user/other/ because" in err["Error"]["Message"]
    assert as_fay.get_instance_profile(InstanceProfileName="ip-div")["InstanceProfile"][
        "Arn"] == f"arn:aws:iam::{acct}:instance-profile/div/ip-div"
    err = error_of(as_fay.get_instance_profile, InstanceProfileName="ip-root")
    assert f"on resource: arn:aws:iam::{acct}:instance-profile/ip-root because" in \
        err["Error"]["Message"]


def test_resource_tags_of_users_and_roles_decide(server):
    """aws:ResourceTag/* and iam:ResourceTag/* carry the tags of the user or role acted
    on; a tag change applies on the next request."""
    iam = server.client("iam")
    by_tag = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}},
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
         "Condition": {"StringEquals": {"iam:ResourceTag/team": "blue"}}}]}
    as_gil, _, _ = new_user(server, iam, "gil")
    iam.put_user_policy(UserName="gil", PolicyName="p", PolicyDocument=json.dumps(by_tag))
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:root"},
        "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="blue-role", AssumeRolePolicyDocument=json.dumps(trust),
                    Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_role(RoleName="red-role", AssumeRolePolicyDocument=json.dumps(trust),
                    Tags=[{"Key": "team", "Value": "red"}])
    iam.create_user(UserName="blue-user", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName="plain-user")
    assert as_gil.get_role(RoleName="blue-role")["Role"]["RoleName"] == "blue-role"
    assert error_of(as_gil.get_role, RoleName="red-role")["Error"]["Code"] == "AccessDenied"
    assert as_gil.get_user(UserName="blue-user")["User"]["UserName"] == "blue-user"
    assert error_of(as_gil.get_user, UserName="plain-user")["Error"]["Code"] == "AccessDenied"
    iam.tag_role(RoleName="red-role", Tags=[{"Key": "team", "Value": "blue"}])
    assert as_gil.get_role(RoleName="red-role")["Role"]["RoleName"] == "red-role"
    iam.untag_user(UserName="blue-user", TagKeys=["team"])
    assert error_of(as_gil.get_user, UserName="blue-user")["Error"]["Code"] == "AccessDenied"


def test_managed_policy_versions(server):
    iam = server.client("iam")
    as_frank, _, _ = new_user(server, iam, "frank")
    allow_get = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}
    allow_list = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="p", Path="/team/", PolicyDocument=json.dumps(allow_get),
                            Description="versions")["Policy"]["Arn"]
    assert arn == f"arn:aws:iam::{server.account_id}:policy/team/p"
    iam.attach_user_policy(UserName="frank", PolicyArn=arn)
    as_frank.get_user(UserName="frank")
    assert error_of(as_frank.list_users)["Error"]["Code"] == "AccessDenied"

    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow_list),
                                   SetAsDefault=True)["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True
    as_frank.list_users()  # the new default applies on the next request
    assert error_of(as_frank.get_user, UserName="frank")["Error"]["Code"] == "AccessDenied"

    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow_get))
    err = error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(allow_get))
    assert err["Error"]["Code"] == "LimitExceeded"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v2"]

    got = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert got["Document"] == allow_get and got["IsDefaultVersion"] is False
    err = error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v2")
    assert err["Error"]["Code"] == "DeleteConflict"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    as_frank.get_user(UserName="frank")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    err = error_of(iam.get_policy_version, PolicyArn=arn, VersionId="v2")
    assert err["Error"]["Code"] == "NoSuchEntity"

    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Description"] == "versions" and policy["DefaultVersionId"] == "v1"
    err = error_of(iam.delete_policy, PolicyArn=arn)
    assert err["Error"]["Code"] == "DeleteConflict"
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["frank"]
    iam.detach_user_policy(UserName="frank", PolicyArn=arn)
    for v in ("v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    assert error_of(iam.get_policy, PolicyArn=arn)["Error"]["Code"] == "NoSuchEntity"


def test_malformed_and_oversized_policies_are_refused(server):
    iam = server.client("iam")
    iam.create_user(UserName="gina")
    err = error_of(iam.create_policy, PolicyName="bad", PolicyDocument='{"Version":"2012-10-17"')
    assert err["Error"]["Code"] == "MalformedPolicyDocument"
    no_resource = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*"}]}
    err = error_of(iam.put_user_policy, UserName="gina", PolicyName="p",
                   PolicyDocument=json.dumps(no_resource))
    assert err["Error"]["Code"] == "MalformedPolicyDocument"
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": f"iam:GetUser{i}", "Resource": "*"} for i in range(60)]}
    err = error_of(iam.put_user_policy, UserName="gina", PolicyName="big",
                   PolicyDocument=json.dumps(big))
    assert err["Error"]["Code"] == "LimitExceeded"
    assert err["Error"]["Message"] == "Maximum policy size of 2048 bytes exceeded for user gina"
    err = error_of(iam.attach_user_policy, UserName="gina",
                   PolicyArn=f"arn:aws:iam::{server.account_id}:policy/none")
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert iam.list_user_policies(UserName="gina")["PolicyNames"] == []


def test_groups_grant_their_members(server):
    iam = server.client("iam")
    as_hank, _, _ = new_user(server, iam, "hank")
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=json.dumps(READ_IAM))
    assert error_of(as_hank.list_users)["Error"]["Code"] == "AccessDenied"
    iam.add_user_to_group(GroupName="readers", UserName="hank")
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="hank")["Groups"]] == ["readers"]
    assert [u["UserName"] for u in iam.get_group(GroupName="readers")["Users"]] == ["hank"]
    as_hank.list_users()
    err = error_of(iam.delete_group, GroupName="readers")
    assert err["Error"]["Code"] == "DeleteConflict"
    iam.remove_user_from_group(GroupName="readers", UserName="hank")
    assert error_of(as_hank.list_users)["Error"]["Code"] == "AccessDenied"


def test_aws_managed_policies_and_permissions_boundaries(server):
    iam = server.client("iam")
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    readonly = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    aws_names = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS")
                 for p in page["Policies"]]
    for name in ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "SecurityAudit",
                 "IAMFullAccess", "IAMReadOnlyAccess"):
        assert name in aws_names
    got = iam.get_policy(PolicyArn=readonly)["Policy"]
    assert got["Arn"] == readonly and got["PolicyId"].startswith("ANPA")
    doc = iam.get_policy_version(PolicyArn=readonly, VersionId=got["DefaultVersionId"])
    assert "iam:List*" in json.dumps(doc["PolicyVersion"]["Document"])

    as_ivy, _, _ = new_user(server, iam, "ivy", PermissionsBoundary=readonly)
    iam.attach_user_policy(UserName="ivy", PolicyArn=admin)
    assert iam.get_user(UserName="ivy")["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": readonly}
    as_ivy.list_users()
    err = error_of(as_ivy.create_user, UserName="x")
    assert err["Error"]["Message"].endswith("because no permissions boundary allows the "
                                            "iam:CreateUser action")
    assert iam.get_policy(PolicyArn=admin)["Policy"]["AttachmentCount"] == 1
    assert iam.get_policy(PolicyArn=readonly)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    iam.delete_user_permissions_boundary(UserName="ivy")
    as_ivy.create_user(UserName="x")


def test_cli_manages_users_and_policies(server):
    def cli(*args):
        r = aws_cli(server, *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else None

    cli("iam", "create-user", "--user-name", "cli-user")
    for i in range(3):
        cli("iam", "create-user", "--user-name", f"cli-{i}")
    # The CLI follows Marker itself; a small page size exercises it.
    listed = cli("iam", "list-users", "--page-size", "2")
    assert [u["UserName"] for u in listed["Users"]] == ["cli-0", "cli-1", "cli-2", "cli-user"]
    arn = cli("iam", "create-policy", "--policy-name", "cli-p", "--policy-document",
              json.dumps(READ_IAM))["Policy"]["Arn"]
    cli("iam", "attach-user-policy", "--user-name", "cli-user", "--policy-arn", arn)
    attached = cli("iam", "list-attached-user-policies", "--user-name", "cli-user")
    assert attached["AttachedPolicies"] == [{"PolicyName": "cli-p", "PolicyArn": arn}]
    cli("iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "inline",
        "--policy-document", json.dumps(READ_IAM))
    got = cli("iam", "get-user-policy", "--user-name", "cli-user", "--policy-name", "inline")
    assert got["PolicyDocument"] == READ_IAM
    r = aws_cli(server, "iam", "get-user", "--user-name", "ghost")
    assert r.returncode == 254
    assert "(NoSuchEntity)" in r.stderr and "The user with name ghost cannot be found." in r.stderr


def test_acknowledged_iam_changes_survive_kill_9(make_server, data_dir):
    first = make_server(data_dir)
    iam = first.client("iam")
    iam.create_user(UserName="durable")
    key = iam.create_access_key(UserName="durable")["AccessKey"]
    iam.put_user_policy(UserName="durable", PolicyName="read", PolicyDocument=json.dumps(READ_IAM))
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait()
    second = make_server(data_dir)
    as_user = second.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    assert [u["UserName"] for u in as_user.list_users()["Users"]] == ["durable"]
