"""IAM OpenID Connect providers and STS AssumeRoleWithWebIdentity end to end: an RSA
key made with the openssl CLI, its JWKS given to the server through --oidc-jwks-dir,
ID tokens signed with `openssl dgst -sha256 -sign`, and boto3 / the aws CLI (which send
AssumeRoleWithWebIdentity unsigned).

Interpreter: /usr/bin/python3 (see conftest.py)."""
import base64
import json
import os
import re
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import aws_cli

HOST_PATH = "idp.example.com/tenant"
ISSUER = "https://" + HOST_PATH
CLIENT_ID = "my-client"
KID = "key-1"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


@pytest.fixture
def idp(tmp_path):
    """An RSA signing key and a JWKS directory holding its public half."""
    key = tmp_path / "key.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", str(key)], check=True, capture_output=True)
    out = subprocess.run(["openssl", "rsa", "-in", str(key), "-noout", "-modulus"], check=True,
                         capture_output=True, text=True).stdout
    modulus = bytes.fromhex(re.search(r"Modulus=([0-9A-F]+)", out).group(1))
    jwks_dir = tmp_path / "jwks"
    jwks_dir.mkdir()
    jwks = {"keys": [{"kty": "RSA", "kid": KID, "use": "sig", "alg": "RS256",
                      "n": b64url(modulus), "e": "AQAB"}]}
    (jwks_dir / (HOST_PATH.replace("/", "_") + ".json")).write_text(json.dumps(jwks))
    return {"key": str(key), "jwks_dir": str(jwks_dir)}


def make_token(idp, header=None, **claims):
    now = int(time.time())
    body = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "user-1", "iat": now, "exp": now + 600}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    head = header or {"alg": "RS256", "typ": "JWT", "kid": KID}
    signing_input = (b64url(json.dumps(head).encode()) + "." +
                     b64url(json.dumps(body).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", idp["key"]], input=signing_input,
                         check=True, capture_output=True).stdout
    return signing_input.decode() + "." + b64url(sig)


@pytest.fixture
def oidc_server(make_server, data_dir, idp):
    return make_server(data_dir, "--oidc-jwks-dir", idp["jwks_dir"])


def setup_role(server, sub="user-1"):
    iam = server.client("iam")
    provider_arn = iam.create_open_id_connect_provider(
        Url=ISSUER, ClientIDList=[CLIENT_ID], ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {HOST_PATH + ":aud": CLIENT_ID, HOST_PATH + ":sub": sub}}}]}
    role = iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="web", PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    return provider_arn, role["Arn"]


def test_provider_lifecycle(oidc_server):
    iam = oidc_server.client("iam")
    acct = oidc_server.account_id
    arn = iam.create_open_id_connect_provider(
        Url=ISSUER, ClientIDList=["a", "b"], ThumbprintList=["b" * 40],
        Tags=[{"Key": "k", "Value": "v"}])[
            "OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{acct}:oidc-provider/{HOST_PATH}"
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == HOST_PATH
    assert got["ClientIDList"] == ["a", "b"]
    assert got["ThumbprintList"] == ["b" * 40]
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert listed == [{"Arn": arn}]
    err = error_of(iam.create_open_id_connect_provider, Url=ISSUER, ClientIDList=["a"],
                   ThumbprintList=[])
    assert err["Error"]["Code"] == "EntityAlreadyExists"
    err = error_of(iam.create_open_id_connect_provider, Url="http://plain.example.com",
                   ThumbprintList=[])
    assert err["Error"]["Code"] == "InvalidInput"

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="c")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                   ThumbprintList=["0" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["b", "c"]
    assert got["ThumbprintList"] == ["0" * 40]
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                     Tags=[{"Key": "x", "Value": "y"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["k"])
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"]
    assert tags == [{"Key": "x", "Value": "y"}]

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    err = error_of(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_assume_role_with_web_identity_boto3(oidc_server, idp):
    provider_arn, role_arn = setup_role(oidc_server)
    sts = oidc_server.client("sts")
    out = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="s1",
                                            WebIdentityToken=make_token(idp))
    # boto3 sends this operation unsigned (its model says auth: none).
    assert out["SubjectFromWebIdentityToken"] == "user-1"
    assert out["Audience"] == CLIENT_ID
    assert out["Provider"] == HOST_PATH
    acct = oidc_server.account_id
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct}:assumed-role/web/s1"
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")

    as_role = dict(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                   token=creds["SessionToken"])
    who = oidc_server.client("sts", **as_role).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{acct}:assumed-role/web/s1"
    role_iam = oidc_server.client("iam", **as_role)
    role_iam.list_users()
    assert error_of(role_iam.list_roles)["Error"]["Code"] == "AccessDenied"


def test_assume_role_with_web_identity_cli(oidc_server, idp):
    _, role_arn = setup_role(oidc_server)
    r = aws_cli(oidc_server, "sts", "assume-role-with-web-identity", "--role-arn", role_arn,
                "--role-session-name", "cli", "--web-identity-token", make_token(idp))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["SubjectFromWebIdentityToken"] == "user-1"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_rejected_tokens(oidc_server, idp):
    _, role_arn = setup_role(oidc_server)
    sts = oidc_server.client("sts")

    def code_of(token, arn=role_arn):
        return error_of(sts.assume_role_with_web_identity, RoleArn=arn, RoleSessionName="s2",
                        WebIdentityToken=token)["Error"]["Code"]

    now = int(time.time())
    assert code_of(make_token(idp, exp=now - 3600, iat=now - 7200)) == "ExpiredTokenException"
    assert code_of(make_token(idp, aud="someone-else")) == "InvalidIdentityToken"
    assert code_of(make_token(idp, iss="https://other.example.com")) == "InvalidIdentityToken"
    assert code_of(make_token(idp, header={"alg": "RS256", "kid": "nope"})) == \
        "InvalidIdentityToken"
    # alg "none" with an empty signature.
    head = b64url(json.dumps({"alg": "none"}).encode())
    body = b64url(json.dumps({"iss": ISSUER, "aud": CLIENT_ID, "sub": "user-1",
                              "exp": now + 600}).encode())
    assert code_of(head + "." + body + ".") == "InvalidIdentityToken"
    # A payload changed after signing.
    good = make_token(idp)
    h, _, s = good.split(".")
    forged = b64url(json.dumps({"iss": ISSUER, "aud": CLIENT_ID, "sub": "admin",
                                "exp": now + 600}).encode())
    assert code_of(h + "." + forged + "." + s) == "InvalidIdentityToken"
    assert code_of("not-a-jwt") == "InvalidIdentityToken"
    # A sub the trust policy does not allow.
    assert code_of(make_token(idp, sub="user-2")) == "AccessDenied"
    # A role that does not exist.
    acct = oidc_server.account_id
    assert code_of(make_token(idp), arn=f"arn:aws:iam::{acct}:role/none") == "AccessDenied"
    # Another operation sent unsigned is still refused.
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    anon = boto3.client("sts", endpoint_url=oidc_server.url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED))
    assert error_of(anon.get_caller_identity)["Error"]["Code"] == "MissingAuthenticationToken"


