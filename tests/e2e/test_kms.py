"""KMS end to end with boto3 and the aws CLI v2: symmetric keys, their lifecycle, key
policies as the primary authority, and the ciphertext blob (self-identifying, bound to
the encryption context, tamper-evident).

Interpreter: /usr/bin/python3 (see conftest.py)."""
import base64
import json
import os
import subprocess

import botocore.exceptions
import pytest

from conftest import aws_cli, make_user


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def code_of(call, *args, **kwargs):
    return error_of(call, *args, **kwargs)["Error"]["Code"]


def test_create_describe_list_and_default_policy(server):
    kms = server.client("kms")
    acct = server.account_id
    meta = kms.create_key(Description="first")["KeyMetadata"]
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["Origin"] == "AWS_KMS" and meta["KeyManager"] == "CUSTOMER"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{acct}:key/{meta['KeyId']}"
    assert meta["AWSAccountId"] == acct and meta["Description"] == "first"
    got = kms.describe_key(KeyId=meta["Arn"])["KeyMetadata"]
    assert got["KeyId"] == meta["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{acct}:root"}
    assert kms.list_key_policies(KeyId=meta["KeyId"])["PolicyNames"] == ["default"]

    ids = {meta["KeyId"]} | {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(4)}
    pages = kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2})
    listed = [k["KeyId"] for page in pages for k in page["Keys"]]
    assert sorted(listed) == sorted(ids)
    first = kms.list_keys(Limit=2)
    assert first["Truncated"] is True and len(first["Keys"]) == 2

    assert code_of(kms.describe_key, KeyId="not-a-key") == "NotFoundException"
    missing = f"arn:aws:kms:us-east-1:{acct}:key/00000000-0000-4000-8000-000000000000"
    err = error_of(kms.describe_key, KeyId=missing)
    assert err["Error"]["Code"] == "NotFoundException"
    assert err["Error"]["Message"] == f"Key '{missing}' does not exist"
    # SM2 is for AWS's China Regions only.
    assert code_of(kms.create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY") == \
        "UnsupportedOperationException"


def test_encrypt_decrypt_and_the_encryption_context(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    ctx = {"purpose": "test", "tenant": "a"}
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"attack at dawn", EncryptionContext=ctx)
    assert out["KeyId"] == key["Arn"] and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = out["CiphertextBlob"]
    assert b"attack at dawn" not in blob
    # Decrypt finds the key by itself; the context must match exactly.
    back = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert back["Plaintext"] == b"attack at dawn" and back["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(ctx.items())),
                       KeyId=key["Arn"])["Plaintext"] == b"attack at dawn"
    for bad in [{}, {"purpose": "test"}, {"purpose": "test", "tenant": "b"},
                {**ctx, "extra": "x"}]:
        assert code_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=bad) == \
            "InvalidCiphertextException"
    # Every altered byte is refused.
    for i in range(0, len(blob), 9):
        altered = bytearray(blob)
        altered[i] ^= 0x01
        assert code_of(kms.decrypt, CiphertextBlob=bytes(altered), EncryptionContext=ctx) == \
            "InvalidCiphertextException", i
    assert code_of(kms.decrypt, CiphertextBlob=blob[:30]) == "InvalidCiphertextException"
    # Naming another key than the blob's.
    other = kms.create_key()["KeyMetadata"]
    assert code_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx,
                   KeyId=other["KeyId"]) == "IncorrectKeyException"
    # Limits: 4096 bytes of plaintext.
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4096)
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x" * 4097) == "ValidationException"


