"""IAM instance profiles end to end with boto3 and the aws CLI: create, get, list (paths and
pages), the one role a profile holds, tags, the delete conflicts on both sides, the
account operations that report profiles, and authorization of the profile actions.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import json

import botocore.exceptions
import pytest

from conftest import aws_cli

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole"}]}


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def make_role(iam, name, **kwargs):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST),
                           **kwargs)["Role"]


def test_instance_profile_lifecycle(server):
    iam = server.client("iam")
    acct = server.account_id
    created = iam.create_instance_profile(InstanceProfileName="Web", Path="/app/",
                                          Tags=[{"Key": "team", "Value": "red"}])
    p = created["InstanceProfile"]
    assert p["InstanceProfileName"] == "Web"
    assert p["Path"] == "/app/"
    assert p["Arn"] == f"arn:aws:iam::{acct}:instance-profile/app/Web"
    assert p["InstanceProfileId"].startswith("AIPA") and len(p["InstanceProfileId"]) == 20
    assert p["Roles"] == []
    assert p["Tags"] == [{"Key": "team", "Value": "red"}]

    got = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert got == p

    err = error_of(iam.create_instance_profile, InstanceProfileName="WEB")
    assert err["Error"]["Code"] == "EntityAlreadyExists"
    assert err["Error"]["Message"] == "Instance Profile WEB already exists."
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 409

    err = error_of(iam.get_instance_profile, InstanceProfileName="nope")
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert err["Error"]["Message"] == "Instance Profile nope cannot be found."
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 404

    # The one role, shown as the role is now, with the members AWS shows there.
    role = make_role(iam, "AppRole", Description="d", MaxSessionDuration=7200)
    iam.add_role_to_instance_profile(InstanceProfileName="Web", RoleName="AppRole")
    roles = iam.get_instance_profile(InstanceProfileName="Web")["InstanceProfile"]["Roles"]
    assert len(roles) == 1
    assert set(roles[0]) == {"Path", "RoleName", "RoleId", "Arn", "CreateDate",
                             "AssumeRolePolicyDocument"}
    assert roles[0]["RoleId"] == role["RoleId"]
    assert roles[0]["Arn"] == role["Arn"]
    assert roles[0]["AssumeRolePolicyDocument"] == TRUST  # boto3 decodes it
    changed = dict(TRUST, Statement=[dict(TRUST["Statement"][0], Sid="Now")])
    iam.update_assume_role_policy(RoleName="AppRole", PolicyDocument=json.dumps(changed))
    roles = iam.get_instance_profile(InstanceProfileName="Web")["InstanceProfile"]["Roles"]
    assert roles[0]["AssumeRolePolicyDocument"] == changed

    make_role(iam, "Second")
    err = error_of(iam.add_role_to_instance_profile, InstanceProfileName="Web", RoleName="Second")
    assert err["Error"]["Code"] == "LimitExceeded"
    assert err["Error"]["Message"] == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 409
    err = error_of(iam.add_role_to_instance_profile, InstanceProfileName="Web", RoleName="ghost")
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert err["Error"]["Message"] == "The role with name ghost cannot be found."
    err = error_of(iam.add_role_to_instance_profile, InstanceProfileName="nope",
                   RoleName="Second")
    assert err["Error"]["Message"] == "Instance Profile nope cannot be found."

    # Neither side can be deleted while they are linked.
    err = error_of(iam.delete_instance_profile, InstanceProfileName="Web")
    assert err["Error"]["Code"] == "DeleteConflict"
    assert err["Error"]["Message"] == (
        "Cannot delete entity, must remove roles from instance profile first.")
    err = error_of(iam.delete_role, RoleName="AppRole")
    assert err["Error"]["Code"] == "DeleteConflict"
    assert err["Error"]["Message"] == (
        "Cannot delete entity, must remove roles from instance profile first.")

    err = error_of(iam.remove_role_from_instance_profile, InstanceProfileName="Web",
                   RoleName="Second")
    assert err["Error"]["Code"] == "NoSuchEntity"
    iam.remove_role_from_instance_profile(InstanceProfileName="Web", RoleName="AppRole")
    assert iam.get_instance_profile(InstanceProfileName="Web")["InstanceProfile"]["Roles"] == []
    iam.delete_role(RoleName="AppRole")
    iam.delete_instance_profile(InstanceProfileName="Web")
    err = error_of(iam.delete_instance_profile, InstanceProfileName="Web")
    assert err["Error"]["Message"] == "Instance Profile Web cannot be found."


def test_list_instance_profiles_paths_and_pages(server):
    iam = server.client("iam")
    for i in range(7):
        iam.create_instance_profile(InstanceProfileName=f"p{i}", Path="/a/" if i % 2 else "/b/",
                                    Tags=[{"Key": "k", "Value": str(i)}])
    first = iam.list_instance_profiles(MaxItems=3)
    assert first["IsTruncated"] is True and len(first["InstanceProfiles"]) == 3
    names = [p["InstanceProfileName"] for p in first["InstanceProfiles"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_instance_profiles(MaxItems=3, Marker=marker)
        names += [p["InstanceProfileName"] for p in page["InstanceProfiles"]]
        marker = page.get("Marker") if page["IsTruncated"] else None
    assert names == [f"p{i}" for i in range(7)]
    # Listings leave the tags out, as AWS does.
    assert "Tags" not in first["InstanceProfiles"][0]
    pages = iam.get_paginator("list_instance_profiles").paginate(
        PathPrefix="/a/", PaginationConfig={"PageSize": 2})
    assert [p["InstanceProfileName"] for pg in pages for p in pg["InstanceProfiles"]] == [
        "p1", "p3", "p5"]

    make_role(iam, "shared")
    for name in ("p4", "p0", "p2"):
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName="shared")
    pages = iam.get_paginator("list_instance_profiles_for_role").paginate(
        RoleName="shared", PaginationConfig={"PageSize": 2})
    listed = [p for pg in pages for p in pg["InstanceProfiles"]]
    assert [p["InstanceProfileName"] for p in listed] == ["p0", "p2", "p4"]
    assert all(p["Roles"][0]["RoleName"] == "shared" for p in listed)
    err = error_of(iam.list_instance_profiles_for_role, RoleName="ghost")
    assert err["Error"]["Code"] == "NoSuchEntity"


def test_instance_profile_tags(server):
    iam = server.client("iam")
    iam.create_instance_profile(InstanceProfileName="t")
    assert "Tags" not in iam.get_instance_profile(InstanceProfileName="t")["InstanceProfile"]
    iam.tag_instance_profile(InstanceProfileName="t",
                             Tags=[{"Key": "Team", "Value": "red"}, {"Key": "x", "Value": "1"}])
    iam.tag_instance_profile(InstanceProfileName="T", Tags=[{"Key": "TEAM", "Value": "blue"}])
    tags = iam.list_instance_profile_tags(InstanceProfileName="t")
    assert tags["Tags"] == [{"Key": "TEAM", "Value": "blue"}, {"Key": "x", "Value": "1"}]
    assert tags["IsTruncated"] is False
    iam.untag_instance_profile(InstanceProfileName="t", TagKeys=["team"])
    assert iam.list_instance_profile_tags(InstanceProfileName="t")["Tags"] == [
        {"Key": "x", "Value": "1"}]
    err = error_of(iam.tag_instance_profile, InstanceProfileName="t",
                   Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    assert err["Error"]["Code"] == "LimitExceeded"
    err = error_of(iam.list_instance_profile_tags, InstanceProfileName="none")
    assert err["Error"]["Message"] == "Instance Profile none cannot be found."


def test_account_operations_report_instance_profiles(server):
    iam = server.client("iam")
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["InstanceProfiles"] == 0
    assert summary["InstanceProfilesQuota"] == 1000
    make_role(iam, "r")
    iam.create_instance_profile(InstanceProfileName="ip", Path="/x/")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r")
    assert iam.get_account_summary()["SummaryMap"]["InstanceProfiles"] == 1
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    (role,) = [r for r in details if r["RoleName"] == "r"]
    (profile,) = role["InstanceProfileList"]
    assert profile["InstanceProfileName"] == "ip"
    assert profile["Arn"] == f"arn:aws:iam::{server.account_id}:instance-profile/x/ip"
    assert [r["RoleName"] for r in profile["Roles"]] == ["r"]


def test_instance_profile_actions_are_authorized(server):
    iam = server.client("iam")
    acct = server.account_id
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    as_dev = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    err = error_of(as_dev.create_instance_profile, InstanceProfileName="mine")
    assert err["Error"]["Code"] == "AccessDenied"
    assert err["Error"]["Message"] == (
        f"User: arn:aws:iam::{acct}:user/dev is not authorized to perform: "
        f"iam:CreateInstanceProfile on resource: arn:aws:iam::{acct}:instance-profile/mine "
        "because no identity-based policy allows the iam:CreateInstanceProfile action")
    allow = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "iam:*InstanceProfile*",
                            "Resource": f"arn:aws:iam::{acct}:instance-profile/dev-*"}]}
    iam.put_user_policy(UserName="dev", PolicyName="p", PolicyDocument=json.dumps(allow))
    as_dev.create_instance_profile(InstanceProfileName="dev-box")
    assert as_dev.get_instance_profile(InstanceProfileName="dev-box")["InstanceProfile"]
    assert error_of(as_dev.create_instance_profile,
                    InstanceProfileName="prod-box")["Error"]["Code"] == "AccessDenied"
    as_dev.delete_instance_profile(InstanceProfileName="dev-box")


def test_cli_manages_instance_profiles(server):
    def cli(*args):
        r = aws_cli(server, *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else None

    cli("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document",
        json.dumps(TRUST))
    for i in range(3):
        out = cli("iam", "create-instance-profile", "--instance-profile-name", f"cli-{i}")
        assert out["InstanceProfile"]["InstanceProfileId"].startswith("AIPA")
    # The CLI follows Marker itself; a small page size exercises it.
    listed = cli("iam", "list-instance-profiles", "--page-size", "2")
    assert [p["InstanceProfileName"] for p in listed["InstanceProfiles"]] == [
        "cli-0", "cli-1", "cli-2"]
    cli("iam", "add-role-to-instance-profile", "--instance-profile-name", "cli-1",
        "--role-name", "cli-role")
    got = cli("iam", "get-instance-profile", "--instance-profile-name", "cli-1")
    assert got["InstanceProfile"]["Roles"][0]["RoleName"] == "cli-role"
    assert got["InstanceProfile"]["Roles"][0]["AssumeRolePolicyDocument"] == TRUST
    for_role = cli("iam", "list-instance-profiles-for-role", "--role-name", "cli-role")
    assert [p["InstanceProfileName"] for p in for_role["InstanceProfiles"]] == ["cli-1"]
    r = aws_cli(server, "iam", "delete-role", "--role-name", "cli-role")
    assert r.returncode == 254
    assert "(DeleteConflict)" in r.stderr
    assert "Cannot delete entity, must remove roles from instance profile first." in r.stderr
    cli("iam", "remove-role-from-instance-profile", "--instance-profile-name", "cli-1",
        "--role-name", "cli-role")
    cli("iam", "delete-instance-profile", "--instance-profile-name", "cli-1")
    cli("iam", "delete-role", "--role-name", "cli-role")
    r = aws_cli(server, "iam", "get-instance-profile", "--instance-profile-name", "cli-1")
    assert r.returncode == 254
    assert "(NoSuchEntity)" in r.stderr and "Instance Profile cli-1 cannot be found." in r.stderr
