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
                                            "X-Amz-Target": "TrentService.ListKeys"})
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
                             headers={**JSON_HEADERS, "X-Amz-Target": "TrentService.ListKeys"})
    assert status == 400
    doc = json.loads(body)
    assert doc["__type"] == "UnknownOperationException"
    assert "ListKeys" in doc["message"]


def test_unknown_service_in_scope(server):
    status, _, body = signed(server, body=b"", service="nosuchservice", headers={})
    assert status in (400, 404)


def test_deeply_nested_json_is_refused(server):
    body = b'{"a":' * 10000 + b"1" + b"}" * 10000
    status, _, resp = signed(server, body=body, service="kms",
                             headers={**JSON_HEADERS, "X-Amz-Target": "TrentService.Encrypt"})
    assert status == 400
    assert json.loads(resp)["__type"] in ("SerializationException", "UnknownOperationException")
