#!/usr/bin/env python3
"""Import AWS service models from an installed botocore into models/.

Usage: tools/import_models.py [--botocore-data DIR] [--out models]

For each service Bulwark implements, the newest API version's service-2.json
(plain or gzip'd) is read, every "documentation"-like field is stripped, and the
result is written compactly as models/<service>.json. The output is committed and
embedded in the binary, so the server never needs Python or botocore at run time.
"""
import argparse
import gzip
import json
import os
import sys

SERVICES = [
    "iam", "sts", "kms", "secretsmanager", "ssm", "acm", "acm-pca", "wafv2",
    "shield", "cloudtrail", "config", "guardduty", "securityhub", "inspector2",
    "macie2", "detective", "accessanalyzer", "organizations",
]

# Keys that carry prose only; they do not change the wire format.
STRIP_KEYS = {"documentation", "documentationUrl", "deprecatedMessage", "examples"}


def default_data_dir():
    try:
        import botocore  # noqa: F401
    except ImportError:
        sys.exit("botocore is not importable; pass --botocore-data")
    return os.path.join(os.path.dirname(botocore.__file__), "data")


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in STRIP_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def load_model(service_dir):
    versions = sorted(v for v in os.listdir(service_dir)
                      if os.path.isdir(os.path.join(service_dir, v)))
    if not versions:
        raise FileNotFoundError(service_dir)
    vdir = os.path.join(service_dir, versions[-1])
    plain = os.path.join(vdir, "service-2.json")
    if os.path.exists(plain):
        with open(plain, encoding="utf-8") as f:
            return json.load(f)
    with gzip.open(plain + ".gz", "rt", encoding="utf-8") as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--botocore-data", default=None)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "models"))
    args = ap.parse_args()
    data = args.botocore_data or default_data_dir()
    os.makedirs(args.out, exist_ok=True)
    import botocore
    for name in SERVICES:
        model = strip(load_model(os.path.join(data, name)))
        model.pop("documentation", None)
        path = os.path.join(args.out, name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(model, f, separators=(",", ":"))
            f.write("\n")
        print(f"{name}: {model['metadata']['apiVersion']} "
              f"{len(model['operations'])} operations -> {path}")
    with open(os.path.join(args.out, "VERSION"), "w", encoding="utf-8") as f:
        f.write(f"botocore {getattr(botocore, '__version__', 'unknown')}\n")


if __name__ == "__main__":
    main()