def test_unreachable_issuer(oidc_server, idp):
    """Without a JWKS file the keys are fetched from the issuer; one that cannot be
    reached fails the call with IDPCommunicationError."""
    iam = oidc_server.client("iam")
    iam.create_open_id_connect_provider(Url="https://idp.invalid", ClientIDList=[CLIENT_ID],
                                        ThumbprintList=["a" * 40])
    _, role_arn = setup_role(oidc_server)
    sts = oidc_server.client("sts")
    err = error_of(sts.assume_role_with_web_identity, RoleArn=role_arn, RoleSessionName="s3",
                   WebIdentityToken=make_token(idp, iss="https://idp.invalid"))
    assert err["Error"]["Code"] == "IDPCommunicationError"


def test_session_tags_and_source_identity_from_the_token(oidc_server, idp):
    """AWS's token claims https://aws.amazon.com/tags and .../source_identity become the
    session's tags and source identity, when the trust policy also allows sts:TagSession
    and sts:SetSourceIdentity."""
    iam = oidc_server.client("iam")
    provider_arn = iam.create_open_id_connect_provider(
        Url=ISSUER, ClientIDList=[CLIENT_ID], ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]

    def trust(actions):
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": actions,
            "Condition": {"StringEquals": {HOST_PATH + ":aud": CLIENT_ID}}}]})

    tag_only_if_red = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red",
                                       "aws:SourceIdentity": "alice"}}}]})
    full = iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=trust(
        ["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"]))["Role"]
    iam.put_role_policy(RoleName="tagged", PolicyName="p", PolicyDocument=tag_only_if_red)
    plain = iam.create_role(RoleName="untagged",
                            AssumeRolePolicyDocument=trust("sts:AssumeRoleWithWebIdentity"))["Role"]
    claims = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["red"]},
                                              "transitive_tag_keys": ["team"]},
              "https://aws.amazon.com/source_identity": "alice"}
    sts = oidc_server.client("sts")
    out = sts.assume_role_with_web_identity(RoleArn=full["Arn"], RoleSessionName="tt",
                                            WebIdentityToken=make_token(idp, **claims))
    assert out["SourceIdentity"] == "alice"
    creds = out["Credentials"]
    as_role = oidc_server.client("iam", creds["AccessKeyId"], creds["SecretAccessKey"],
                                 creds["SessionToken"])
    as_role.list_users()  # allowed only with the tag and the source identity
    # A tag of another value does not satisfy the role's condition.
    other = dict(claims)
    other["https://aws.amazon.com/tags"] = {"principal_tags": {"team": ["blue"]}}
    creds = sts.assume_role_with_web_identity(
        RoleArn=full["Arn"], RoleSessionName="t2",
        WebIdentityToken=make_token(idp, **other))["Credentials"]
    as_blue = oidc_server.client("iam", creds["AccessKeyId"], creds["SecretAccessKey"],
                                 creds["SessionToken"])
    assert error_of(as_blue.list_users)["Error"]["Code"] == "AccessDenied"
    # A trust policy without sts:TagSession refuses a tagged token, and takes an untagged one.
    err = error_of(sts.assume_role_with_web_identity, RoleArn=plain["Arn"], RoleSessionName="uu",
                   WebIdentityToken=make_token(idp, **claims))
    assert err["Error"]["Code"] == "AccessDenied"
    sts.assume_role_with_web_identity(RoleArn=plain["Arn"], RoleSessionName="uu",
                                      WebIdentityToken=make_token(idp))
    # Malformed claims.
    for bad in [{"https://aws.amazon.com/tags": {"principal_tags": {"team": "red"}}},
                {"https://aws.amazon.com/tags": {"principal_tags": {"a": ["1"], "A": ["2"]}}},
                {"https://aws.amazon.com/tags": {"principal_tags": {"a": ["1"]},
                                                 "transitive_tag_keys": ["b"]}},
                {"https://aws.amazon.com/tags": {"principal_tags": {
                    f"k{i}": ["v"] for i in range(51)}}},
                {"https://aws.amazon.com/source_identity": "a"},
                {"https://aws.amazon.com/source_identity": "bad identity"}]:
        err = error_of(sts.assume_role_with_web_identity, RoleArn=full["Arn"],
                       RoleSessionName="xx", WebIdentityToken=make_token(idp, **bad))
        assert err["Error"]["Code"] == "InvalidIdentityToken", bad


