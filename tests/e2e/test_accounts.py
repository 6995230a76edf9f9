"""Several accounts in one server: `bulwark admin create-account`, and roles assumed
across accounts when both the trust policy and the caller's own policies allow it.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import configparser
import json
import os
import stat
import subprocess

import botocore.exceptions
import pytest

from conftest import BIN, aws_cli


def create_account(server, *args):
    r = subprocess.run([BIN, "admin", "create-account", "--data-dir", server.data_dir, *args],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_create_account_while_serving(server):
    other = create_account(server, "--profile", "second")
    assert len(other["AccountId"]) == 12 and other["AccountId"] != server.account_id
    root = server.client("sts", other["AccessKeyId"], other["SecretAccessKey"])
    assert root.get_caller_identity()["Arn"] == f"arn:aws:iam::{other['AccountId']}:root"
    # The profile is in the credentials file, which stays private.
    cp = configparser.ConfigParser()
    cp.read(server.credentials_file)
    assert cp["second"]["aws_access_key_id"] == other["AccessKeyId"]
    assert stat.S_IMODE(os.stat(server.credentials_file).st_mode) == 0o600
    r = aws_cli(server, "sts", "get-caller-identity", "--profile", "second")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Account"] == other["AccountId"]

    listed = subprocess.run([BIN, "admin", "list-accounts", "--data-dir", server.data_dir],
                            capture_output=True, text=True, timeout=30).stdout.split()
    assert listed[0] == server.account_id and other["AccountId"] in listed

    # Its root access key counts as the account's, as the default account's does.
    other_summary = server.client("iam", other["AccessKeyId"], other["SecretAccessKey"])
    assert other_summary.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 1
    assert server.client("iam").get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 1

    # Accounts do not see each other's identities.
    server.client("iam").create_user(UserName="only-in-first")
    other_iam = server.client("iam", other["AccessKeyId"], other["SecretAccessKey"])
    assert other_iam.list_users()["Users"] == []


def test_admin_refuses_a_missing_data_directory(tmp_path):
    r = subprocess.run([BIN, "admin", "create-account", "--data-dir", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "no data directory" in r.stderr
    assert not (tmp_path / "none").exists()


def test_cross_account_assume_role_needs_both_sides(server):
    a_iam = server.client("iam")
    b = create_account(server)
    b_iam = server.client("iam", b["AccessKeyId"], b["SecretAccessKey"])
    a_iam.create_user(UserName="traveller")
    key = a_iam.create_access_key(UserName="traveller")["AccessKey"]
    traveller = f"arn:aws:iam::{server.account_id}:user/traveller"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": traveller}, "Action": "sts:AssumeRole"}]}
    role_arn = b_iam.create_role(RoleName="from-a",
                                 AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    b_iam.put_role_policy(RoleName="from-a", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}))
    sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])

    # The trust policy alone is not enough across accounts.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="visit")
    assert e.value.response["Error"]["Code"] == "AccessDenied"

    a_iam.put_user_policy(UserName="traveller", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}))
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="visit")["Credentials"]
    session = server.client("sts", creds["AccessKeyId"], creds["SecretAccessKey"],
                            creds["SessionToken"])
    ident = session.get_caller_identity()
    assert ident["Account"] == b["AccountId"]
    assert ident["Arn"] == f"arn:aws:sts::{b['AccountId']}:assumed-role/from-a/visit"
    as_b = server.client("iam", creds["AccessKeyId"], creds["SecretAccessKey"],
                         creds["SessionToken"])
    assert [r["RoleName"] for r in as_b.list_roles()["Roles"]] == ["from-a"]
