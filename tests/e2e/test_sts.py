"""STS GetCallerIdentity end to end, through boto3 and both aws CLI generations."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import aws_cli


def test_boto3_get_caller_identity_is_the_root_user(server):
    ident = server.client("sts").get_caller_identity()
    assert ident["Account"] == server.account_id
    assert ident["Arn"] == f"arn:aws:iam::{server.account_id}:root"
    assert ident["UserId"] == server.account_id
    assert len(ident["ResponseMetadata"]["RequestId"]) == 36


def test_cli_v2_with_the_printed_credentials_file(server):
    r = aws_cli(server, "sts", "get-caller-identity")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["Account"] == server.account_id
    assert out["Arn"].endswith(":root")
    version = subprocess.run(["/usr/bin/aws", "--version"], capture_output=True, text=True)
    assert "aws-cli/2." in version.stdout + version.stderr


def test_cli_v2_needs_nothing_but_the_credentials_file(server):
    # The promise: AWS_SHARED_CREDENTIALS_FILE=DIR/credentials aws --endpoint-url
    # ... sts get-caller-identity. The file carries the region too.
    r = aws_cli(server, "sts", "get-caller-identity", env_extra={"AWS_DEFAULT_REGION": None})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Account"] == server.account_id


def find_cli_v1():
    """An aws CLI v1 on PATH (pyenv installs one on developer machines), or None."""
    for p in os.environ.get("PATH", "").split(os.pathsep):
        cli = shutil.which("aws", path=p) if p else None
        if not cli:
            continue
        v = subprocess.run([cli, "--version"], capture_output=True, text=True)
        if "aws-cli/1." in v.stdout + v.stderr:
            return cli
    return None


CLI_V1 = find_cli_v1()


@pytest.mark.skipif(CLI_V1 is None, reason="no aws CLI v1 on PATH")
def test_cli_v1_if_present(server):
    r = aws_cli(server, "sts", "get-caller-identity", cli=CLI_V1)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Account"] == server.account_id


def test_unsupported_sts_operation_gets_invalid_action(server):
    # AssumeRoot (newer than Debian's botocore) is in Bulwark's STS model but not implemented.
    from rawsig import signed
    status, headers, body = signed(server, method="GET",
                                   query=[("Action", "AssumeRoot"), ("Version", "2011-06-15"),
                                          ("TargetPrincipal", "123456789012")])
    assert status == 400, body
    assert b"<Code>InvalidAction</Code>" in body


def test_query_get_request_with_action_in_the_query_string(server):
    from rawsig import signed
    status, headers, body = signed(server, method="GET",
                                   query=[("Action", "GetCallerIdentity"),
                                          ("Version", "2011-06-15")])
    assert status == 200, body
    assert b"<GetCallerIdentityResult>" in body
    assert server.account_id.encode() in body
    assert headers.get("x-amzn-requestid")


def test_cli_reports_aws_errors(server):
    r = aws_cli(server, "sts", "decode-authorization-message", "--encoded-message", "garbage")
    assert r.returncode != 0
    assert "InvalidAuthorizationMessageException" in r.stderr
    env = {"AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "x" * 40}
    r = aws_cli(server, "sts", "get-caller-identity", env_extra=env)
    assert r.returncode != 0
    assert "InvalidClientTokenId" in r.stderr
