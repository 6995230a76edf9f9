#!/usr/bin/env python3
"""Build catalog/iam/managed-policies.json: AWS managed IAM policies and their documents.

Usage: tools/import_managed_policies.py [CORPUS_DIR] [--extra FILE] [--out FILE]

CORPUS_DIR (default ../shared/corpus/iam/iam-dataset/managedpolicies, relative to the
repository) holds iam-dataset's per-policy files (MIT): name, arn, document, version,
createdate, updatedate. tools/managed_policies_extra.json adds the policies that snapshot
lacks (AdministratorAccess, PowerUserAccess, ...) and corrects metadata it gets wrong;
every entry there names its public source.

The output is one JSON array sorted by PolicyName, each entry
{PolicyName, Path, Arn, DefaultVersionId, CreateDate, UpdateDate, [Description], Document}.
It is committed and embedded in the binary (see CMakeLists.txt), so the server never
needs Python or the corpus at run time. Running the tool twice gives identical bytes.

Why the dates need care: iam-dataset's "createdate" is the creation time of the
policy's *default version*, not of the policy (IAMReadOnlyAccess: 2018-01-25, the date
of v4, while IAM reports CreateDate 2015-02-06). So UpdateDate comes from the corpus,
and CreateDate from the extra file where a source gives it, else the version date.
"""
import argparse
import json
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DEFAULT_CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "iam", "iam-dataset",
                              "managedpolicies")
DEFAULT_EXTRA = os.path.join(ROOT, "tools", "managed_policies_extra.json")
DEFAULT_OUT = os.path.join(ROOT, "catalog", "iam", "managed-policies.json")

ARN_PREFIX = "arn:aws:iam::aws:policy"
# IAM's patterns for policy names, paths and version ids (API reference).
NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
PATH_RE = re.compile(r"^/(?:[\x21-\x7e]+/)*$")
VERSION_RE = re.compile(r"^v[1-9][0-9]*$")
DATE_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:Z|\+00:00)$")
# Keys of an output entry, in output order.
KEYS = ["PolicyName", "Path", "Arn", "DefaultVersionId", "CreateDate", "UpdateDate",
        "Description", "Document"]


def fail(msg):
    sys.exit(f"import_managed_policies: {msg}")


def normalize_date(value, what):
    """ISO 8601 UTC with a 'Z' suffix; the corpus mixes 'Z' and '+00:00'."""
    m = DATE_RE.match(value or "")
    if not m:
        fail(f"{what}: bad date {value!r}")
    return m.group(1) + "Z"


def check_document(doc, what):
    if not isinstance(doc, dict) or "Statement" not in doc:
        fail(f"{what}: document has no Statement")
    if doc.get("Version") not in ("2012-10-17", "2008-10-17"):
        fail(f"{what}: document Version is {doc.get('Version')!r}")


def split_arn(arn, name, what):
    """The path of an AWS managed policy ARN: arn:aws:iam::aws:policy<path><name>."""
    if not arn.startswith(ARN_PREFIX) or not arn.endswith("/" + name):
        fail(f"{what}: unexpected ARN {arn!r}")
    return arn[len(ARN_PREFIX):len(arn) - len(name)]


def load_corpus(corpus_dir):
    if not os.path.isdir(corpus_dir):
        fail(f"no corpus folder {corpus_dir}")
    out = {}
    for fname in sorted(os.listdir(corpus_dir)):
        if not fname.endswith(".json"):
            continue
        with open(os.path.join(corpus_dir, fname), encoding="utf-8") as f:
            src = json.load(f)
        name = src["name"]
        what = f"{fname}"
        # Some entries have no ARN (iam-dataset marks them deprecated); their path must
        # then come from the extra file.
        path = split_arn(src["arn"], name, what) if src.get("arn") else None
        version_date = normalize_date(src.get("updatedate") or src["createdate"], what)
        out[name] = {
            "PolicyName": name,
            "Path": path,
            "DefaultVersionId": src["version"],
            "CreateDate": version_date,
            "UpdateDate": version_date,
            "Document": src["document"],
        }
    return out


def load_extra(path):
    with open(path, encoding="utf-8") as f:
        extra = json.load(f)
    for section in ("policies", "overrides"):
        for entry in extra.get(section, []):
            if not entry.get("Sources"):
                fail(f"{path}: {entry.get('PolicyName')!r} in {section} names no source")
    return extra


def build(corpus_dir, extra_path):
    policies = load_corpus(corpus_dir)
    extra = load_extra(extra_path)

    for entry in extra.get("policies", []):
        name = entry["PolicyName"]
        if name in policies:
            fail(f"{name} is both in the corpus and in {extra_path}")
        policies[name] = {
            "PolicyName": name,
            "Path": entry["Path"],
            "DefaultVersionId": entry["DefaultVersionId"],
            # Without a known creation time, the default version's date stands in, as
            # for the corpus entries.
            "CreateDate": normalize_date(entry.get("CreateDate") or entry["UpdateDate"], name),
            "UpdateDate": normalize_date(entry["UpdateDate"], name),
            "Description": entry.get("Description"),
            "Document": entry["Document"],
        }

    for entry in extra.get("overrides", []):
        name = entry["PolicyName"]
        if name not in policies:
            fail(f"override for unknown policy {name}")
        p = policies[name]
        if "Path" in entry:
            if p["Path"] is not None and p["Path"] != entry["Path"]:
                fail(f"{name}: override path {entry['Path']} contradicts ARN path {p['Path']}")
            p["Path"] = entry["Path"]
        if "CreateDate" in entry:
            p["CreateDate"] = normalize_date(entry["CreateDate"], name)
        if "Description" in entry:
            p["Description"] = entry["Description"]

    out = []
    for name in sorted(policies):
        p = policies[name]
        what = name
        if not NAME_RE.match(name):
            fail(f"{what}: bad policy name")
        if p["Path"] is None:
            fail(f"{what}: no ARN in the corpus and no Path override")
        if not PATH_RE.match(p["Path"]):
            fail(f"{what}: bad path {p['Path']!r}")
        if not VERSION_RE.match(p["DefaultVersionId"]):
            fail(f"{what}: bad version id {p['DefaultVersionId']!r}")
        if p["CreateDate"] > p["UpdateDate"]:
            fail(f"{what}: CreateDate {p['CreateDate']} after UpdateDate {p['UpdateDate']}")
        check_document(p["Document"], what)
        p["Arn"] = ARN_PREFIX + p["Path"] + name
        out.append({k: p[k] for k in KEYS if p.get(k) is not None})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS)
    ap.add_argument("--extra", default=DEFAULT_EXTRA)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    policies = build(args.corpus, args.extra)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    text = json.dumps(policies, indent=1, ensure_ascii=False) + "\n"
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{len(policies)} policies -> {args.out}")


if __name__ == "__main__":
    main()
