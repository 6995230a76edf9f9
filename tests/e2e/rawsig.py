"""A small, independent SigV4 signer for raw HTTP requests in the end-to-end tests, so
tests control every part of a request (time, headers, body, signature) that boto3 does
not let them break on purpose."""
import datetime
import hashlib
import hmac
import http.client
import urllib.parse


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _quote(s):
    return urllib.parse.quote(s, safe="-_.~")


def sign(method, host, path, query, headers, body, access_key, secret_key, region, service,
         when=None, session_token=None, signed_header_names=None):
    """Returns the headers (with Authorization) for a header-signed request."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = dict(headers)
    headers["Host"] = host
    headers["X-Amz-Date"] = amz_date
    if session_token:
        headers["X-Amz-Security-Token"] = session_token
    payload_hash = hashlib.sha256(body).hexdigest()
    lower = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    names = sorted(signed_header_names or lower.keys())
    canonical_headers = "".join(f"{n}:{lower[n]}\n" for n in names)
    pairs = sorted((_quote(k), _quote(v)) for k, v in query)
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    canonical = "\n".join([method, path, canonical_query, canonical_headers, ";".join(names),
                           payload_hash])
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(("AWS4" + secret_key).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    k = _hmac(k, "aws4_request")
    signature = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers


def send(port, method, path, headers=None, body=b"", query=()):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    target = path
    if query:
        target += "?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query)
    conn.request(method, target, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    result = (resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    conn.close()
    return result


def signed(server, method="POST", path="/", body=b"", headers=None, query=(), service="sts",
           region="us-east-1", access_key=None, secret_key=None, **kw):
    ak, sk = server.credentials()
    host = f"127.0.0.1:{server.port}"
    h = sign(method, host, path, query, headers or {}, body, access_key or ak, secret_key or sk,
             region, service, **kw)
    return send(server.port, method, path, h, body, query)


STS_FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
GET_CALLER_IDENTITY = b"Action=GetCallerIdentity&Version=2011-06-15"
