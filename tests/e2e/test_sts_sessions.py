"""STS temporary credentials end to end: AssumeRole with trust policies, ExternalId,
session policies, role chaining and durations; GetSessionToken; and the credentials they
issue, used with boto3 and the aws CLI.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import json
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import aws_cli


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return dict(Effect="Allow", Action=action, Resource=resource, **extra)


class Account:
    def __init__(self, server):
        self.server = server
        self.iam = server.client("iam")
        self.id = server.account_id

    def user(self, name, *statements):
        self.iam.create_user(UserName=name)
        if statements:
            self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy(*statements))
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def role(self, name, trust_principal, *statements, condition=None,
             trust_actions="sts:AssumeRole", **kwargs):
        trust = {"Effect": "Allow", "Principal": {"AWS": trust_principal}, "Action": trust_actions}
        if condition:
            trust["Condition"] = condition
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy(trust),
                                   **kwargs)["Role"]["Arn"]
        if statements:
            self.iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy(*statements))
        return arn

    def client(self, service, creds):
        return self.server.client(service, creds["AccessKeyId"], creds["SecretAccessKey"],
                                  creds["SessionToken"])

    def user_arn(self, name):
        return f"arn:aws:iam::{self.id}:user/{name}"


def test_assume_role_named_in_the_trust_policy(server):
    acct = Account(server)
    alice = acct.user("alice")  # no identity policy: the trust policy names her
    role_arn = acct.role("reader", acct.user_arn("alice"), allow("iam:ListUsers"))
    sts = server.client("sts", *alice)
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SessionToken"]) >= 100
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct.id}:assumed-role/reader/s1"
    role_id = acct.iam.get_role(RoleName="reader")["Role"]["RoleId"]
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{role_id}:s1"

    ident = acct.client("sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{acct.id}:assumed-role/reader/s1"
    assert ident["UserId"] == f"{role_id}:s1"
    as_role = acct.client("iam", creds)
    assert "alice" in [u["UserName"] for u in as_role.list_users()["Users"]]
    err = error_of(as_role.create_user, UserName="x")
    assert err["Error"]["Code"] == "AccessDenied"
    assert err["Error"]["Message"].startswith(
        f"User: arn:aws:sts::{acct.id}:assumed-role/reader/s1 is not authorized to perform: "
        "iam:CreateUser on resource:")
    assert acct.iam.get_role(RoleName="reader")["Role"]["RoleLastUsed"]["Region"] == "us-east-1"

    # Nobody else may assume it; the root user may not assume roles at all.
    bob = acct.user("bob", allow("sts:AssumeRole"))
    err = error_of(server.client("sts", *bob).assume_role, RoleArn=role_arn, RoleSessionName="bb")
    assert err["Error"]["Code"] == "AccessDenied"
    assert f"is not authorized to perform: sts:AssumeRole on resource: {role_arn}" in \
        err["Error"]["Message"]
    err = error_of(server.client("sts").assume_role, RoleArn=role_arn, RoleSessionName="rr")
    assert err["Error"]["Code"] == "AccessDenied"


def test_trust_in_the_account_needs_an_identity_policy_too(server):
    acct = Account(server)
    role_arn = acct.role("ops", f"arn:aws:iam::{acct.id}:root", allow("iam:GetRole"))
    carol = acct.user("carol")
    sts = server.client("sts", *carol)
    assert error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="cc")["Error"]["Code"] == \
        "AccessDenied"
    acct.iam.put_user_policy(UserName="carol", PolicyName="assume",
                             PolicyDocument=policy(allow("sts:AssumeRole", role_arn)))
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="cc")["Credentials"]
    assert acct.client("iam", creds).get_role(RoleName="ops")["Role"]["Arn"] == role_arn
    # An explicit deny in the caller's policies wins over the trust policy.
    acct.iam.put_user_policy(UserName="carol", PolicyName="deny", PolicyDocument=policy(
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}))
    assert error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="cc")["Error"]["Code"] == \
        "AccessDenied"


def test_external_id(server):
    acct = Account(server)
    dave = acct.user("dave")
    role_arn = acct.role("vendor", acct.user_arn("dave"), allow("iam:GetRole"),
                         condition={"StringEquals": {"sts:ExternalId": "Unique-1234"}})
    sts = server.client("sts", *dave)
    for kwargs in ({}, {"ExternalId": "wrong-12345"}):
        err = error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="dd", **kwargs)
        assert err["Error"]["Code"] == "AccessDenied"
    sts.assume_role(RoleArn=role_arn, RoleSessionName="dd", ExternalId="Unique-1234")


def test_session_policies_only_narrow(server):
    acct = Account(server)
    erin = acct.user("erin")
    role_arn = acct.role("wide", acct.user_arn("erin"), allow(["iam:Get*", "iam:List*"]))
    sts = server.client("sts", *erin)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="narrow",
                            Policy=policy(allow(["iam:GetRole", "iam:CreateUser"])))["Credentials"]
    as_session = acct.client("iam", creds)
    as_session.get_role(RoleName="wide")
    err = error_of(as_session.list_users)
    assert err["Error"]["Message"].endswith("because no session policy allows the iam:ListUsers action")
    # The session policy cannot grant what the role does not have.
    err = error_of(as_session.create_user, UserName="x")
    assert err["Error"]["Message"].endswith(
        "because no identity-based policy allows the iam:CreateUser action")

    managed = acct.iam.create_policy(PolicyName="only-list-users",
                                     PolicyDocument=policy(allow("iam:ListUsers")))["Policy"]["Arn"]
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="mm",
                            PolicyArns=[{"arn": managed}])["Credentials"]
    as_session = acct.client("iam", creds)
    as_session.list_users()
    assert error_of(as_session.get_role, RoleName="wide")["Error"]["Code"] == "AccessDenied"

    err = error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="bad", Policy='{"Version":')
    assert err["Error"]["Code"] == "MalformedPolicyDocument"


def test_durations_and_role_chaining(server):
    acct = Account(server)
    frank = acct.user("frank")
    first = acct.role("first", acct.user_arn("frank"), allow("sts:AssumeRole"), MaxSessionDuration=7200)
    second = acct.role("second", first, allow("iam:GetRole"))
    sts = server.client("sts", *frank)
    out = sts.assume_role(RoleArn=first, RoleSessionName="ff", DurationSeconds=7200)
    assert (out["Credentials"]["Expiration"] - out["Credentials"]["Expiration"].now(
        out["Credentials"]["Expiration"].tzinfo)).total_seconds() > 7000
    err = error_of(sts.assume_role, RoleArn=first, RoleSessionName="ff", DurationSeconds=7201)
    assert err["Error"]["Code"] == "ValidationError"
    assert "MaxSessionDuration" in err["Error"]["Message"]

    chained_sts = acct.client("sts", out["Credentials"])
    err = error_of(chained_sts.assume_role, RoleArn=second, RoleSessionName="gg", DurationSeconds=3601)
    assert err["Error"]["Code"] == "ValidationError"
    assert "role chaining" in err["Error"]["Message"]
    chained = chained_sts.assume_role(RoleArn=second, RoleSessionName="gg")
    assert chained["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct.id}:assumed-role/second/gg"
    acct.client("iam", chained["Credentials"]).get_role(RoleName="second")


def test_session_tags_and_source_identity(server):
    acct = Account(server)
    gina = acct.user("gina")
    untagged_arn = acct.role("untagged", acct.user_arn("gina"))
    role_arn = acct.role("tagged", acct.user_arn("gina"), allow(
        "iam:GetRole", Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}}),
        trust_actions=["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])
    sts = server.client("sts", *gina)
    # Tags and source identities need the trust policy to allow sts:TagSession and
    # sts:SetSourceIdentity.
    err = error_of(sts.assume_role, RoleArn=untagged_arn, RoleSessionName="u1",
                   Tags=[{"Key": "team", "Value": "red"}])
    assert "sts:TagSession" in err["Error"]["Message"]
    err = error_of(sts.assume_role, RoleArn=untagged_arn, RoleSessionName="u2",
                   SourceIdentity="gina")
    assert "sts:SetSourceIdentity" in err["Error"]["Message"]
    red = sts.assume_role(RoleArn=role_arn, RoleSessionName="rr", SourceIdentity="gina",
                          Tags=[{"Key": "team", "Value": "red"}])
    assert red["SourceIdentity"] == "gina"
    acct.client("iam", red["Credentials"]).get_role(RoleName="tagged")
    blue = sts.assume_role(RoleArn=role_arn, RoleSessionName="bb",
                           Tags=[{"Key": "team", "Value": "blue"}])["Credentials"]
    assert error_of(acct.client("iam", blue).get_role, RoleName="tagged")["Error"]["Code"] == \
        "AccessDenied"


def test_bad_and_missing_session_tokens(server):
    acct = Account(server)
    hank = acct.user("hank")
    role_arn = acct.role("r", acct.user_arn("hank"))
    creds = server.client("sts", *hank).assume_role(RoleArn=role_arn, RoleSessionName="hh")["Credentials"]
    tampered = dict(creds, SessionToken=creds["SessionToken"][:-4] + "AAAA")
    err = error_of(acct.client("sts", tampered).get_caller_identity)
    assert err["Error"]["Code"] == "InvalidClientTokenId"
    no_token = server.client("sts", creds["AccessKeyId"], creds["SecretAccessKey"])
    assert error_of(no_token.get_caller_identity)["Error"]["Code"] == "InvalidClientTokenId"
    # A long-term key with a session token is refused too.
    with_token = server.client("sts", *hank, creds["SessionToken"])
    assert error_of(with_token.get_caller_identity)["Error"]["Code"] == "InvalidClientTokenId"

    # Deleting the role ends what its sessions may do.
    acct.iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=policy(allow("iam:ListRoles")))
    as_session = acct.client("iam", creds)
    as_session.list_roles()
    acct.iam.delete_role_policy(RoleName="r", PolicyName="p")
    acct.iam.delete_role(RoleName="r")
    assert error_of(as_session.list_roles)["Error"]["Code"] == "AccessDenied"


def test_get_session_token(server):
    acct = Account(server)
    ivy = acct.user("ivy", allow("iam:ListUsers"))
    out = server.client("sts", *ivy).get_session_token(DurationSeconds=900)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    ident = acct.client("sts", creds).get_caller_identity()
    assert ident["Arn"] == acct.user_arn("ivy")
    acct.client("iam", creds).list_users()
    assert error_of(acct.client("iam", creds).list_roles)["Error"]["Code"] == "AccessDenied"
    err = error_of(acct.client("sts", creds).get_session_token)
    assert err["Error"]["Code"] == "AccessDenied"
    # The root user gets at most an hour.
    root = server.client("sts").get_session_token(DurationSeconds=7200)["Credentials"]
    left = (root["Expiration"] - root["Expiration"].now(root["Expiration"].tzinfo)).total_seconds()
    assert 3500 < left <= 3600


def test_cli_assume_role_and_use_the_credentials(server):
    acct = Account(server)
    jack_key, jack_secret = acct.user("jack")
    role_arn = acct.role("cli-role", acct.user_arn("jack"), allow("iam:ListRoles"))
    env = {"AWS_ACCESS_KEY_ID": jack_key, "AWS_SECRET_ACCESS_KEY": jack_secret,
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    r = aws_cli(server, "sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "cli",
                env_extra=env)
    assert r.returncode == 0, r.stderr
    creds = json.loads(r.stdout)["Credentials"]
    session_env = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                   "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                   "AWS_SESSION_TOKEN": creds["SessionToken"],
                   "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    r = aws_cli(server, "sts", "get-caller-identity", env_extra=session_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Arn"] == f"arn:aws:sts::{acct.id}:assumed-role/cli-role/cli"
    r = aws_cli(server, "iam", "list-roles", env_extra=session_env)
    assert r.returncode == 0 and "cli-role" in r.stdout
    r = aws_cli(server, "iam", "list-users", env_extra=session_env)
    assert r.returncode == 254 and "(AccessDenied)" in r.stderr


def totp(seed, at):
    """oathtool's code (Debian package oathtool) for the time step containing `at`."""
    out = subprocess.run(["oathtool", "--totp", "-b", "-N", "@%d" % at, seed],
                         capture_output=True, text=True, check=True, timeout=10)
    return out.stdout.strip()