def test_data_keys_and_random(server, tmp_path):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    dk = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256",
                               EncryptionContext={"k": "v"})
    assert len(dk["Plaintext"]) == 32 and dk["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"],
                       EncryptionContext={"k": "v"})["Plaintext"] == dk["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")["Plaintext"]) == 16
    assert len(kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=7)["Plaintext"]) == 7
    assert code_of(kms.generate_data_key, KeyId=key["KeyId"]) == "ValidationException"
    wp = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in wp
    assert len(kms.decrypt(CiphertextBlob=wp["CiphertextBlob"])["Plaintext"]) == 32
    # The data key is a working AES-256 key for OpenSSL.
    (tmp_path / "msg").write_bytes(b"hello")
    hexkey = dk["Plaintext"].hex()
    subprocess.run(["openssl", "enc", "-aes-256-cbc", "-K", hexkey, "-iv", "00" * 16, "-in",
                    str(tmp_path / "msg"), "-out", str(tmp_path / "enc")], check=True)
    plain = subprocess.run(["openssl", "enc", "-d", "-aes-256-cbc", "-K", hexkey, "-iv",
                            "00" * 16, "-in", str(tmp_path / "enc")], check=True,
                           capture_output=True).stdout
    assert plain == b"hello"
    r1 = kms.generate_random(NumberOfBytes=64)["Plaintext"]
    assert len(r1) == 64 and r1 != kms.generate_random(NumberOfBytes=64)["Plaintext"]
    assert code_of(kms.generate_random, NumberOfBytes=1025) == "ValidationException"


def test_lifecycle_disable_enable_and_deletion(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p") == "DisabledException"
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
    kms.update_key_description(KeyId=key["KeyId"], Description="renamed")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "renamed"

    assert code_of(kms.schedule_key_deletion, KeyId=key["KeyId"], PendingWindowInDays=6) == \
        "ValidationException"
    out = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and "DeletionDate" in meta
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p") == \
        "KMSInvalidStateException"
    assert code_of(kms.enable_key, KeyId=key["KeyId"]) == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert code_of(kms.cancel_key_deletion, KeyId=key["KeyId"]) == "KMSInvalidStateException"


def test_key_policy_is_the_primary_authority(server):
    acct = server.account_id
    kms = server.client("kms")
    # IAM alone does not reach a key whose policy does not delegate to the account.
    alice = make_user(server, "alice", {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    as_alice = server.client("kms", *alice)
    shared = kms.create_key()["KeyMetadata"]  # default policy: IAM decides
    as_alice.encrypt(KeyId=shared["KeyId"], Plaintext=b"ok")
    only_bob = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
         "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey"], "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:user/bob"},
         "Action": "kms:Encrypt", "Resource": "*"}]})
    locked = kms.create_key(Policy=only_bob)["KeyMetadata"]
    err = error_of(as_alice.encrypt, KeyId=locked["KeyId"], Plaintext=b"no")
    assert err["Error"]["Code"] == "AccessDeniedException"
    assert "because no resource-based policy allows the kms:Encrypt action" in \
        err["Error"]["Message"]
    # The key policy grants bob without any IAM policy of his own.
    bob = make_user(server, "bob")
    server.client("kms", *bob).encrypt(KeyId=locked["KeyId"], Plaintext=b"yes")
    # Even the root user is bound by the key policy.
    assert code_of(kms.encrypt, KeyId=locked["KeyId"], Plaintext=b"x") == "AccessDeniedException"
    # Encryption context conditions.
    ctx_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:EncryptionContext:tenant": "a"}}}]})
    guarded = kms.create_key(Policy=ctx_policy)["KeyMetadata"]
    blob_a = kms.encrypt(KeyId=guarded["KeyId"], Plaintext=b"a",
                         EncryptionContext={"tenant": "a"})["CiphertextBlob"]
    blob_b = kms.encrypt(KeyId=guarded["KeyId"], Plaintext=b"b",
                         EncryptionContext={"tenant": "b"})["CiphertextBlob"]
    assert as_alice.decrypt(CiphertextBlob=blob_a, EncryptionContext={"tenant": "a"})[
        "Plaintext"] == b"a"
    assert code_of(as_alice.decrypt, CiphertextBlob=blob_b, EncryptionContext={"tenant": "b"}) \
        == "AccessDeniedException"
    # A malformed key policy.
    assert code_of(kms.put_key_policy, KeyId=shared["KeyId"], PolicyName="default",
                   Policy="{}") == "MalformedPolicyDocumentException"
    assert code_of(kms.create_key, Policy='{"Statement": []}') == \
        "MalformedPolicyDocumentException"


