"""SigV4 authentication failures of every kind, end to end, in both the Query (STS) and
JSON (KMS) error shapes."""
import datetime
import json
import re
import time
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from rawsig import GET_CALLER_IDENTITY, STS_FORM, send, signed

NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def query_error(body):
    root = ET.fromstring(body)
    err = root.find(f"{NS}Error")
    if err is None:
        err = root.find("Error")
    code = err.find(f"{NS}Code") if err.find(f"{NS}Code") is not None else err.find("Code")
    msg = err.find(f"{NS}Message") if err.find(f"{NS}Message") is not None else err.find("Message")
    return code.text, msg.text


def boto_error(fn):
    with pytest.raises(ClientError) as e:
        fn()
    return e.value.response


def test_wrong_secret_is_signature_does_not_match(server):
    ak, _ = server.credentials()
    r = boto_error(lambda: server.client("sts", access_key=ak, secret_key="x" * 40)
                   .get_caller_identity())
    assert r["Error"]["Code"] == "SignatureDoesNotMatch"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "signature we calculated does not match" in r["Error"]["Message"]


def test_unknown_access_key_is_invalid_client_token_id(server):
    r = boto_error(lambda: server.client("sts", access_key="AKIAIOSFODNN7EXAMPLE",
                                         secret_key="y" * 40).get_caller_identity())
    assert r["Error"]["Code"] == "InvalidClientTokenId"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert r["Error"]["Message"] == "The security token included in the request is invalid."


def test_unknown_session_token_is_rejected(server):
    r = boto_error(lambda: server.client("sts", token="FQoGZXIvYXdzEXAMPLETOKEN")
                   .get_caller_identity())
    assert r["Error"]["Code"] == "InvalidClientTokenId"


def test_json_protocol_errors_have_json_shapes(server):
    ak, _ = server.credentials()
    kms = server.client("kms", access_key=ak, secret_key="z" * 40)
    r = boto_error(lambda: kms.list_keys())
    assert r["Error"]["Code"] == "InvalidSignatureException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    r = boto_error(lambda: server.client("kms", access_key="AKIAIOSFODNN7EXAMPLE",
                                         secret_key="y" * 40).list_keys())
    assert r["Error"]["Code"] == "UnrecognizedClientException"


def test_missing_authentication_token(server):
    status, _, body = send(server.port, "POST", "/", STS_FORM, GET_CALLER_IDENTITY)
    assert status == 403
    assert query_error(body)[0] == "MissingAuthenticationToken"
    status, headers, body = send(server.port, "POST", "/",
                                 {"X-Amz-Target": "TrentService.ListKeys",
                                  "Content-Type": "application/x-amz-json-1.1"}, b"{}")
    assert status == 403
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize("authorization", [
    "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/sts/aws4_request, "
    "Signature=" + "0" * 64,
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/sts/aws4_request, "
    "SignedHeaders=host;x-amz-date",
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE, SignedHeaders=host, Signature=00",
    "AWS4-HMAC-SHA256",
    "AWS4-HMAC-SHA256 Credential=" + "A" * 20000,
])
def test_incomplete_signature(server, authorization):
    headers = dict(STS_FORM)
    headers["Authorization"] = authorization
    headers["X-Amz-Date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    status, _, body = send(server.port, "POST", "/", headers, GET_CALLER_IDENTITY)
    assert status in (400, 403, 413), body
    if status != 413:
        code, _ = query_error(body)
        assert code in ("IncompleteSignature", "SignatureDoesNotMatch", "InvalidClientTokenId",
                        "MissingAuthenticationToken")
        assert code == "IncompleteSignature" or "Credential=AKIAIOSFODNN7EXAMPLE," in authorization


@pytest.mark.parametrize("minutes", [-16, 16, -60 * 24])
def test_clock_skew_beyond_15_minutes_is_refused(server, minutes):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    status, _, body = signed(server, body=GET_CALLER_IDENTITY, headers=STS_FORM, when=when)
    assert status == 403, body
    code, msg = query_error(body)
    assert code == "SignatureDoesNotMatch"
    assert msg.startswith("Signature expired") or "Signature not yet current" in msg


def test_clock_skew_within_15_minutes_is_accepted(server):
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=14)
    status, _, body = signed(server, body=GET_CALLER_IDENTITY, headers=STS_FORM, when=when)
    assert status == 200, body


def test_tampered_body_fails(server):
    ak, sk = server.credentials()
    from rawsig import sign
    host = f"127.0.0.1:{server.port}"
    headers = sign("POST", host, "/", (), STS_FORM, GET_CALLER_IDENTITY, ak, sk, "us-east-1",
                   "sts")
    status, _, body = send(server.port, "POST", "/", headers,
                           GET_CALLER_IDENTITY.replace(b"2011", b"2012"))
    assert status == 403
    assert query_error(body)[0] == "SignatureDoesNotMatch"


def test_credential_scoped_to_the_wrong_service(server):
    status, _, body = signed(server, body=b"{}", service="sts",
                             headers={"X-Amz-Target": "TrentService.ListKeys",
                                      "Content-Type": "application/x-amz-json-1.1"})
    assert status == 400
    doc = json.loads(body)
    assert doc["__type"] == "InvalidSignatureException"
    assert "Credential should be scoped to correct service: 'kms'" in doc["message"]


def test_presigned_url(server):
    sts = server.client("sts")
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as r:
        body = r.read()
    assert server.account_id.encode() in body
    # boto3 signs with the operation's method (POST) unless told otherwise; such a URL
    # works as an empty POST, and not as a GET (the method is signed).
    post_url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60)
    req = urllib.request.Request(post_url, method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert server.account_id.encode() in r.read()
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(post_url, timeout=10)
    assert e.value.code == 403
    # Any change to a signed part of the URL fails.
    bad = re.sub(r"X-Amz-Signature=([0-9a-f])", lambda m: "X-Amz-Signature=" +
                 ("1" if m.group(1) != "1" else "2"), url)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(bad, timeout=10)
    assert e.value.code == 403
    assert query_error(e.value.read())[0] == "SignatureDoesNotMatch"


def test_presigned_url_expires(server):
    url = server.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=1,
                                                      HttpMethod="GET")
    time.sleep(2.2)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=10)
    assert e.value.code == 403
    code, msg = query_error(e.value.read())
    assert code in ("SignatureDoesNotMatch", "AccessDenied")
    assert "expired" in msg.lower()