def https_issuer(tmp_path, name, jwks):
    """An issuer on 127.0.0.1 over HTTPS with a private CA (the system does not trust
    it): serves the discovery document and the JWKS. Returns (issuer URL, the CA's
    SHA-1 thumbprint, the server to shut down)."""
    import http.server
    import ssl
    import threading

    d = tmp_path / name
    d.mkdir()

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=Test IdP CA",
            "-addext", "basicConstraints=critical,CA:TRUE")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
            "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext.cnf")
    (d / "chain.pem").write_text((d / "leaf.pem").read_text() + (d / "ca.pem").read_text())
    der = subprocess.run(["openssl", "x509", "-in", str(d / "ca.pem"), "-outform", "DER"],
                         check=True, capture_output=True).stdout
    thumbprint = __import__("hashlib").sha1(der).hexdigest()

    state = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/.well-known/openid-configuration":
                body = json.dumps({"issuer": state["issuer"],
                                   "jwks_uri": state["issuer"] + "/jwks"}).encode()
            elif self.path == "/jwks":
                body = jwks.encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(d / "chain.pem"), str(d / "leaf.key"))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    state["issuer"] = f"https://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state["issuer"], thumbprint, httpd


def test_issuer_with_a_private_ca_is_trusted_through_its_thumbprint(make_server, data_dir, idp,
                                                                     tmp_path):
    """Keys are fetched from the issuer; its certificate chains to no trusted CA, so the
    provider's ThumbprintList pins it: a listed thumbprint lets the fetch through, an
    unlisted one does not."""
    server = make_server(data_dir)  # no --oidc-jwks-dir: keys come from the issuer
    jwks = (next(__import__("pathlib").Path(idp["jwks_dir"]).iterdir())).read_text()
    good, ca_thumbprint, httpd1 = https_issuer(tmp_path, "good", jwks)
    bad, _, httpd2 = https_issuer(tmp_path, "bad", jwks)
    try:
        iam = server.client("iam")
        sts = server.client("sts")
        for issuer, thumbprint, role in [(good, ca_thumbprint.upper(), "pinned"),
                                         (bad, "0" * 40, "unpinned")]:
            arn = iam.create_open_id_connect_provider(
                Url=issuer, ClientIDList=[CLIENT_ID],
                ThumbprintList=[thumbprint])["OpenIDConnectProviderArn"]
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Federated": arn},
                    "Action": "sts:AssumeRoleWithWebIdentity"}]}))
        acct = server.account_id
        out = sts.assume_role_with_web_identity(
            RoleArn=f"arn:aws:iam::{acct}:role/pinned", RoleSessionName="pin",
            WebIdentityToken=make_token(idp, iss=good))
        assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct}:assumed-role/pinned/pin"
        err = error_of(sts.assume_role_with_web_identity,
                       RoleArn=f"arn:aws:iam::{acct}:role/unpinned", RoleSessionName="pin",
                       WebIdentityToken=make_token(idp, iss=bad))
        assert err["Error"]["Code"] == "IDPCommunicationError"
    finally:
        httpd1.shutdown()
        httpd2.shutdown()