def test_keys_and_ciphertexts_survive_kill_9(make_server, data_dir):
    import signal
    server = make_server(data_dir)
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"durable")["CiphertextBlob"]
    server.stop(signal.SIGKILL)
    again = make_server(data_dir)
    assert again.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"durable"
    # The key material is not in the data directory in the clear.
    db = b"".join(open(os.path.join(data_dir, f), "rb").read()
                  for f in os.listdir(data_dir) if f.startswith("bulwark.db"))
    assert b"durable" not in db


def test_cli_encrypts_and_decrypts(server, tmp_path):
    r = aws_cli(server, "kms", "create-key", "--description", "cli")
    assert r.returncode == 0, r.stderr
    key_id = json.loads(r.stdout)["KeyMetadata"]["KeyId"]
    (tmp_path / "plain").write_bytes(b"from the cli")
    r = aws_cli(server, "kms", "encrypt", "--key-id", key_id, "--plaintext",
                f"fileb://{tmp_path / 'plain'}", "--query", "CiphertextBlob", "--output", "text")
    assert r.returncode == 0, r.stderr
    (tmp_path / "blob").write_bytes(base64.b64decode(r.stdout.strip()))
    r = aws_cli(server, "kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'blob'}",
                "--query", "Plaintext", "--output", "text")
    assert r.returncode == 0, r.stderr
    assert base64.b64decode(r.stdout.strip()) == b"from the cli"


def test_reencrypt_needs_from_on_the_source_and_to_on_the_destination(server):
    acct = server.account_id
    kms = server.client("kms")
    a = kms.create_key()["KeyMetadata"]
    b = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=a["KeyId"], Plaintext=b"moving", EncryptionContext={"x": "1"})[
        "CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"x": "1"},
                         DestinationKeyId=b["KeyId"], DestinationEncryptionContext={"y": "2"})
    assert out["SourceKeyId"] == a["Arn"] and out["KeyId"] == b["Arn"]
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"],
                       EncryptionContext={"y": "2"})["Plaintext"] == b"moving"
    assert code_of(kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=b["KeyId"]) == \
        "InvalidCiphertextException"  # the source context is missing
    # A user allowed ReEncryptFrom only cannot move data to a key it may not encrypt to.
    from_only = make_user(server, "carol", {"Effect": "Allow", "Action": "kms:ReEncryptFrom",
                                           "Resource": "*"})
    err = error_of(server.client("kms", *from_only).re_encrypt, CiphertextBlob=blob,
                   SourceEncryptionContext={"x": "1"}, DestinationKeyId=b["KeyId"])
    assert err["Error"]["Code"] == "AccessDeniedException"
    assert "kms:ReEncryptTo" in err["Error"]["Message"] and b["Arn"] in err["Error"]["Message"]
    both = make_user(server, "dan", {"Effect": "Allow", "Action": "kms:ReEncrypt*",
                                     "Resource": "*"})
    server.client("kms", *both).re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"x": "1"},
                                           DestinationKeyId=b["KeyId"])
    # kms:ReEncryptOnSameKey.
    same_only = make_user(server, "erin", {
        "Effect": "Allow", "Action": "kms:ReEncrypt*", "Resource": "*",
        "Condition": {"Bool": {"kms:ReEncryptOnSameKey": "true"}}})
    as_erin = server.client("kms", *same_only)
    as_erin.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"x": "1"},
                       DestinationKeyId=a["Arn"])
    assert code_of(as_erin.re_encrypt, CiphertextBlob=blob, SourceEncryptionContext={"x": "1"},
                   DestinationKeyId=b["KeyId"]) == "AccessDeniedException"