def enable_mfa(acct, user):
    """A virtual MFA device enabled for `user`; returns (serial, seed, the step used)."""
    device = acct.iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-mfa")["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    now = time.time()
    if now % 30 > 25:  # keep all codes of this test within one step of the clock
        time.sleep(30 - now % 30 + 0.1)
        now = time.time()
    step = int(now) - int(now) % 30
    acct.iam.enable_mfa_device(UserName=user, SerialNumber=device["SerialNumber"],
                               AuthenticationCode1=totp(seed, step - 30),
                               AuthenticationCode2=totp(seed, step))
    return device["SerialNumber"], seed, step


def test_assume_role_with_mfa(server):
    acct = Account(server)
    kim = acct.user("kim")
    serial, seed, step = enable_mfa(acct, "kim")
    role_arn = acct.role("needs-mfa", acct.user_arn("kim"), allow(
        "iam:ListRoles", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    sts = server.client("sts", *kim)
    assert error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="no-mfa")["Error"][
        "Code"] == "AccessDenied"
    code = totp(seed, step + 30)  # the code after the two that enabled the device
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="mfa", SerialNumber=serial,
                            TokenCode=code)["Credentials"]
    acct.client("iam", creds).list_roles()  # the session carries aws:MultiFactorAuthPresent
    # A code works once.
    err = error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="again",
                   SerialNumber=serial, TokenCode=code)
    assert err["Error"]["Code"] == "AccessDenied"
    assert "MultiFactorAuthentication failed" in err["Error"]["Message"]


def test_get_session_token_with_mfa_unlocks_mfa_only_permissions(server):
    acct = Account(server)
    lee = acct.user("lee", allow("iam:ListUsers", Condition={
        "Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    serial, seed, step = enable_mfa(acct, "lee")
    sts = server.client("sts", *lee)
    plain = sts.get_session_token()["Credentials"]
    assert error_of(acct.client("iam", plain).list_users)["Error"]["Code"] == "AccessDenied"
    err = error_of(sts.get_session_token, SerialNumber=serial, TokenCode="000000")
    assert err["Error"]["Code"] == "AccessDenied"
    with_mfa = sts.get_session_token(SerialNumber=serial,
                                     TokenCode=totp(seed, step + 30))["Credentials"]
    acct.client("iam", with_mfa).list_users()
