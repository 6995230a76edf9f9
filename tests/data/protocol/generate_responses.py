#!/usr/bin/env python3
"""Generates responses.jsonl: one output value per operation (with an output shape) of
every model, for the encoder tests. Each line: {"service", "operation", "output"} with
blobs as {"$blob": base64} and timestamps as epoch seconds.

check_responses.py then parses what the C++ encoder produced (dumped by the unit test when
BULWARK_DUMP_RESPONSES names a file) with botocore's own response parsers and compares.
Usage: generate_responses.py MODELS_DIR > responses.jsonl
"""
import json
import os
import sys

from botocore.model import ServiceModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_requests import to_expected, value_for  # noqa: E402


def main():
    models_dir = sys.argv[1]
    for fname in sorted(os.listdir(models_dir)):
        if not fname.endswith(".json"):
            continue
        name = fname[:-5]
        with open(os.path.join(models_dir, fname)) as f:
            model = ServiceModel(json.load(f), service_name=name)
        for op_name in model.operation_names:
            op = model.operation_model(op_name)
            if op.output_shape is None:
                continue
            out = value_for(op.output_shape, op_name, 0, in_header=True)
            print(json.dumps({"service": name, "operation": op_name,
                              "output": to_expected(out)}, sort_keys=True))


if __name__ == "__main__":
    main()
