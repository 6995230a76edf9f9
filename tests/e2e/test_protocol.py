"""Protocol errors end to end: malformed bodies, unknown actions and operations."""
import json
import xml.etree.ElementTree as ET

from rawsig import STS_FORM, signed

JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.1"}


def code_of(body):
    root = ET.fromstring(body)
    for el in root.iter():
        if el.tag.endswith("Code"):
            return el.text
    return None


def test_query_unknown_action(server):
    status, _, body = signed(server, body=b"Action=NoSuchThing&Version=2011-06-15",
                             headers=STS_FORM)
    assert status == 400
    assert code_of(body) == "InvalidAction"


def test_query_missing_action(server):
    status, _, body = signed(server, body=b"Version=2011-06-15", headers=STS_FORM)
    assert status == 400
    assert code_of(body) in ("MissingAction", "InvalidAction")


def test_query_error_has_request_id(server):
    status, headers, body = signed(server, body=b"Action=NoSuchThing&Version=2011-06-15",
                                   headers=STS_FORM)
    root = ET.fromstring(body)
    assert root.tag.endswith("ErrorResponse")
    rid = [el.text for el in root.iter() if el.tag.endswith("RequestId")]
    assert rid and len(rid[0]) == 36


def test_json_malformed_body(server):
    status, headers, body = signed(server, body=b"{not json", service="kms",
                                   headers={**JSON_HEADERS,
                                            "X-Amz-Target": "TrentService.ConnectCustomKeyStore"})
    assert status == 400
    doc = json.loads(body)
    assert doc["__type"] in ("SerializationException",)
    assert headers.get("x-amzn-requestid")


def test_json_unknown_operation(server):
    status, _, body = signed(server, body=b"{}", service="kms",
                             headers={**JSON_HEADERS, "X-Amz-Target": "TrentService.Nope"})
    assert status == 400
    assert json.loads(body)["__type"] == "UnknownOperationException"


def test_json_operation_not_yet_supported(server):
    status, _, body = signed(server, body=b"{}", service="kms",
                             headers={**JSON_HEADERS, "X-Amz-Target": "TrentService.ConnectCustomKeyStore"})
    assert status == 400
    doc = json.loads(body)
    assert doc["__type"] == "UnknownOperationException"
    assert "ConnectCustomKeyStore" in doc["message"]


def test_unknown_service_in_scope(server):
    status, _, body = signed(server, body=b"", service="nosuchservice", headers={})
    assert status in (400, 404)


def test_deeply_nested_json_is_refused(server):
    body = b'{"a":' * 10000 + b"1" + b"}" * 10000
    status, _, resp = signed(server, body=body, service="kms",
                             headers={**JSON_HEADERS, "X-Amz-Target": "TrentService.Encrypt"})
    assert status == 400
    assert json.loads(resp)["__type"] in ("SerializationException", "UnknownOperationException")


def test_rest_json_error_shape_through_boto3(server):
    # GuardDuty is rest-json: routed by the credential scope and the URI template; its
    # operations are not implemented yet, and boto3 must still parse the error.
    import pytest
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as e:
        server.client("guardduty").list_detectors()
    assert e.value.response["Error"]["Code"] == "UnknownOperationException"
    assert "ListDetectors" in e.value.response["Error"]["Message"]
    assert e.value.response["ResponseMetadata"]["RequestId"]


def test_json_error_shape_through_boto3(server):
    import pytest
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as e:
        server.client("kms").describe_custom_key_stores()
    assert e.value.response["Error"]["Code"] == "UnknownOperationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_oversized_json_request_gets_a_json_error(server):
    from rawsig import send
    status, headers, body = send(server.port, "POST", "/",
                                 {**JSON_HEADERS, "X-Amz-Target": "TrentService.Encrypt"},
                                 b"{" + b" " * (11 * 1024 * 1024) + b"}")
    assert status == 413
    assert json.loads(body)["__type"] == "RequestEntityTooLargeException"
