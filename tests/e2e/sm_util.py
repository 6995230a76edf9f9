"""Helpers of the Secrets Manager end-to-end tests: raw JSON 1.1 requests (signed by
rawsig) for what Debian's botocore does not know yet (BatchGetSecretValue, ListSecrets'
SortBy and IncludePlannedDeletion, DescribeSecret's NextRotationDate)."""
import json

from rawsig import signed


def sm_raw(server, op, params, creds=None):
    """A raw JSON 1.1 request, for what Debian's botocore does not know yet
    (BatchGetSecretValue, ListSecrets' SortBy and IncludePlannedDeletion):
    (HTTP status, decoded body)."""
    ak, sk = creds or (None, None)
    status, _, body = signed(
        server, body=json.dumps(params).encode(), service="secretsmanager",
        headers={"X-Amz-Target": f"secretsmanager.{op}",
                 "Content-Type": "application/x-amz-json-1.1"},
        access_key=ak, secret_key=sk)
    return status, json.loads(body) if body else {}


def sm_ok(server, op, params, creds=None):
    status, body = sm_raw(server, op, params, creds)
    assert status == 200, (op, params, status, body)
    return body


def sm_code(server, op, params, creds=None):
    status, body = sm_raw(server, op, params, creds)
    assert status == 400, (op, params, status, body)
    return body["__type"].split("#")[-1]
