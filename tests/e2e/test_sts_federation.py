"""STS GetFederationToken, GetAccessKeyInfo and DecodeAuthorizationMessage end to end,
with boto3 and the aws CLI v2.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import json
import time

import botocore.exceptions
import pytest

from conftest import aws_cli, make_user

HEADER = "x-bulwark-authorization-message"


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return dict(Effect="Allow", Action=action, Resource=resource, **extra)


def deny(action, resource="*", **extra):
    return dict(Effect="Deny", Action=action, Resource=resource, **extra)


def session_client(server, service, creds):
    return server.client(service, creds["AccessKeyId"], creds["SecretAccessKey"],
                         creds["SessionToken"])


# --- GetFederationToken ---------------------------------------------------------------
# Which permissions a federated session has (the user's narrowed by the session policy;
# none without one; none once the user is gone) is checked in
# tests/unit/services/iam/authority_test.cc: IAM and STS, the services that exist yet,
# are closed to federated users.

def test_federated_user_identity_and_its_closed_iam_and_sts(server):
    acct = server.account_id
    bob = make_user(server, "bob", allow("sts:GetFederationToken"),
                    allow(["iam:ListUsers", "iam:GetUser"]), allow("kms:*"))
    sts = server.client("sts", *bob)
    out = sts.get_federation_token(Name="fed-bob", DurationSeconds=900,
                                   Policy=policy(allow("kms:ListKeys")))
    assert out["FederatedUser"]["Arn"] == f"arn:aws:sts::{acct}:federated-user/fed-bob"
    assert out["FederatedUser"]["FederatedUserId"] == f"{acct}:fed-bob"
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert 0 < out["PackedPolicySize"] < 100
    ident = session_client(server, "sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{acct}:federated-user/fed-bob"
    assert ident["UserId"] == f"{acct}:fed-bob"
    assert ident["Account"] == acct
    # IAM is closed to federated users whatever the policies say.
    err = error_of(session_client(server, "iam", creds).list_users)
    assert err["Error"]["Code"] == "AccessDenied"
    assert "federated-user/fed-bob" in err["Error"]["Message"]
    # So is STS, but for GetCallerIdentity.
    err = error_of(session_client(server, "sts", creds).get_session_token)
    assert err["Error"]["Code"] == "AccessDenied"


def test_get_federation_token_needs_permission_and_long_term_credentials(server):
    acct = server.account_id
    carol = make_user(server, "carol")
    err = error_of(server.client("sts", *carol).get_federation_token, Name="xx")
    assert err["Error"]["Code"] == "AccessDenied"
    assert err["Error"]["Message"] == (
        f"User: arn:aws:iam::{acct}:user/carol is not authorized to perform: "
        f"sts:GetFederationToken on resource: arn:aws:sts::{acct}:federated-user/xx because no "
        "identity-based policy allows the sts:GetFederationToken action")
    dave = make_user(server, "dave", allow("sts:*"))
    session = server.client("sts", *dave).get_session_token()["Credentials"]
    err = error_of(session_client(server, "sts", session).get_federation_token, Name="yy")
    assert err["Error"]["Code"] == "AccessDenied"
    assert "session credentials" in err["Error"]["Message"]
    # Out-of-range durations and names are refused by the model's constraints.
    unchecked = server.client("sts", *dave, parameter_validation=False)
    err = error_of(unchecked.get_federation_token, Name="zz", DurationSeconds=129601)
    assert err["Error"]["Code"] == "ValidationError"
    err = error_of(unchecked.get_federation_token, Name="z")
    assert err["Error"]["Code"] == "ValidationError"


def test_session_tags_need_tag_session_and_become_principal_tags(server):
    acct = server.account_id
    no_tag = make_user(server, "erin", allow("sts:GetFederationToken"))
    err = error_of(server.client("sts", *no_tag).get_federation_token, Name="tt",
                   Tags=[{"Key": "team", "Value": "red"}])
    assert err["Error"]["Code"] == "AccessDenied"
    assert "sts:TagSession" in err["Error"]["Message"]
    frank = make_user(server, "frank", allow(["sts:GetFederationToken", "sts:TagSession"]),
                      allow("kms:ListKeys"))
    tagged = server.client("sts", *frank).get_federation_token(
        Name="tt", Tags=[{"Key": "team", "Value": "red"}],
        Policy=policy(allow("kms:ListKeys",
                            Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}})))
    assert tagged["FederatedUser"]["Arn"] == f"arn:aws:sts::{acct}:federated-user/tt"
    err = error_of(server.client("sts", *frank).get_federation_token, Name="tt",
                   Tags=[{"Key": "team", "Value": "a"}, {"Key": "TEAM", "Value": "b"}])
    assert err["Error"]["Code"] == "InvalidParameterValue"


def test_root_federation_is_limited_to_one_hour_and_the_session_policy(server):
    out = server.client("sts").get_federation_token(
        Name="rootfed", DurationSeconds=7200, Policy=policy(allow("iam:ListUsers")))
    creds = out["Credentials"]
    ident = session_client(server, "sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{server.account_id}:federated-user/rootfed"
    remaining = creds["Expiration"].timestamp() - time.time()
    assert 3500 < remaining <= 3600


def test_get_federation_token_with_the_cli(server):
    r = aws_cli(server, "sts", "get-federation-token", "--name", "cli-fed", "--policy",
                policy(allow("kms:ListKeys")), "--duration-seconds", "1800")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["FederatedUser"]["Arn"].endswith(":federated-user/cli-fed")


# --- GetAccessKeyInfo -----------------------------------------------------------------

def test_get_access_key_info_names_the_account_of_any_key(server, make_server, tmp_path):
    acct = server.account_id
    root_key = server.credentials()[0]
    hana = make_user(server, "hana", allow("sts:GetAccessKeyInfo"), allow("sts:GetSessionToken"))
    sts = server.client("sts", *hana)
    assert sts.get_access_key_info(AccessKeyId=hana[0])["Account"] == acct
    assert sts.get_access_key_info(AccessKeyId=root_key)["Account"] == acct
    session = sts.get_session_token()["Credentials"]
    assert sts.get_access_key_info(AccessKeyId=session["AccessKeyId"])["Account"] == acct
    # Deleted keys still name their account, and so do AWS's own keys (the published
    # example of the layout).
    iam = server.client("iam")
    spare = iam.create_access_key(UserName="hana")["AccessKey"]["AccessKeyId"]
    iam.delete_access_key(UserName="hana", AccessKeyId=spare)
    assert sts.get_access_key_info(AccessKeyId=spare)["Account"] == acct
    assert sts.get_access_key_info(AccessKeyId="ASIAY34FZKBOKMUTVV7A")["Account"] == "609629065308"
    # Keys of another server's account name that account.
    other = make_server(str(tmp_path / "other"))
    other_key = other.credentials()[0]
    assert sts.get_access_key_info(AccessKeyId=other_key)["Account"] == other.account_id
    # Malformed ids.
    err = error_of(sts.get_access_key_info, AccessKeyId="AKIA0000000000000000")
    assert err["Error"]["Code"] == "ValidationError"
    err = error_of(sts.get_access_key_info, AccessKeyId="AKIA234567ABCDEFGHI")
    assert err["Error"]["Code"] == "ValidationError"


def test_get_access_key_info_needs_permission_and_works_with_the_cli(server):
    ivan = make_user(server, "ivan")
    err = error_of(server.client("sts", *ivan).get_access_key_info, AccessKeyId=ivan[0])
    assert err["Error"]["Code"] == "AccessDenied"
    r = aws_cli(server, "sts", "get-access-key-info", "--access-key-id", ivan[0])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Account"] == server.account_id


# --- DecodeAuthorizationMessage -------------------------------------------------------

def test_denials_carry_an_encoded_message_that_decodes(server):
    acct = server.account_id
    judy = make_user(server, "judy", allow("iam:GetUser"),
                     dict(deny("iam:DeleteUser"), Sid="NoDeletes"))
    iam = server.client("iam", *judy)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_user(UserName="someone")
    headers = e.value.response["ResponseMetadata"]["HTTPHeaders"]
    encoded = headers[HEADER]
    assert len(encoded) > 100
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_users()
    implicit = e.value.response["ResponseMetadata"]["HTTPHeaders"][HEADER]

    # Judy may not decode; the root user (or anyone allowed) may.
    err = error_of(server.client("sts", *judy).decode_authorization_message,
                   EncodedMessage=encoded)
    assert err["Error"]["Code"] == "AccessDenied"
    decoded = json.loads(server.client("sts").decode_authorization_message(
        EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False
    assert decoded["explicitDeny"] is True
    assert decoded["matchedStatements"]["items"] == [{"statementId": "NoDeletes",
                                                      "effect": "DENY"}]
    ctx = decoded["context"]
    assert ctx["action"] == "iam:DeleteUser"
    assert ctx["resource"] == f"arn:aws:iam::{acct}:user/someone"
    assert ctx["principal"]["arn"] == f"arn:aws:iam::{acct}:user/judy"
    assert ctx["principal"]["name"] == "judy"
    keys = {c["key"]: [v["value"] for v in c["values"]["items"]]
            for c in ctx["conditions"]["items"]}
    assert keys["aws:username"] == ["judy"]
    assert keys["aws:requestedregion"] == ["us-east-1"]

    decoded = json.loads(server.client("sts").decode_authorization_message(
        EncodedMessage=implicit)["DecodedMessage"])
    assert decoded["explicitDeny"] is False
    assert decoded["matchedStatements"]["items"] == []
    assert decoded["context"]["action"] == "iam:ListUsers"

    # With the CLI.
    r = aws_cli(server, "sts", "decode-authorization-message", "--encoded-message", encoded)
    assert r.returncode == 0, r.stderr
    assert json.loads(json.loads(r.stdout)["DecodedMessage"])["context"]["action"] == \
        "iam:DeleteUser"


def test_altered_foreign_or_garbage_messages_are_refused(server, make_server, tmp_path):
    judy = make_user(server, "judy")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        server.client("iam", *judy).list_users()
    encoded = e.value.response["ResponseMetadata"]["HTTPHeaders"][HEADER]
    sts = server.client("sts")
    flipped = encoded[:40] + ("A" if encoded[40] != "A" else "B") + encoded[41:]
    for bad in [flipped, encoded[:-4], "not a message", "A" * 5000]:
        err = error_of(sts.decode_authorization_message, EncodedMessage=bad)
        assert err["Error"]["Code"] == "InvalidAuthorizationMessageException", bad[:50]
    # Another server (another root key and account) cannot read it.
    other = make_server(str(tmp_path / "other"))
    err = error_of(other.client("sts").decode_authorization_message, EncodedMessage=encoded)
    assert err["Error"]["Code"] == "InvalidAuthorizationMessageException"
