"""Helpers of the KMS end-to-end tests: AWS errors from boto3 calls, and raw JSON 1.1
requests (signed by rawsig) for what Debian's botocore does not know yet
(DeriveSharedSecret, GetKeyLastUsage, RotateKeyOnDemand, ListKeyRotations, DryRun...)."""
import base64
import json
import subprocess

import botocore.exceptions
import pytest

from rawsig import signed


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]


def code_of(call, *args, **kwargs):
    return error_of(call, *args, **kwargs)["Code"]


def b64(data):
    return base64.b64encode(data).decode()


def kms_raw(server, op, params, creds=None, **kw):
    """A raw JSON 1.1 KMS request: (HTTP status, headers, decoded body)."""
    ak, sk = creds or (None, None)
    status, headers, body = signed(
        server, body=json.dumps(params).encode(), service="kms",
        headers={"X-Amz-Target": f"TrentService.{op}",
                 "Content-Type": "application/x-amz-json-1.1"},
        access_key=ak, secret_key=sk, **kw)
    return status, headers, json.loads(body) if body else {}


def kms_ok(server, op, params, creds=None):
    status, _, body = kms_raw(server, op, params, creds)
    assert status == 200, (op, params, status, body)
    return body


def kms_fail(server, op, params, creds=None):
    """(status, __type, message) of a request that must fail."""
    status, _, body = kms_raw(server, op, params, creds)
    assert status != 200, (op, params, body)
    return status, body.get("__type"), body.get("message", "")


def openssl(*args, stdin=None):
    r = subprocess.run(["openssl", *args], input=stdin, capture_output=True)
    assert r.returncode == 0, (args, r.stderr.decode())
    return r.stdout
