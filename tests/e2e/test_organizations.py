"""AWS Organizations end to end with boto3 and the aws CLI: the data directory's one
organization, CreateAccount and its statuses, ListAccounts with paging, the
OrganizationAccountAccessRole that lets the management account administer a new account,
what member accounts are refused, and that everything survives a restart.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import json
import re
import subprocess

import botocore.exceptions
import pytest

from conftest import BIN, aws_cli

ACCESS_DENIED = "You don't have permissions to access this resource."


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def admin_create_account(server, *args):
    r = subprocess.run([BIN, "admin", "create-account", "--data-dir", server.data_dir, *args],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def iam_user(server, name, policy):
    """An IAM user of the management account with an inline policy; returns its key."""
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": policy}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_the_default_account_manages_the_organization(server):
    org = server.client("organizations").describe_organization()["Organization"]
    assert re.fullmatch(r"o-[a-z0-9]{10}", org["Id"])
    assert org["Arn"] == f"arn:aws:organizations::{server.account_id}:organization/{org['Id']}"
    assert org["FeatureSet"] == "ALL"
    assert org["MasterAccountId"] == server.account_id
    assert org["MasterAccountArn"] == (
        f"arn:aws:organizations::{server.account_id}:account/{org['Id']}/{server.account_id}")
    r = aws_cli(server, "organizations", "describe-organization")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Organization"]["Id"] == org["Id"]

    err = error_of(server.client("organizations").create_organization, FeatureSet="ALL")
    assert err["Error"]["Code"] == "AlreadyInOrganizationException"
    assert err["Error"]["Message"] == "The AWS account is already a member of an organization."

    # Every other operation of the model is answered, and changes nothing.
    err = error_of(server.client("organizations").list_roots)
    assert err["Error"]["Code"] == "UnknownOperationException"


def test_create_account_and_its_status(server):
    orgs = server.client("organizations")
    status = orgs.create_account(Email="dev@example.com", AccountName="Development",
                                 Tags=[{"Key": "team", "Value": "blue"}])["CreateAccountStatus"]
    assert re.fullmatch(r"car-[a-z0-9]{32}", status["Id"])
    assert status["State"] == "SUCCEEDED"
    assert status["AccountName"] == "Development"
    assert re.fullmatch(r"\d{12}", status["AccountId"])
    assert status["AccountId"] != server.account_id
    assert status["CompletedTimestamp"] >= status["RequestedTimestamp"]

    described = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])
    assert described["CreateAccountStatus"] == status
    account = orgs.describe_account(AccountId=status["AccountId"])["Account"]
    assert account["Email"] == "dev@example.com"
    assert account["Name"] == "Development"
    assert account["Status"] == "ACTIVE"
    assert account["JoinedMethod"] == "CREATED"

    # The CLI too, with its default role name replaced.
    r = aws_cli(server, "organizations", "create-account", "--email", "ops@example.com",
                "--account-name", "Ops", "--role-name", "Admin")
    assert r.returncode == 0, r.stderr
    ops = json.loads(r.stdout)["CreateAccountStatus"]
    assert ops["State"] == "SUCCEEDED"
    r = aws_cli(server, "organizations", "describe-create-account-status",
                "--create-account-request-id", ops["Id"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["CreateAccountStatus"]["AccountId"] == ops["AccountId"]

    # A second account with the same address fails in its status, as in AWS.
    failed = orgs.create_account(Email="DEV@example.com",
                                 AccountName="Again")["CreateAccountStatus"]
    assert failed["State"] == "FAILED"
    assert failed["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert "AccountId" not in failed

    # Oldest request first; those of one second in id order.
    listed = orgs.list_create_account_status()["CreateAccountStatuses"]
    assert sorted(s["Id"] for s in listed) == sorted([status["Id"], ops["Id"], failed["Id"]])
    only_failed = orgs.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"]
    assert [s["Id"] for s in only_failed] == [failed["Id"]]
    pages = orgs.get_paginator("list_create_account_status").paginate(
        States=["SUCCEEDED"], PaginationConfig={"PageSize": 1})
    ids = [s["Id"] for page in pages for s in page["CreateAccountStatuses"]]
    assert sorted(ids) == sorted([status["Id"], ops["Id"]])

    err = error_of(orgs.describe_create_account_status,
                   CreateAccountRequestId="car-0123456789abcdef0123456789abcdef")
    assert err["Error"]["Code"] == "CreateAccountStatusNotFoundException"
    err = error_of(orgs.describe_account, AccountId="999999999999")
    assert err["Error"]["Code"] == "AccountNotFoundException"


def test_list_accounts_pages_every_account_of_the_data_directory(server):
    orgs = server.client("organizations")
    admin = admin_create_account(server, "--profile", "second")
    created = [orgs.create_account(Email=f"a{i}@example.com",
                                   AccountName=f"A{i}")["CreateAccountStatus"]["AccountId"]
               for i in range(3)]
    expected = {server.account_id, admin["AccountId"], *created}

    pages = list(orgs.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    accounts = {a["Id"]: a for page in pages for a in page["Accounts"]}
    assert set(accounts) == expected
    org_id = orgs.describe_organization()["Organization"]["Id"]
    for a in accounts.values():
        assert a["Arn"] == f"arn:aws:organizations::{server.account_id}:account/{org_id}/{a['Id']}"
        assert a["Status"] == "ACTIVE"
    # The operator's accounts are named after their profiles; their address is a placeholder.
    assert accounts[admin["AccountId"]]["Name"] == "second"
    assert accounts[admin["AccountId"]]["Email"] == f"{admin['AccountId']}@bulwark.invalid"
    assert accounts[server.account_id]["Name"] == "default"
    assert accounts[server.account_id]["JoinedMethod"] == "INVITED"

    r = aws_cli(server, "organizations", "list-accounts", "--page-size", "1")
    assert r.returncode == 0, r.stderr
    assert {a["Id"] for a in json.loads(r.stdout)["Accounts"]} == expected

    err = error_of(orgs.list_accounts, NextToken="bm90LWFuLWlk")
    assert err["Error"]["Code"] == "InvalidInputException"


def test_the_management_account_administers_a_new_account(server):
    new_id = server.client("organizations").create_account(
        Email="new@example.com", AccountName="New")["CreateAccountStatus"]["AccountId"]
    role_arn = f"arn:aws:iam::{new_id}:role/OrganizationAccountAccessRole"

    # As in AWS, the root user cannot assume roles: an IAM user allowed to does.
    err = error_of(server.client("sts").assume_role, RoleArn=role_arn, RoleSessionName="root")
    assert err["Error"]["Code"] == "AccessDenied"
    ak, sk = iam_user(server, "operator", [
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}])
    creds = server.client("sts", ak, sk).assume_role(
        RoleArn=role_arn, RoleSessionName="admin")["Credentials"]
    session = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    ident = server.client("sts", *session).get_caller_identity()
    assert ident["Account"] == new_id
    assert ident["Arn"] == f"arn:aws:sts::{new_id}:assumed-role/OrganizationAccountAccessRole/admin"

    # Administrator of the new account: IAM users there, seen by nobody else.
    new_iam = server.client("iam", *session)
    user = new_iam.create_user(UserName="first")["User"]
    assert user["Arn"] == f"arn:aws:iam::{new_id}:user/first"
    attached = new_iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [
        "arn:aws:iam::aws:policy/AdministratorAccess"]
    trust = new_iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert trust["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{server.account_id}:root"}
    assert [u["UserName"] for u in server.client("iam").list_users()["Users"]] == ["operator"]

    # The CLI, with the session's credentials.
    r = aws_cli(server, "iam", "list-users", env_extra={
        "AWS_ACCESS_KEY_ID": session[0], "AWS_SECRET_ACCESS_KEY": session[1],
        "AWS_SESSION_TOKEN": session[2]})
    assert r.returncode == 0, r.stderr
    assert [u["UserName"] for u in json.loads(r.stdout)["Users"]] == ["first"]

    # An admin of a member account is still not the organization's management.
    err = error_of(server.client("organizations", *session).list_accounts)
    assert err["Error"]["Code"] == "AccessDeniedException"
    assert err["Error"]["Message"] == ACCESS_DENIED


def test_iam_users_need_organizations_permissions(server):
    ak, sk = iam_user(server, "nobody", None)
    err = error_of(server.client("organizations", ak, sk).list_accounts)
    assert err["Error"]["Code"] == "AccessDeniedException"
    assert "organizations:ListAccounts" in err["Error"]["Message"]

    ak, sk = iam_user(server, "creator", [
        {"Effect": "Allow", "Action": ["organizations:CreateAccount",
                                       "organizations:Describe*", "organizations:List*"],
         "Resource": "*"}])
    orgs = server.client("organizations", ak, sk)
    assert orgs.create_account(Email="c@example.com",
                               AccountName="C")["CreateAccountStatus"]["State"] == "SUCCEEDED"
    assert len(orgs.list_accounts()["Accounts"]) == 2
    # Tags in the request also need organizations:TagResource.
    err = error_of(orgs.create_account, Email="d@example.com", AccountName="D",
                   Tags=[{"Key": "k", "Value": "v"}])
    assert err["Error"]["Code"] == "AccessDeniedException"
    assert "organizations:TagResource" in err["Error"]["Message"]


def test_member_accounts_are_refused(server):
    member = admin_create_account(server)
    orgs = server.client("organizations", member["AccessKeyId"], member["SecretAccessKey"])
    for call, kwargs in [(orgs.create_account, {"Email": "m@example.com", "AccountName": "M"}),
                         (orgs.list_accounts, {}),
                         (orgs.describe_account, {"AccountId": member["AccountId"]}),
                         (orgs.list_create_account_status, {})]:
        err = error_of(call, **kwargs)
        assert err["Error"]["Code"] == "AccessDeniedException"
        assert err["Error"]["Message"] == ACCESS_DENIED
    # A member may describe its organization.
    org = orgs.describe_organization()["Organization"]
    assert org["MasterAccountId"] == server.account_id
    err = error_of(orgs.create_organization)
    assert err["Error"]["Code"] == "AlreadyInOrganizationException"
    r = aws_cli(server, "organizations", "list-accounts", env_extra={
        "AWS_ACCESS_KEY_ID": member["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": member["SecretAccessKey"]})
    assert r.returncode != 0 and "AccessDeniedException" in r.stderr
    # Nothing was created.
    assert len(server.client("organizations").list_accounts()["Accounts"]) == 2


def test_a_restart_keeps_the_organization_accounts_and_statuses(make_server, data_dir):
    first = make_server(data_dir)
    orgs = first.client("organizations")
    org = orgs.describe_organization()["Organization"]
    status = orgs.create_account(Email="kept@example.com",
                                 AccountName="Kept")["CreateAccountStatus"]
    ak, sk = iam_user(first, "operator", [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])
    accounts = orgs.list_accounts()["Accounts"]
    first.stop()

    second = make_server(data_dir)
    orgs = second.client("organizations")
    assert orgs.describe_organization()["Organization"] == org
    assert orgs.describe_create_account_status(
        CreateAccountRequestId=status["Id"])["CreateAccountStatus"] == status
    assert orgs.list_create_account_status()["CreateAccountStatuses"] == [status]
    assert orgs.list_accounts()["Accounts"] == accounts
    creds = second.client("sts", ak, sk).assume_role(
        RoleArn=f"arn:aws:iam::{status['AccountId']}:role/OrganizationAccountAccessRole",
        RoleSessionName="after-restart")["Credentials"]
    ident = second.client("sts", creds["AccessKeyId"], creds["SecretAccessKey"],
                          creds["SessionToken"]).get_caller_identity()
    assert ident["Account"] == status["AccountId"]
