"""IAM account-level operations and the policy simulator end to end, with boto3 and the
aws CLI: the account summary, authorization details, the account alias, the credential
report (parsed with the csv module) and SimulatePrincipalPolicy / SimulateCustomPolicy.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import base64
import csv
import io
import json
import time

import botocore.exceptions
import pytest

from conftest import aws_cli

REPORT_COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active", "access_key_1_active",
    "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region",
    "access_key_1_last_used_service", "access_key_2_active", "access_key_2_last_rotated",
    "access_key_2_last_used_date", "access_key_2_last_used_region",
    "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated", "cert_2_active",
    "cert_2_last_rotated"]

ALLOW_S3 = {"Version": "2012-10-17",
            "Statement": [{"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
READ_IAM = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"],
                           "Resource": "*"}]}
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole"}]}


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def cli_json(server, *args):
    r = aws_cli(server, *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout) if r.stdout.strip() else None


def test_account_summary_follows_the_account(server):
    iam = server.client("iam")
    before = iam.get_account_summary()["SummaryMap"]
    assert before["Users"] == 0 and before["Groups"] == 0 and before["Roles"] == 0
    assert before["UsersQuota"] == 5000 and before["PolicySizeQuota"] == 6144
    # The operator's root access key exists.
    assert before["AccountAccessKeysPresent"] == 1
    assert before["AccountMFAEnabled"] == 0

    iam.create_user(UserName="alice")
    iam.create_group(GroupName="devs")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST))
    arn = iam.create_policy(PolicyName="s3", PolicyDocument=json.dumps(ALLOW_S3))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    iam.attach_role_policy(RoleName="app", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")

    after = cli_json(server, "iam", "get-account-summary")["SummaryMap"]
    assert (after["Users"], after["Groups"], after["Roles"], after["Policies"]) == (1, 1, 1, 1)
    assert after["PolicyVersionsInUse"] == 2
    assert set(after) == set(before)


def test_authorization_details_of_a_small_account(server):
    iam = server.client("iam")
    iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "red"}])
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(UserName="alice", GroupName="devs")
    iam.put_user_policy(UserName="alice", PolicyName="s3", PolicyDocument=json.dumps(ALLOW_S3))
    arn = iam.create_policy(PolicyName="read-iam",
                            PolicyDocument=json.dumps(READ_IAM))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="app", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")

    details = iam.get_account_authorization_details()
    assert details["IsTruncated"] is False
    [user] = details["UserDetailList"]
    assert user["UserName"] == "alice" and user["GroupList"] == ["devs"]
    # botocore decodes the percent-encoded documents back into JSON.
    assert user["UserPolicyList"] == [{"PolicyName": "s3", "PolicyDocument": ALLOW_S3}]
    assert user["Tags"] == [{"Key": "team", "Value": "red"}]
    [group] = details["GroupDetailList"]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": "read-iam", "PolicyArn": arn}]
    assert group["GroupPolicyList"] == []
    [role] = details["RoleDetailList"]
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert role["InstanceProfileList"] == [] and role["RolePolicyList"] == []
    policies = {p["Arn"]: p for p in details["Policies"]}
    # Customer policies, and the AWS managed policies in use in the account only.
    assert set(policies) == {arn, "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    [version] = policies[arn]["PolicyVersionList"]
    assert version["Document"] == READ_IAM and version["IsDefaultVersion"] is True

    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert [r["RoleName"] for r in only_roles["RoleDetailList"]] == ["app"]
    assert only_roles["UserDetailList"] == [] and only_roles["Policies"] == []

    # The CLI pages with Marker across the four lists.
    paged = cli_json(server, "iam", "get-account-authorization-details", "--page-size", "1")
    assert len(paged["UserDetailList"]) == 1 and len(paged["Policies"]) == 2
    assert len(paged["GroupDetailList"]) == 1 and len(paged["RoleDetailList"]) == 1


def test_account_alias(server):
    iam = server.client("iam")
    assert iam.list_account_aliases()["AccountAliases"] == []
    cli_json(server, "iam", "create-account-alias", "--account-alias", "example-corp")
    assert cli_json(server, "iam", "list-account-aliases")["AccountAliases"] == ["example-corp"]
    err = error_of(iam.create_account_alias, AccountAlias="example-corp")
    assert err["Error"]["Code"] == "EntityAlreadyExists"
    assert err["Error"]["Message"] == "The account alias example-corp already exists."
    # Model validation: lowercase letters, digits and single hyphens.
    err = error_of(iam.create_account_alias, AccountAlias="Bad--Alias")
    assert err["Error"]["Code"] == "ValidationError"
    iam.create_account_alias(AccountAlias="example-two")
    assert iam.list_account_aliases()["AccountAliases"] == ["example-two"]
    assert error_of(iam.delete_account_alias,
                    AccountAlias="example-corp")["Error"]["Code"] == "NoSuchEntity"
    iam.delete_account_alias(AccountAlias="example-two")
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_credential_report(server):
    iam = server.client("iam")
    err = error_of(iam.get_credential_report)
    assert err["Error"]["Code"] == "ReportNotPresent"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 410

    iam.create_user(UserName="carol")
    iam.put_user_policy(UserName="carol", PolicyName="read", PolicyDocument=json.dumps(READ_IAM))
    first = iam.create_access_key(UserName="carol")["AccessKey"]
    time.sleep(1.1)  # the second key is the newer one: slot 2
    second = iam.create_access_key(UserName="carol")["AccessKey"]
    iam.update_access_key(UserName="carol", AccessKeyId=second["AccessKeyId"], Status="Inactive")
    as_carol = server.client("iam", first["AccessKeyId"], first["SecretAccessKey"])
    as_carol.list_users()  # the first key is used once, for IAM in us-east-1

    started = iam.generate_credential_report()
    assert started["State"] == "STARTED"
    assert started["Description"] == "No report exists. Starting a new report generation task"
    assert iam.generate_credential_report()["State"] == "COMPLETE"

    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    with io.StringIO(report["Content"].decode()) as f:
        assert next(csv.reader(f)) == REPORT_COLUMNS
    root, carol = rows
    assert root["user"] == "<root_account>"
    assert root["arn"] == f"arn:aws:iam::{server.account_id}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["password_next_rotation"] == "not_supported"
    assert root["access_key_1_active"] == "true"  # the operator's key
    assert root["access_key_1_last_used_service"] == "iam"  # used by this very test
    assert root["access_key_2_active"] == "false" and root["cert_1_active"] == "false"

    assert carol["user"] == "carol"
    assert carol["arn"] == f"arn:aws:iam::{server.account_id}:user/carol"
    assert carol["password_enabled"] == "false"
    assert carol["password_last_used"] == "N/A" and carol["password_last_changed"] == "N/A"
    assert carol["mfa_active"] == "false"
    assert carol["access_key_1_active"] == "true"
    assert carol["access_key_1_last_rotated"].endswith("+00:00")
    assert carol["access_key_1_last_used_date"].endswith("+00:00")
    assert carol["access_key_1_last_used_region"] == "us-east-1"
    assert carol["access_key_1_last_used_service"] == "iam"
    assert carol["access_key_2_active"] == "false"  # deactivated
    assert carol["access_key_2_last_rotated"].endswith("+00:00")
    assert carol["access_key_2_last_used_date"] == "N/A"
    assert carol["access_key_2_last_used_region"] == "N/A"
    assert carol["access_key_2_last_used_service"] == "N/A"
    assert (carol["cert_1_active"], carol["cert_1_last_rotated"]) == ("false", "N/A")
    assert carol["access_key_1_last_rotated"] < carol["access_key_2_last_rotated"]

    # The CLI shows the blob base64-encoded, as it does for AWS.
    cli = cli_json(server, "iam", "get-credential-report")
    assert base64.b64decode(cli["Content"]) == report["Content"]
    assert cli["ReportFormat"] == "text/csv"


def test_simulate_allow_deny_boundary_and_context(server):
    iam = server.client("iam")
    account = server.account_id
    iam.create_user(UserName="dev", Path="/eng/")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(UserName="dev", GroupName="devs")
    from_office = {"Version": "2012-10-17", "Statement": [
        {"Sid": "FromOffice", "Effect": "Allow", "Action": ["s3:*", "iam:Get*"], "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}
    no_delete = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}
    iam.put_user_policy(UserName="dev", PolicyName="from-office",
                        PolicyDocument=json.dumps(from_office))
    iam.put_group_policy(GroupName="devs", PolicyName="no-delete",
                         PolicyDocument=json.dumps(no_delete))
    arn = f"arn:aws:iam::{account}:user/eng/dev"
    office = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.7"],
               "ContextKeyType": "ip"}]

    out = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:DeleteBucket", "kms:Decrypt"],
        ContextEntries=office)
    allowed, denied, implicit = out["EvaluationResults"]
    assert allowed["EvalDecision"] == "allowed"
    [st] = allowed["MatchedStatements"]
    assert st["SourcePolicyId"] == "from-office" and st["SourcePolicyType"] == "user"
    assert st["StartPosition"]["Line"] == 1 and st["EndPosition"]["Line"] == 1
    assert allowed["MissingContextValues"] == []
    assert denied["EvalDecision"] == "explicitDeny"
    assert [s["SourcePolicyType"] for s in denied["MatchedStatements"]] == ["group"]
    assert implicit["EvalDecision"] == "implicitDeny" and implicit["MatchedStatements"] == []

    # Without the context key the condition cannot hold, and the key is reported missing.
    away = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"])
    [r] = away["EvaluationResults"]
    assert r["EvalDecision"] == "implicitDeny"
    assert r["MissingContextValues"] == ["aws:SourceIp"]
    elsewhere = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["198.51.100.1"],
                  "ContextKeyType": "ip"}]
    [r] = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject"],
                                        ContextEntries=elsewhere)["EvaluationResults"]
    assert r["EvalDecision"] == "implicitDeny"

    # A permissions boundary that allows only s3 removes iam:GetUser.
    boundary = iam.create_policy(PolicyName="s3-only",
                                 PolicyDocument=json.dumps(ALLOW_S3))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="dev", PermissionsBoundary=boundary)
    s3, get_user = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:PutObject", "iam:GetUser"],
        ContextEntries=office)["EvaluationResults"]
    assert s3["EvalDecision"] == "allowed"
    assert s3["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert get_user["EvalDecision"] == "implicitDeny"
    assert get_user["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    # Resource ARNs: one result per action and resource, with its resource-specific part.
    out = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::a/x", "arn:aws:s3:::b/y"])
    assert [r["EvalResourceName"] for r in out["EvaluationResults"]] == [
        "arn:aws:s3:::a/x", "arn:aws:s3:::b/y"]
    for r in out["EvaluationResults"]:
        [specific] = r["ResourceSpecificResults"]
        assert specific["EvalResourceDecision"] == "implicitDeny"
        assert specific["MissingContextValues"] == ["aws:SourceIp"]

    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert keys == ["aws:SourceIp"]
    err = error_of(iam.simulate_principal_policy,
                   PolicySourceArn=f"arn:aws:iam::{account}:user/ghost", ActionNames=["s3:*"])
    assert err["Error"]["Code"] == "NoSuchEntity"


def test_simulate_custom_policy_matches_aws_cli_example(server):
    # The AWS CLI reference's simulate-custom-policy example, output compared field by field.
    policy = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
              '"Resource":"*","Condition":{"DateGreaterThan":'
              '{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')
    out = cli_json(server, "iam", "simulate-custom-policy", "--policy-input-list", policy,
                   "--action-names", "dynamodb:CreateBackup", "--context-entries",
                   "ContextKeyName='aws:CurrentTime',ContextKeyValues='2019-04-25T11:00:00Z',"
                   "ContextKeyType=date")
    [r] = out["EvaluationResults"]
    assert r["EvalActionName"] == "dynamodb:CreateBackup"
    assert r["EvalResourceName"] == "*"
    assert r["EvalDecision"] == "allowed"
    assert r["MissingContextValues"] == []
    [st] = r["MatchedStatements"]
    assert st["SourcePolicyId"] == "PolicyInputList.1"
    assert st["StartPosition"] == {"Line": 1, "Column": 38}
    assert st["EndPosition"] == {"Line": 1, "Column": 167}

    out = cli_json(server, "iam", "simulate-custom-policy", "--policy-input-list", policy,
                   "--action-names", "dynamodb:CreateBackup", "--context-entries",
                   "ContextKeyName='aws:CurrentTime',ContextKeyValues='2014-04-25T11:00:00Z',"
                   "ContextKeyType=date")
    [r] = out["EvaluationResults"]
    assert r["EvalDecision"] == "implicitDeny" and r["MatchedStatements"] == []

    keys = cli_json(server, "iam", "get-context-keys-for-custom-policy", "--policy-input-list",
                    policy)
    assert keys["ContextKeyNames"] == ["aws:CurrentTime"]


def test_simulation_is_authorized_on_the_simulated_entity(server):
    iam = server.client("iam")
    account = server.account_id
    iam.create_user(UserName="auditor")
    iam.create_user(UserName="target")
    iam.create_user(UserName="other")
    may_simulate_target = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy",
         "Resource": f"arn:aws:iam::{account}:user/target"}]}
    iam.put_user_policy(UserName="auditor", PolicyName="sim",
                        PolicyDocument=json.dumps(may_simulate_target))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    auditor = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    auditor.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{account}:user/target",
                                      ActionNames=["s3:GetObject"])
    err = error_of(auditor.simulate_principal_policy,
                   PolicySourceArn=f"arn:aws:iam::{account}:user/other",
                   ActionNames=["s3:GetObject"])
    assert err["Error"]["Code"] == "AccessDenied"
    assert error_of(auditor.get_account_summary)["Error"]["Code"] == "AccessDenied"
