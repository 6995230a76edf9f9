#!/usr/bin/env python3
"""Generates requests.jsonl: one botocore-serialized request per operation of every model.

Each line: {"service", "operation", "method", "target", "headers", "body", "input"}
where "input" is the botocore parameter dict (blobs as {"$blob": base64}, timestamps as
epoch seconds). Run offline with python3-botocore; the unit tests only read the output.
Usage: generate_requests.py MODELS_DIR > requests.jsonl
"""
import base64
import datetime
import json
import os
import sys

from botocore.awsrequest import prepare_request_dict, create_request_object
from botocore.model import ServiceModel
from botocore.serialize import create_serializer

EPOCH = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
BLOB = b"\x00\x01binary\xff"


def value_for(shape, name, depth, in_header=False, label=False):
    t = shape.type_name
    if t == "structure":
        if depth > 4 or shape.is_document_type:
            return None if depth > 4 else {"a": [1, "x"], "b": {"c": True}}
        out = {}
        for mname, mshape in shape.members.items():
            loc = mshape.serialization.get("location")
            v = value_for(mshape, mname, depth + 1, in_header=loc in ("header", "headers"),
                          label=loc == "uri")
            if v is not None:
                out[mname] = v
            if shape.metadata.get("union") and out:
                break
        if shape.metadata.get("union") and not out:
            return None
        return out
    if t == "list":
        items = [value_for(shape.member, name, depth + 1, in_header) for _ in range(2)]
        items = [i for i in items if i is not None]
        return items
    if t == "map":
        out = {}
        keys = shape.key.enum or ["k1", "k-2"]
        for k in keys[:2]:
            v = value_for(shape.value, name, depth + 1)
            if v is None:
                return {}
            out[k] = v
        return out
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        if in_header:
            s = "hv-" + name
        elif label:
            s = "id " + name + "%2F:@"
        else:
            s = "v " + name + " & <é> +=/?"
        lo = shape.metadata.get("min", 0)
        if len(s) < lo:
            s = s + "x" * (lo - len(s))
        return s
    if t in ("integer", "long"):
        lo = shape.metadata.get("min")
        if lo is not None:
            return int(lo)
        return 7 if t == "integer" else 1234567890123
    if t in ("double", "float"):
        return 1.5
    if t == "boolean":
        return True
    if t == "timestamp":
        return EPOCH
    if t == "blob":
        return BLOB
    raise ValueError(t)


def to_expected(v):
    if isinstance(v, dict):
        return {k: to_expected(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_expected(x) for x in v]
    if isinstance(v, bytes):
        return {"$blob": base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime):
        return int(v.timestamp())
    return v


def main():
    models_dir = sys.argv[1]
    for fname in sorted(os.listdir(models_dir)):
        if not fname.endswith(".json"):
            continue
        name = fname[:-5]
        with open(os.path.join(models_dir, fname)) as f:
            model = ServiceModel(json.load(f), service_name=name)
        protocol = model.metadata["protocol"]
        serializer = create_serializer(protocol, include_validation=False)
        for op_name in model.operation_names:
            op = model.operation_model(op_name)
            params = value_for(op.input_shape, op_name, 0) if op.input_shape else {}
            req = serializer.serialize_to_request(params, op)
            prepare_request_dict(req, "https://example.amazonaws.com")
            prepared = create_request_object(req).prepare()
            url = prepared.url[len("https://example.amazonaws.com"):]
            body = prepared.body or b""
            if isinstance(body, str):
                body = body.encode()
            headers = {k: (v.decode() if isinstance(v, bytes) else v)
                       for k, v in prepared.headers.items()}
            print(json.dumps({
                "service": name, "operation": op_name, "method": prepared.method,
                "target": url or "/", "headers": headers,
                "body": body.decode("utf-8"),
                "input": to_expected(params),
            }, sort_keys=True))


if __name__ == "__main__":
    main()
