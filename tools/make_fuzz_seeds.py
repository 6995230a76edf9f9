#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/ from the project's golden requests
(tests/data/protocol/requests.jsonl), the SigV4 test suite (../shared/corpus/sigv4) and the
IAM User Guide's example policies (../shared/corpus/iam/derived),
in each fuzz target's input format (see the comment at the top of each fuzz/*_fuzz.cc)."""
import hashlib
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
PER_TARGET = 60


def write(target, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    counts = {}
    with open(os.path.join(ROOT, "tests", "data", "protocol", "requests.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            svc = r["service"]
            if svc == "kms":
                t = "json_protocol_fuzz"
                data = (r["headers"].get("X-Amz-Target", "") + "\n" + r["body"]).encode()
            elif svc in ("sts", "iam"):
                t = "query_protocol_fuzz"
                data = r["body"].encode() if svc == "sts" else ("?" + r["body"]).encode()
            elif svc in ("guardduty", "securityhub"):
                t = "restjson_protocol_fuzz"
                head = f"{r['method']} {r['target']}\n" + "".join(
                    f"{k}: {v}\n" for k, v in r["headers"].items()) + "\n"
                data = head.encode() + r["body"].encode()
                # The target picks Security Hub when the first byte is odd.
                if (data[0] & 1) != (1 if svc == "securityhub" else 0):
                    continue
            else:
                continue
            if counts.get(t, 0) >= PER_TARGET:
                continue
            counts[t] = counts.get(t, 0) + 1
            write(t, data)
    suite = os.path.join(ROOT, "..", "shared", "corpus", "sigv4")
    for case in sorted(os.listdir(suite)):
        for name in ("header-signed-request.txt", "query-signed-request.txt"):
            p = os.path.join(suite, case, name)
            if not os.path.exists(p):
                continue
            raw = open(p, "rb").read().replace(b"\r\n", b"\n")
            first, _, rest = raw.partition(b"\n")
            if first.endswith(b" HTTP/1.1"):  # the fuzz format's first line: METHOD target
                first = first[: -len(b" HTTP/1.1")]
            write("sigv4_fuzz", first + b"\n" + rest)
    # The policy parser: the policies printed in the IAM User Guide.
    examples = os.path.join(ROOT, "..", "shared", "corpus", "iam", "derived",
                            "iam-doc-example-policies.json")
    with open(examples) as f:
        docs = json.load(f)
    for entry in docs["policies"][:PER_TARGET]:
        doc = entry["policy"] if isinstance(entry, dict) and "policy" in entry else entry
        write("policy_fuzz", json.dumps(doc, indent=2).encode())
    print({t: len(os.listdir(os.path.join(SEEDS, t))) for t in os.listdir(SEEDS)})


if __name__ == "__main__":
    main()
