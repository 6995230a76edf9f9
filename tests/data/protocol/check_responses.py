#!/usr/bin/env python3
"""Parses the responses the C++ encoder produced with botocore's parsers and checks that
botocore reads back exactly the output the handler gave.
Usage: BULWARK_DUMP_RESPONSES=/tmp/dump.jsonl bulwark_protocol_tests \
           --gtest_filter=GoldenEncode*; check_responses.py MODELS_DIR /tmp/dump.jsonl
"""
import base64
import datetime
import json
import os
import sys

from botocore.model import ServiceModel
from botocore.parsers import create_parser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_requests import to_expected  # noqa: E402


def main():
    models_dir, dump = sys.argv[1], sys.argv[2]
    models = {}
    failures = 0
    count = 0
    for line in open(dump):
        case = json.loads(line)
        name = case["service"]
        if name not in models:
            with open(os.path.join(models_dir, name + ".json")) as f:
                models[name] = ServiceModel(json.load(f), service_name=name)
        model = models[name]
        op = model.operation_model(case["operation"])
        parser = create_parser(model.metadata["protocol"])
        response = {"status_code": case["status"], "headers": case["headers"],
                    "body": case["body"].encode("utf-8") if isinstance(case["body"], str)
                    else base64.b64decode(case["body_b64"])}
        try:
            parsed = parser.parse(response, op.output_shape)
        except Exception as e:  # noqa: BLE001 - report and continue
            failures += 1
            print("PARSE ERROR", name, case["operation"], e)
            continue
        parsed.pop("ResponseMetadata", None)
        got = to_expected(parsed)
        count += 1
        if got != case["output"]:
            failures += 1
            if failures < 10:
                print("MISMATCH", name, case["operation"])
                print("  got ", json.dumps(got, sort_keys=True)[:800])
                print("  want", json.dumps(case["output"], sort_keys=True)[:800])
    print(f"{count} responses checked, {failures} mismatches")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
