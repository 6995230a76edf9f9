"""KMS key lifecycle end to end with boto3, raw JSON 1.1 requests and the aws CLI v2:
automatic and on-demand rotation with their key materials, grants (grantees without any
policy of their own, constraints, names, listing, retiring and revoking), imported key
material wrapped by OpenSSL (symmetric, HMAC, ECC and RSA), AWS managed keys,
GetKeyLastUsage, DryRun, and all of it across kill -9.

Debian's botocore 1.29 knows neither GetKeyLastUsage, ListKeyRotations,
RotateKeyOnDemand, RotationPeriodInDays nor DryRun, and drops the newer output members
(CurrentKeyMaterialId, KeyMaterialId, NextRotationDate): those requests are raw JSON 1.1
signed with rawsig.py, their blobs base64 as the AWS JSON protocol has them.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import base64
import datetime
import hmac
import json
import os
import re
import signal
import subprocess
import time

import botocore.exceptions
import pytest

from conftest import BIN, aws_cli
from conftest import make_user as make_iam_user
from kms_util import b64, code_of, error_of, kms_fail, kms_ok, kms_raw, openssl

DAY = 86400
DRY_RUN = {"__type": "DryRunOperationException",
           "message": "The request would have succeeded, but the DryRun option is set."}
GRANT_OPERATIONS = ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                    "ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GetPublicKey",
                    "CreateGrant", "RetireGrant", "DescribeKey", "GenerateDataKeyPair",
                    "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac",
                    "DeriveSharedSecret"]


# --- helpers -------------------------------------------------------------------------------


def describe(server, key_id):
    return kms_ok(server, "DescribeKey", {"KeyId": key_id})["KeyMetadata"]


def make_user(server, name, *statements):
    """An IAM user (no policy unless given): (its KMS client, its ARN, its credentials)."""
    creds = make_iam_user(server, name, *statements)
    arn = f"arn:aws:iam::{server.account_id}:user/{name}"
    return server.client("kms", *creds), arn, creds


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def pem_of_public(tmp_path, der, name="pub"):
    der_path = write(tmp_path, name + ".der", der)
    openssl("pkey", "-pubin", "-inform", "DER", "-in", der_path, "-out",
            str(tmp_path / (name + ".pem")))
    return str(tmp_path / (name + ".pem"))


def wrap(tmp_path, wrapping_public_key, algorithm, material):
    """Key material wrapped as AWS documents it for `algorithm` (OpenSSL does the work)."""
    pem = pem_of_public(tmp_path, wrapping_public_key, "wrapping")
    md = "sha1" if algorithm.endswith("SHA_1") else "sha256"
    oaep = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", f"rsa_oaep_md:{md}",
            "-pkeyopt", f"rsa_mgf1_md:{md}"]
    if algorithm.startswith("RSAES_OAEP"):
        return openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in",
                       write(tmp_path, "material", material), *oaep)
    # RSA_AES_KEY_WRAP_*: a fresh AES-256 key under RSA-OAEP, then the material under
    # that key with AES key wrap with padding (RFC 5649).
    aes = os.urandom(32)
    wrapped_key = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", pem, "-in",
                          write(tmp_path, "aes", aes), *oaep)
    wrapped = openssl("enc", "-id-aes256-wrap-pad", "-K", aes.hex(), "-iv", "A65959A6", "-in",
                      write(tmp_path, "material", material))
    return wrapped_key + wrapped


def import_material(kms, tmp_path, key_id, material, algorithm="RSAES_OAEP_SHA_256",
                    wrapping_spec="RSA_2048", **kwargs):
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm,
                                           WrappingKeySpec=wrapping_spec)
    kwargs.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(
        KeyId=key_id, ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(tmp_path, params["PublicKey"], algorithm, material), **kwargs)


def ec_private_key(tmp_path, curve, name="ec"):
    """An OpenSSL-made EC key: (PKCS#8 DER, SubjectPublicKeyInfo DER, PEM path)."""
    pem = str(tmp_path / f"{name}.pem")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-out", pem)
    pkcs8 = openssl("pkcs8", "-topk8", "-nocrypt", "-in", pem, "-outform", "DER")
    return pkcs8, openssl("pkey", "-in", pem, "-pubout", "-outform", "DER"), pem


def near(value, expected, slack=120):
    return abs(value - expected) <= slack


# --- Rotation -------------------------------------------------------------------------------

def test_rotation_settings_and_status(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    arn = key["Arn"]
    status = kms_ok(server, "GetKeyRotationStatus", {"KeyId": key["KeyId"]})
    assert status == {"KeyId": arn, "KeyRotationEnabled": False}
    enabled_at = time.time()
    kms_ok(server, "EnableKeyRotation", {"KeyId": key["KeyId"]})
    status = kms_ok(server, "GetKeyRotationStatus", {"KeyId": arn})
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    assert near(status["NextRotationDate"], enabled_at + 365 * DAY)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    # The period changes; the next rotation counts from when rotation was enabled.
    for days in (90, 2560, 180):
        kms_ok(server, "EnableKeyRotation", {"KeyId": key["KeyId"], "RotationPeriodInDays": days})
        status = kms_ok(server, "GetKeyRotationStatus", {"KeyId": key["KeyId"]})
        assert status["RotationPeriodInDays"] == days
        assert near(status["NextRotationDate"], enabled_at + days * DAY), days
    for days, bound in [(89, "greater than or equal to 90"), (2561, "less than or equal to 2560")]:
        status, code, message = kms_fail(server, "EnableKeyRotation", {
            "KeyId": key["KeyId"], "RotationPeriodInDays": days})
        assert (status, code) == (400, "ValidationException")
        assert message == f"1 validation error detected: Value '{days}' at " \
                          f"'rotationPeriodInDays' failed to satisfy constraint: Member must " \
                          f"have value {bound}"
    assert kms_ok(server, "GetKeyRotationStatus", {"KeyId": key["KeyId"]})[
        "RotationPeriodInDays"] == 180
    # A disabled key keeps its setting but cannot change it.
    kms.disable_key(KeyId=key["KeyId"])
    assert kms_ok(server, "GetKeyRotationStatus", {"KeyId": key["KeyId"]})[
        "KeyRotationEnabled"] is True
    for op in ("EnableKeyRotation", "DisableKeyRotation"):
        assert kms_fail(server, op, {"KeyId": key["KeyId"]}) == \
            (400, "DisabledException", f"{arn} is disabled.")
    kms.enable_key(KeyId=key["KeyId"])
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms_ok(server, "GetKeyRotationStatus", {"KeyId": key["KeyId"]}) == \
        {"KeyId": arn, "KeyRotationEnabled": False}
    # Pending deletion reads as not rotating, and rotating again once cancelled.
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert kms_ok(server, "GetKeyRotationStatus", {"KeyId": key["KeyId"]})[
        "KeyRotationEnabled"] is False
    assert kms_fail(server, "EnableKeyRotation", {"KeyId": key["KeyId"]}) == \
        (400, "KMSInvalidStateException", f"{arn} is pending deletion.")
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms_ok(server, "GetKeyRotationStatus", {"KeyId": key["KeyId"]})[
        "KeyRotationEnabled"] is True
    # Asymmetric and HMAC keys do not rotate.
    for spec, usage in [("RSA_2048", "SIGN_VERIFY"), ("RSA_2048", "ENCRYPT_DECRYPT"),
                        ("ECC_NIST_P256", "KEY_AGREEMENT"), ("ECC_SECG_P256K1", "SIGN_VERIFY"),
                        ("HMAC_256", "GENERATE_VERIFY_MAC")]:
        other = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
        for op in ("EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand",
                   "ListKeyRotations"):
            status, code, _ = kms_fail(server, op, {"KeyId": other["KeyId"]})
            assert (status, code) == (400, "UnsupportedOperationException"), (spec, op)
        assert kms_ok(server, "GetKeyRotationStatus", {"KeyId": other["KeyId"]}) == \
            {"KeyId": other["Arn"], "KeyRotationEnabled": False}
    assert code_of(kms.get_key_rotation_status, KeyId="00000000-0000-4000-8000-000000000000") \
        == "NotFoundException"


def test_on_demand_rotation_key_materials_and_listing(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kid, arn = key["KeyId"], key["Arn"]
    first = describe(server, kid)["CurrentKeyMaterialId"]
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    kms_ok(server, "EnableKeyRotation", {"KeyId": kid, "RotationPeriodInDays": 90})
    next_date = kms_ok(server, "GetKeyRotationStatus", {"KeyId": kid})["NextRotationDate"]
    dk = kms_ok(server, "GenerateDataKey", {"KeyId": kid, "KeySpec": "AES_256"})
    assert dk["KeyMaterialId"] == first
    blobs = [(kms.encrypt(KeyId=kid, Plaintext=b"v0")["CiphertextBlob"], first, b"v0")]
    materials = [first]
    started = time.time()
    for i in range(1, 26):
        assert kms_ok(server, "RotateKeyOnDemand", {"KeyId": kid}) == {"KeyId": arn}
        current = describe(server, kid)["CurrentKeyMaterialId"]
        assert current not in materials and re.fullmatch(r"[0-9a-f]{64}", current)
        materials.append(current)
        plain = f"v{i}".encode()
        blobs.append((kms.encrypt(KeyId=kid, Plaintext=plain)["CiphertextBlob"], current, plain))
    # 25 on-demand rotations per key.
    status, code, _ = kms_fail(server, "RotateKeyOnDemand", {"KeyId": kid})
    assert (status, code) == (400, "LimitExceededException")
    assert describe(server, kid)["CurrentKeyMaterialId"] == materials[-1]
    # On-demand rotations leave the automatic schedule alone.
    status = kms_ok(server, "GetKeyRotationStatus", {"KeyId": kid})
    assert status["NextRotationDate"] == next_date and status["RotationPeriodInDays"] == 90
    # Every ciphertext still decrypts, and names the material that made it.
    for blob, material, plain in blobs:
        out = kms_ok(server, "Decrypt", {"CiphertextBlob": b64(blob)})
        assert base64.b64decode(out["Plaintext"]) == plain
        assert out["KeyMaterialId"] == material and out["KeyId"] == arn
    # ReEncrypt onto the same key moves a ciphertext to the current material.
    out = kms_ok(server, "ReEncrypt", {"CiphertextBlob": b64(blobs[0][0]),
                                       "DestinationKeyId": kid})
    assert out["SourceKeyMaterialId"] == first and out["DestinationKeyMaterialId"] == materials[-1]
    assert kms_ok(server, "Decrypt", {"CiphertextBlob": out["CiphertextBlob"]})[
        "KeyMaterialId"] == materials[-1]

    rotations = kms_ok(server, "ListKeyRotations", {"KeyId": kid})
    assert rotations["Truncated"] is False and "NextMarker" not in rotations
    entries = rotations["Rotations"]
    assert [e["KeyMaterialId"] for e in entries] == materials[1:]
    for n, e in enumerate(entries):
        assert e["KeyId"] == arn and e["RotationType"] == "ON_DEMAND"
        assert started - 5 <= e["RotationDate"] <= time.time() + 5
        assert e["KeyMaterialState"] == ("CURRENT" if n == len(entries) - 1 else "NON_CURRENT")
    everything = kms_ok(server, "ListKeyRotations", {"KeyId": arn,
                                                     "IncludeKeyMaterial": "ALL_KEY_MATERIAL"})
    original = everything["Rotations"][0]
    assert everything["Rotations"][1:] == entries
    assert original == {"KeyId": arn, "KeyMaterialId": first, "KeyMaterialState": "NON_CURRENT"}
    assert kms_ok(server, "ListKeyRotations", {"KeyId": kid, "IncludeKeyMaterial":
                                               "ROTATIONS_ONLY"})["Rotations"] == entries
    # Page by page.
    seen, marker = [], None
    while True:
        page = kms_ok(server, "ListKeyRotations", {"KeyId": kid, "Limit": 7,
                                                   **({"Marker": marker} if marker else {})})
        assert len(page["Rotations"]) <= 7
        seen += page["Rotations"]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert seen == entries
    assert kms_fail(server, "ListKeyRotations", {"KeyId": kid, "Marker": "bogus"})[1] == \
        "InvalidMarkerException"
    assert kms_fail(server, "ListKeyRotations", {"KeyId": kid, "Limit": 0})[1] == \
        "ValidationException"
    # A fresh key has nothing to list but its first material.
    fresh = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms_ok(server, "ListKeyRotations", {"KeyId": fresh}) == \
        {"Rotations": [], "Truncated": False}
    assert len(kms_ok(server, "ListKeyRotations", {
        "KeyId": fresh, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"})["Rotations"]) == 1
    # A disabled key is not rotated.
    kms.disable_key(KeyId=fresh)
    assert kms_fail(server, "RotateKeyOnDemand", {"KeyId": fresh})[1] == "DisabledException"


# --- Grants ---------------------------------------------------------------------------------

def test_a_grant_lets_a_user_without_policy_use_the_key(server):
    acct = server.account_id
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    bob, bob_arn, bob_creds = make_user(server, "bob")
    assert code_of(bob.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"
    out = kms.create_grant(KeyId=key["Arn"], GranteePrincipal=bob_arn,
                           Operations=["Encrypt", "Decrypt", "DescribeKey"])
    grant_id, token = out["GrantId"], out["GrantToken"]
    assert re.fullmatch(r"[0-9a-f]{64}", grant_id) and token and token != grant_id
    blob = bob.encrypt(KeyId=key["KeyId"], Plaintext=b"granted")["CiphertextBlob"]
    assert bob.decrypt(CiphertextBlob=blob)["Plaintext"] == b"granted"
    assert bob.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]
    bob.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=[token])
    # Only the granted operations.
    for call, kwargs in [(bob.generate_data_key, {"KeySpec": "AES_256"}),
                         (bob.re_encrypt, None),
                         (bob.create_grant, {"GranteePrincipal": bob_arn,
                                             "Operations": ["Encrypt"]}),
                         (bob.list_grants, {}), (bob.disable_key, {}),
                         (bob.get_key_policy, {"PolicyName": "default"})]:
        if kwargs is None:
            err = error_of(call, CiphertextBlob=blob, DestinationKeyId=key["KeyId"])
        else:
            err = error_of(call, KeyId=key["KeyId"], **kwargs)
        assert err["Code"] == "AccessDeniedException", call
    # A token that is not one is refused, whoever sends it.
    for client in (bob, kms):
        assert error_of(client.encrypt, KeyId=key["KeyId"], Plaintext=b"x",
                        GrantTokens=["not-a-grant-token"])["Code"] == "InvalidGrantTokenException"
    (entry,) = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert entry["KeyId"] == key["Arn"] and entry["GrantId"] == grant_id
    assert entry["GranteePrincipal"] == bob_arn and entry["IssuingAccount"] == \
        f"arn:aws:iam::{acct}:root"
    assert entry["Operations"] == ["Encrypt", "Decrypt", "DescribeKey"]
    assert "RetiringPrincipal" not in entry and "Constraints" not in entry
    assert abs(entry["CreationDate"].timestamp() - time.time()) < 120
    # Revoked, it is gone.
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant_id)
    assert code_of(bob.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    assert code_of(kms.revoke_grant, KeyId=key["KeyId"], GrantId=grant_id) == "NotFoundException"

    # An explicit deny in the user's IAM policy beats a grant.
    dave, dave_arn, _ = make_user(server, "dave", {"Effect": "Deny", "Action": "kms:Encrypt",
                                                   "Resource": "*"})
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=dave_arn,
                     Operations=["Encrypt", "GenerateDataKey"])
    assert code_of(dave.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"
    assert len(dave.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")["Plaintext"]) == 16

    # A grant to a role reaches its sessions, not the user who assumed it.
    iam = server.client("iam")
    role_arn = iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
            "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    erin, _, erin_creds = make_user(server, "erin", {"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Resource": role_arn})
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=role_arn, Operations=["Encrypt"])
    c = server.client("sts", *erin_creds).assume_role(RoleArn=role_arn,
                                                      RoleSessionName="sess")["Credentials"]
    session = server.client("kms", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    session.encrypt(KeyId=key["KeyId"], Plaintext=b"as the role")
    assert code_of(session.decrypt, CiphertextBlob=blob) == "AccessDeniedException"
    assert code_of(erin.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"


def test_a_grant_to_the_account_defers_to_iam_policies(server):
    acct = server.account_id
    kms = server.client("kms")
    # The key policy lets the account administer the key, not use it.
    key = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
        "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:DescribeKey",
                   "kms:PutKeyPolicy", "kms:GetKeyPolicy"], "Resource": "*"}]}))["KeyMetadata"]
    alice, _, _ = make_user(server, "alice", {"Effect": "Allow", "Action": "kms:Encrypt",
                                              "Resource": "*"})
    frank, _, _ = make_user(server, "frank")
    assert code_of(alice.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{acct}:root",
                     Operations=["Encrypt"])
    alice.encrypt(KeyId=key["KeyId"], Plaintext=b"through the account's grant")
    assert code_of(frank.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == "AccessDeniedException"
    # Still only the granted operation.
    assert code_of(alice.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256") == \
        "AccessDeniedException"


def test_grants_for_asymmetric_hmac_and_agreement_keys(server):
    kms = server.client("kms")
    bob, bob_arn, bob_creds = make_user(server, "bob")
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    mac = kms.create_key(KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    agree = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    for key, ops in [(signer, ["Sign", "GetPublicKey"]), (mac, ["GenerateMac"]),
                     (agree, ["DeriveSharedSecret"]), (rsa, ["Decrypt"])]:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=bob_arn, Operations=ops)
    sig = bob.sign(KeyId=signer["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")[
        "Signature"]
    public = bob.get_public_key(KeyId=signer["KeyId"])["PublicKey"]
    assert code_of(bob.verify, KeyId=signer["KeyId"], Message=b"m", Signature=sig,
                   SigningAlgorithm="ECDSA_SHA_256") == "AccessDeniedException"
    tag = bob.generate_mac(KeyId=mac["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_384")["Mac"]
    assert code_of(bob.verify_mac, KeyId=mac["KeyId"], Message=b"m", Mac=tag,
                   MacAlgorithm="HMAC_SHA_384") == "AccessDeniedException"
    derived = kms_ok(server, "DeriveSharedSecret", {"KeyId": agree["KeyId"],
                                                    "KeyAgreementAlgorithm": "ECDH",
                                                    "PublicKey": b64(public)}, bob_creds)
    assert len(base64.b64decode(derived["SharedSecret"])) == 32
    assert code_of(bob.get_public_key, KeyId=agree["KeyId"]) == "AccessDeniedException"
    # Decrypt of an RSA ciphertext, which names no key: the grant of the KeyId's key.
    blob = kms.encrypt(KeyId=rsa["KeyId"], Plaintext=b"for bob",
                       EncryptionAlgorithm="RSAES_OAEP_SHA_1")["CiphertextBlob"]
    assert bob.decrypt(CiphertextBlob=blob, KeyId=rsa["KeyId"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"for bob"
    assert code_of(bob.encrypt, KeyId=rsa["KeyId"], Plaintext=b"x",
                   EncryptionAlgorithm="RSAES_OAEP_SHA_1") == "AccessDeniedException"


def test_grants_across_accounts(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    r = subprocess.run([BIN, "admin", "create-account", "--data-dir", server.data_dir],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    other = json.loads(r.stdout)
    other_iam = server.client("iam", other["AccessKeyId"], other["SecretAccessKey"])
    zed_arn = other_iam.create_user(UserName="zed")["User"]["Arn"]
    other_iam.put_user_policy(UserName="zed", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*",
                                                "Resource": "*"}]}))
    ak = other_iam.create_access_key(UserName="zed")["AccessKey"]
    zed = server.client("kms", ak["AccessKeyId"], ak["SecretAccessKey"])
    nobody_arn = other_iam.create_user(UserName="nobody")["User"]["Arn"]
    ak = other_iam.create_access_key(UserName="nobody")["AccessKey"]
    nobody = server.client("kms", ak["AccessKeyId"], ak["SecretAccessKey"])
    # The other account's IAM policy alone does not reach the key.
    assert code_of(zed.encrypt, KeyId=key["Arn"], Plaintext=b"x") == "AccessDeniedException"
    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=zed_arn,
                             Operations=["Encrypt", "Decrypt", "DescribeKey"])
    blob = zed.encrypt(KeyId=key["Arn"], Plaintext=b"from afar")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"from afar"
    assert zed.describe_key(KeyId=key["Arn"])["KeyMetadata"]["AWSAccountId"] == \
        server.account_id
    # A grant to the other account defers to its IAM policies.
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant["GrantId"])
    assert code_of(zed.encrypt, KeyId=key["Arn"], Plaintext=b"x") == "AccessDeniedException"
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"arn:aws:iam::{other['AccountId']}:root",
                     Operations=["Encrypt"])
    zed.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert code_of(nobody.encrypt, KeyId=key["Arn"], Plaintext=b"x") == "AccessDeniedException"
    assert nobody_arn.startswith(f"arn:aws:iam::{other['AccountId']}:")


def test_concurrent_rotations_and_named_grants_keep_their_limits(server):
    from concurrent.futures import ThreadPoolExecutor
    kms = server.client("kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    _, bob_arn, _ = make_user(server, "bob")
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(
            lambda _: kms_raw(server, "RotateKeyOnDemand", {"KeyId": kid})[0], range(31)))
    assert statuses.count(200) == 25 and statuses.count(400) == 6
    assert len(kms_ok(server, "ListKeyRotations", {"KeyId": kid})["Rotations"]) == 25
    grant = {"KeyId": kid, "GranteePrincipal": bob_arn, "Operations": ["Encrypt"],
             "Name": "once"}
    with ThreadPoolExecutor(12) as pool:
        ids = list(pool.map(lambda _: kms_ok(server, "CreateGrant", grant)["GrantId"], range(20)))
    assert len(set(ids)) == 1 and len(kms.list_grants(KeyId=kid)["Grants"]) == 1
    with ThreadPoolExecutor(12) as pool:
        keys = list(pool.map(lambda _: describe(server, "alias/aws/ssm")["KeyId"], range(20)))
    assert len(set(keys)) == 1
    assert [a["TargetKeyId"] for a in kms.list_aliases()["Aliases"]
            if a["AliasName"] == "alias/aws/ssm"] == keys[:1]


def test_grant_constraints(server):
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    bob, bob_arn, _ = make_user(server, "bob")
    kms.create_grant(KeyId=key, GranteePrincipal=bob_arn,
                     Operations=["Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey"],
                     Constraints={"EncryptionContextSubset": {"tenant": "a"}})
    # Subset: the pairs must be there; more are fine; keys ignore case, values do not.
    for ctx, ok in [({"tenant": "a"}, True), ({"tenant": "a", "x": "1"}, True),
                    ({"TENANT": "a"}, True), ({"tenant": "A"}, False), ({}, False),
                    ({"tenant": "b"}, False), ({"other": "a"}, False)]:
        if ok:
            blob = bob.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext=ctx)["CiphertextBlob"]
            assert bob.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"p"
            bob.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext=ctx)
        else:
            assert code_of(bob.encrypt, KeyId=key, Plaintext=b"p", EncryptionContext=ctx) == \
                "AccessDeniedException", ctx
            assert code_of(bob.generate_data_key, KeyId=key, KeySpec="AES_256",
                           EncryptionContext=ctx) == "AccessDeniedException", ctx
    # The constraint does not apply to DescribeKey.
    bob.describe_key(KeyId=key)

    carol, carol_arn, _ = make_user(server, "carol")
    kms.create_grant(KeyId=key, GranteePrincipal=carol_arn, Operations=["Encrypt"],
                     Constraints={"EncryptionContextEquals": {"tenant": "a", "env": "prod"}})
    for ctx, ok in [({"tenant": "a", "env": "prod"}, True), ({"env": "prod", "tenant": "a"}, True),
                    ({"tenant": "a"}, False), ({"tenant": "a", "env": "prod", "x": "y"}, False),
                    ({"tenant": "a", "env": "Prod"}, False), ({}, False)]:
        if ok:
            carol.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext=ctx)
        else:
            assert code_of(carol.encrypt, KeyId=key, Plaintext=b"p", EncryptionContext=ctx) == \
                "AccessDeniedException", ctx
    (entry,) = kms.list_grants(KeyId=key, GranteePrincipal=carol_arn)["Grants"]
    assert entry["Constraints"] == {"EncryptionContextEquals": {"tenant": "a", "env": "prod"}}

    # Constraints are for symmetric encryption keys only.
    for spec, usage, ops in [("RSA_2048", "ENCRYPT_DECRYPT", ["Encrypt"]),
                             ("ECC_NIST_P256", "SIGN_VERIFY", ["Sign"]),
                             ("HMAC_256", "GENERATE_VERIFY_MAC", ["GenerateMac"])]:
        other = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
        assert code_of(kms.create_grant, KeyId=other, GranteePrincipal=bob_arn, Operations=ops,
                       Constraints={"EncryptionContextSubset": {"a": "b"}}) == \
            "ValidationException", spec
        kms.create_grant(KeyId=other, GranteePrincipal=bob_arn, Operations=ops)


def test_grant_operations_must_fit_the_key(server):
    kms = server.client("kms")
    _, bob_arn, _ = make_user(server, "bob")
    always = {"CreateGrant", "RetireGrant", "DescribeKey"}
    fits = {
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"): {
            "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
            "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom",
            "ReEncryptTo"},
        ("RSA_2048", "ENCRYPT_DECRYPT"): {"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo",
                                          "GetPublicKey"},
        ("RSA_2048", "SIGN_VERIFY"): {"Sign", "Verify", "GetPublicKey"},
        ("ECC_NIST_P384", "SIGN_VERIFY"): {"Sign", "Verify", "GetPublicKey"},
        ("HMAC_512", "GENERATE_VERIFY_MAC"): {"GenerateMac", "VerifyMac"},
        ("ECC_NIST_P256", "KEY_AGREEMENT"): {"DeriveSharedSecret", "GetPublicKey"},
    }
    for (spec, usage), valid in fits.items():
        key = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
        made = 0
        for op in GRANT_OPERATIONS:
            ops = [op] if op != "CreateGrant" else ["CreateGrant", "DescribeKey"]
            if op in valid | always:
                kms.create_grant(KeyId=key, GranteePrincipal=bob_arn, Operations=ops)
                made += 1
            else:
                assert code_of(kms.create_grant, KeyId=key, GranteePrincipal=bob_arn,
                               Operations=ops) == "ValidationException", (spec, usage, op)
        assert len(kms.list_grants(KeyId=key, Limit=100)["Grants"]) == made
    key = kms.create_key()["KeyMetadata"]
    assert error_of(kms.create_grant, KeyId=key["KeyId"], GranteePrincipal=bob_arn,
                    Operations=["CreateGrant"]) == {
        "Code": "ValidationException",
        "Message": "Grants must not contain only the CreateGrant operation."}
    # A disabled key takes no grants.
    kms.disable_key(KeyId=key["KeyId"])
    assert error_of(kms.create_grant, KeyId=key["KeyId"], GranteePrincipal=bob_arn,
                    Operations=["Encrypt"]) == {"Code": "DisabledException",
                                                "Message": f"{key['Arn']} is disabled."}
    assert code_of(kms.create_grant, KeyId="00000000-0000-4000-8000-000000000000",
                   GranteePrincipal=bob_arn, Operations=["Encrypt"]) == "NotFoundException"


def test_grant_names_listing_retiring_and_child_grants(server):
    acct = server.account_id
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kid = key["KeyId"]
    bob, bob_arn, _ = make_user(server, "bob")
    carol, carol_arn, carol_creds = make_user(server, "carol")
    # A retry by name answers with the same grant, and a new token; both tokens work.
    first = kms.create_grant(KeyId=kid, GranteePrincipal=bob_arn, Operations=["Encrypt"],
                             Name="app-grant", RetiringPrincipal=carol_arn)
    again = kms.create_grant(KeyId=kid, GranteePrincipal=bob_arn, Operations=["Encrypt"],
                             Name="app-grant", RetiringPrincipal=carol_arn)
    assert again["GrantId"] == first["GrantId"] and again["GrantToken"] != first["GrantToken"]
    for token in (first["GrantToken"], again["GrantToken"]):
        bob.encrypt(KeyId=kid, Plaintext=b"x", GrantTokens=[token])
    (entry,) = kms.list_grants(KeyId=kid)["Grants"]
    assert entry["Name"] == "app-grant" and entry["RetiringPrincipal"] == carol_arn
    # The same name on another key is another grant.
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.create_grant(KeyId=other, GranteePrincipal=bob_arn, Operations=["Encrypt"],
                            Name="app-grant")["GrantId"] != first["GrantId"]

    ids = {first["GrantId"]}
    for i in range(6):
        grantee = bob_arn if i % 2 else f"arn:aws:iam::{acct}:role/r{i}"
        ids.add(kms.create_grant(KeyId=kid, GranteePrincipal=grantee, Operations=["Decrypt"],
                                 RetiringPrincipal=carol_arn if i < 3 else bob_arn)["GrantId"])
    seen, marker = [], None
    while True:
        page = kms.list_grants(KeyId=kid, Limit=3, **({"Marker": marker} if marker else {}))
        assert len(page["Grants"]) <= 3
        seen += [g["GrantId"] for g in page["Grants"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    assert [g["GrantId"] for g in kms.list_grants(KeyId=kid, GrantId=first["GrantId"])[
        "Grants"]] == [first["GrantId"]]
    by_bob = kms.list_grants(KeyId=kid, GranteePrincipal=bob_arn)["Grants"]
    assert len(by_bob) == 4 and all(g["GranteePrincipal"] == bob_arn for g in by_bob)
    assert code_of(kms.list_grants, KeyId=kid, Marker="not a marker!") == "InvalidMarkerException"
    retirable = kms.list_retirable_grants(RetiringPrincipal=carol_arn)["Grants"]
    assert len(retirable) == 4 and all(g["RetiringPrincipal"] == carol_arn for g in retirable)
    page = kms.list_retirable_grants(RetiringPrincipal=carol_arn, Limit=3)
    assert len(page["Grants"]) == 3 and page["Truncated"] is True
    rest = kms.list_retirable_grants(RetiringPrincipal=carol_arn, Marker=page["NextMarker"])
    assert sorted(g["GrantId"] for g in page["Grants"] + rest["Grants"]) == \
        sorted(g["GrantId"] for g in retirable)

    # The retiring principal retires without any policy: by token, or by key and grant id.
    carol.retire_grant(GrantToken=first["GrantToken"])
    assert code_of(bob.encrypt, KeyId=kid, Plaintext=b"x") == "AccessDeniedException"
    by_id = next(g for g in retirable if g["GranteePrincipal"] != bob_arn)
    carol.retire_grant(KeyId=key["Arn"], GrantId=by_id["GrantId"])
    left = {g["GrantId"] for g in kms.list_grants(KeyId=kid)["Grants"]}
    assert first["GrantId"] not in left and by_id["GrantId"] not in left and len(left) == 5
    # Someone else cannot retire a grant, nor its grantee when it does not allow RetireGrant.
    frank, _, _ = make_user(server, "frank")
    victim = next(g["GrantId"] for g in kms.list_grants(KeyId=kid)["Grants"]
                  if g.get("RetiringPrincipal") == carol_arn and g["GranteePrincipal"] == bob_arn)
    for client in (frank, bob):
        assert code_of(client.retire_grant, KeyId=key["Arn"], GrantId=victim) == \
            "AccessDeniedException"
    assert code_of(kms.retire_grant, GrantToken="garbage") == "InvalidGrantTokenException"
    # The account retires its own grants.
    kms.retire_grant(KeyId=key["Arn"], GrantId=victim)
    assert victim not in {g["GrantId"] for g in kms.list_grants(KeyId=kid)["Grants"]}

    # A grantee allowed CreateGrant passes on no more than it has.
    dan, dan_arn, _ = make_user(server, "dan")
    kms.create_grant(KeyId=kid, GranteePrincipal=dan_arn,
                     Operations=["Encrypt", "Decrypt", "CreateGrant", "RetireGrant"],
                     Constraints={"EncryptionContextSubset": {"team": "x"}})
    child = dan.create_grant(KeyId=kid, GranteePrincipal=bob_arn, Operations=["Encrypt"],
                             Constraints={"EncryptionContextEquals": {"team": "x", "app": "1"}})
    bob.encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext={"team": "x", "app": "1"})
    for ops, constraints in [(["Encrypt", "GenerateDataKey"],
                              {"EncryptionContextSubset": {"team": "x"}}),
                             (["Encrypt"], {"EncryptionContextSubset": {"app": "1"}}),
                             (["Encrypt"], None)]:
        kwargs = {"Constraints": constraints} if constraints else {}
        assert code_of(dan.create_grant, KeyId=kid, GranteePrincipal=bob_arn, Operations=ops,
                       **kwargs) == "AccessDeniedException", (ops, constraints)
    # The grantee of a grant that allows RetireGrant retires it itself.
    dans = kms.list_grants(KeyId=kid, GranteePrincipal=dan_arn)["Grants"]
    dan.retire_grant(KeyId=key["Arn"], GrantId=dans[0]["GrantId"])
    assert code_of(dan.encrypt, KeyId=kid, Plaintext=b"x",
                   EncryptionContext={"team": "x"}) == "AccessDeniedException"
    # The child lives on (as in AWS, grants are independent once made).
    assert child["GrantId"] in {g["GrantId"] for g in kms.list_grants(KeyId=kid)["Grants"]}


def test_retire_grant_errors_do_not_depend_on_the_caller(server):
    kms = server.client("kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    carol, carol_arn, _ = make_user(server, "carol")
    grant = kms.create_grant(KeyId=kid, GranteePrincipal=carol_arn, Operations=["Encrypt"],
                             RetiringPrincipal=carol_arn)
    assert code_of(kms.retire_grant, GrantToken="garbage") == "InvalidGrantTokenException"
    carol.retire_grant(GrantToken=grant["GrantToken"])
    assert code_of(kms.retire_grant, GrantToken=grant["GrantToken"]) == "NotFoundException"
    # The retiring principal, who needs no policy, gets the same answers.
    assert code_of(carol.retire_grant, GrantToken=grant["GrantToken"]) == "NotFoundException"
    assert code_of(carol.retire_grant, GrantToken="garbage") == "InvalidGrantTokenException"


# --- Imported key material ------------------------------------------------------------------

def test_imported_symmetric_material(server, tmp_path):
    kms = server.client("kms")
    key = kms.create_key(Origin="EXTERNAL", Description="byok")["KeyMetadata"]
    kid, arn = key["KeyId"], key["Arn"]
    assert key["KeyState"] == "PendingImport" and key["Enabled"] is False
    assert key["Origin"] == "EXTERNAL" and "ExpirationModel" not in key
    assert key["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    pending = {"Code": "KMSInvalidStateException", "Message": f"{arn} is pending import."}
    assert error_of(kms.encrypt, KeyId=kid, Plaintext=b"p") == pending
    assert error_of(kms.generate_data_key, KeyId=kid, KeySpec="AES_256") == pending
    assert error_of(kms.enable_key, KeyId=kid) == pending
    assert error_of(kms.disable_key, KeyId=kid) == pending
    assert kms_fail(server, "GetKeyRotationStatus", {"KeyId": kid})[1] == \
        "UnsupportedOperationException"
    # Wrapping parameters, each with a wrapping key of its spec, valid for 24 hours.
    tokens = set()
    for spec, alg in [("RSA_2048", "RSAES_OAEP_SHA_1"), ("RSA_3072", "RSAES_OAEP_SHA_256"),
                      ("RSA_4096", "RSA_AES_KEY_WRAP_SHA_256"),
                      ("RSA_2048", "RSA_AES_KEY_WRAP_SHA_1")]:
        params = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm=alg,
                                               WrappingKeySpec=spec)
        assert params["KeyId"] == arn and params["ImportToken"] not in tokens
        tokens.add(params["ImportToken"])
        bits = openssl("pkey", "-pubin", "-inform", "DER", "-in", write(
            tmp_path, "w.der", params["PublicKey"]), "-noout", "-text").decode()
        assert f"({spec[4:]} bit" in bits
        assert near(params["ParametersValidTo"].timestamp(), time.time() + DAY)
    # ExpirationModel defaults to KEY_MATERIAL_EXPIRES, which needs ValidTo.
    material = os.urandom(32)
    params = kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    wrapped = wrap(tmp_path, params["PublicKey"], "RSAES_OAEP_SHA_256", material)
    assert error_of(kms.import_key_material, KeyId=kid, ImportToken=params["ImportToken"],
                    EncryptedKeyMaterial=wrapped) == {
        "Code": "ValidationException",
        "Message": "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"}
    assert code_of(kms.import_key_material, KeyId=kid, ImportToken=params["ImportToken"],
                   EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                   ValidTo=datetime.datetime.now() + datetime.timedelta(days=1)) == \
        "ValidationException"
    # Another key's token.
    stranger = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    assert code_of(kms.import_key_material, KeyId=stranger, ImportToken=params["ImportToken"],
                   EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE") \
        == "InvalidImportTokenException"
    # Material wrapped with the wrong OAEP hash does not unwrap.
    bad = wrap(tmp_path, params["PublicKey"], "RSAES_OAEP_SHA_1", material)
    assert code_of(kms.import_key_material, KeyId=kid, ImportToken=params["ImportToken"],
                   EncryptedKeyMaterial=bad, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE") == \
        "InvalidCiphertextException"
    # 128 bits are not a symmetric key's material.
    with pytest.raises(botocore.exceptions.ClientError):
        import_material(kms, tmp_path, kid, os.urandom(16))
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"

    out = kms_ok(server, "ImportKeyMaterial", {
        "KeyId": kid, "ImportToken": b64(params["ImportToken"]),
        "EncryptedKeyMaterial": b64(wrapped), "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})
    material_id = out["KeyMaterialId"]
    assert out["KeyId"] == arn and re.fullmatch(r"[0-9a-f]{64}", material_id)
    assert describe(server, kid)["CurrentKeyMaterialId"] == material_id
    # The parameters were for one import.
    assert code_of(kms.import_key_material, KeyId=kid, ImportToken=params["ImportToken"],
                   EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE") \
        == "InvalidImportTokenException"
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE" and "ValidTo" not in meta
    blob = kms.encrypt(KeyId=kid, Plaintext=b"bring your own key",
                       EncryptionContext={"k": "v"})["CiphertextBlob"]
    out = kms_ok(server, "Decrypt", {"CiphertextBlob": b64(blob), "EncryptionContext": {"k": "v"}})
    assert base64.b64decode(out["Plaintext"]) == b"bring your own key"
    assert out["KeyMaterialId"] == material_id
    # Imported material does not rotate by itself, nor on demand without new material.
    assert kms_fail(server, "EnableKeyRotation", {"KeyId": kid}) == (
        400, "UnsupportedOperationException",
        f"{arn} origin is EXTERNAL which is not valid for this operation.")
    assert kms_fail(server, "RotateKeyOnDemand", {"KeyId": kid}) == (
        400, "KMSInvalidStateException",
        f"{arn} has no key material pending rotation; import new key material "
        "(ImportType NEW_KEY_MATERIAL) first.")

    # Deleted, the key waits for the same material again.
    out = kms_ok(server, "DeleteImportedKeyMaterial", {"KeyId": kid})
    assert out == {"KeyId": arn, "KeyMaterialId": material_id}
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport" and meta["Enabled"] is False
    assert "ExpirationModel" not in meta
    assert error_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"k": "v"}) == pending
    assert error_of(kms.encrypt, KeyId=kid, Plaintext=b"p") == pending
    assert code_of(import_material, kms, tmp_path, kid, os.urandom(32)) == \
        "IncorrectKeyMaterialException"
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingImport"
    valid_to = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
    import_material(kms, tmp_path, kid, material, "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072",
                    ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs(meta["ValidTo"].timestamp() - valid_to.timestamp()) < 2
    assert describe(server, kid)["CurrentKeyMaterialId"] == material_id  # the same material
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == \
        b"bring your own key"
    # ValidTo in the past, or more than 365 days away.
    for days in (-1, 366):
        assert code_of(import_material, kms, tmp_path, kid, material,
                       ExpirationModel="KEY_MATERIAL_EXPIRES",
                       ValidTo=datetime.datetime.now(datetime.timezone.utc) +
                       datetime.timedelta(days=days)) == "ValidationException", days

    # Keys of AWS_KMS origin take no material.
    own = kms.create_key()["KeyMetadata"]
    for op, params in [("GetParametersForImport", {"WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                                   "WrappingKeySpec": "RSA_2048"}),
                       ("DeleteImportedKeyMaterial", {})]:
        assert kms_fail(server, op, {"KeyId": own["KeyId"], **params}) == (
            400, "UnsupportedOperationException",
            f"{own['Arn']} origin is AWS_KMS which is not valid for this operation.")
    assert code_of(kms.import_key_material, KeyId=own["KeyId"], ImportToken=b"t" * 40,
                   EncryptedKeyMaterial=b"m" * 40,
                   ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE") == \
        "UnsupportedOperationException"
    # A key pending deletion takes no parameters.
    kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
    assert kms_fail(server, "GetParametersForImport", {
        "KeyId": kid, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}) \
        == (400, "KMSInvalidStateException", f"{arn} is pending deletion.")


def import_raw(server, kms, tmp_path, key_id, material, ok=True, **members):
    """ImportKeyMaterial as a raw request, for the members Debian's botocore lacks
    (ImportType, KeyMaterialId, KeyMaterialDescription)."""
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    body = {"KeyId": key_id, "ImportToken": b64(params["ImportToken"]),
            "EncryptedKeyMaterial": b64(wrap(tmp_path, params["PublicKey"],
                                             "RSAES_OAEP_SHA_256", material)),
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", **members}
    return (kms_ok if ok else kms_fail)(server, "ImportKeyMaterial", body)


def test_imported_material_rotates_on_demand(server, tmp_path):
    kms = server.client("kms")
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    kid, arn = key["KeyId"], key["Arn"]
    first, second = os.urandom(32), os.urandom(32)
    # The first import is of new material by default.
    id1 = import_raw(server, kms, tmp_path, kid, first, KeyMaterialDescription="first")[
        "KeyMaterialId"]
    old = kms.encrypt(KeyId=kid, Plaintext=b"before")["CiphertextBlob"]
    assert import_raw(server, kms, tmp_path, kid, second, False, ImportType="NEW_KEY_MATERIAL",
                      KeyMaterialId=id1)[1] == "ValidationException"
    assert import_raw(server, kms, tmp_path, kid, first, False,
                      ImportType="NEW_KEY_MATERIAL")[1] == "IncorrectKeyMaterialException"
    # Hostile members: an unknown ImportType, a description out of AWS's pattern or length,
    # a KeyMaterialId that is no material id.
    for bad in ({"ImportType": "SOME_MATERIAL"}, {"KeyMaterialDescription": "<script>"},
                {"KeyMaterialDescription": "d" * 257}, {"KeyMaterialId": "x" * 65}):
        assert import_raw(server, kms, tmp_path, kid, second, False, **bad)[:2] == \
            (400, "ValidationException"), bad
    # After it, material is the same material again by default.
    assert import_raw(server, kms, tmp_path, kid, second, False)[1] == \
        "IncorrectKeyMaterialException"
    valid_to = int(time.time()) + 10 * DAY
    id2 = import_raw(server, kms, tmp_path, kid, second, ImportType="NEW_KEY_MATERIAL",
                     KeyMaterialDescription="second", ExpirationModel="KEY_MATERIAL_EXPIRES",
                     ValidTo=valid_to)["KeyMaterialId"]
    assert re.fullmatch(r"[0-9a-f]{64}", id2) and id2 != id1
    status, code, message = import_raw(server, kms, tmp_path, kid, os.urandom(32), False,
                                       ImportType="NEW_KEY_MATERIAL")
    assert (status, code) == (400, "KMSInvalidStateException") and id2 in message
    # Pending rotation: listed with all material, still not used.
    listing = kms_ok(server, "ListKeyRotations", {"KeyId": kid,
                                                  "IncludeKeyMaterial": "ALL_KEY_MATERIAL"})
    assert listing == {"Truncated": False, "Rotations": [
        {"KeyId": arn, "KeyMaterialId": id1, "KeyMaterialDescription": "first",
         "KeyMaterialState": "CURRENT", "ImportState": "IMPORTED",
         "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"},
        {"KeyId": arn, "KeyMaterialId": id2, "KeyMaterialDescription": "second",
         "KeyMaterialState": "PENDING_ROTATION", "ImportState": "IMPORTED",
         "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": valid_to}]}
    assert kms_ok(server, "ListKeyRotations", {"KeyId": kid})["Rotations"] == []
    assert describe(server, kid)["CurrentKeyMaterialId"] == id1
    assert kms_ok(server, "Decrypt", {"CiphertextBlob": b64(
        kms.encrypt(KeyId=kid, Plaintext=b"p")["CiphertextBlob"])})["KeyMaterialId"] == id1

    # The rotation makes it current, with its own expiry; the old material still decrypts.
    assert kms_ok(server, "RotateKeyOnDemand", {"KeyId": kid}) == {"KeyId": arn}
    meta = describe(server, kid)
    assert meta["CurrentKeyMaterialId"] == id2 and meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and meta["ValidTo"] == valid_to
    new = kms.encrypt(KeyId=kid, Plaintext=b"after")["CiphertextBlob"]
    assert kms_ok(server, "Decrypt", {"CiphertextBlob": b64(new)})["KeyMaterialId"] == id2
    out = kms_ok(server, "Decrypt", {"CiphertextBlob": b64(old)})
    assert (base64.b64decode(out["Plaintext"]), out["KeyMaterialId"]) == (b"before", id1)
    rotations = kms_ok(server, "ListKeyRotations", {"KeyId": kid})["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"]) for r in rotations] == [(id2, "ON_DEMAND")]
    assert near(rotations[0]["RotationDate"], time.time())
    page = kms_ok(server, "ListKeyRotations", {"KeyId": kid, "Limit": 1,
                                               "IncludeKeyMaterial": "ALL_KEY_MATERIAL"})
    assert [r["KeyMaterialState"] for r in page["Rotations"]] == ["NON_CURRENT"]
    page = kms_ok(server, "ListKeyRotations", {"KeyId": kid, "Marker": page["NextMarker"],
                                               "IncludeKeyMaterial": "ALL_KEY_MATERIAL"})
    assert [r["KeyMaterialState"] for r in page["Rotations"]] == ["CURRENT"]
    assert kms_fail(server, "RotateKeyOnDemand", {"KeyId": kid})[1] == "KMSInvalidStateException"

    # Re-importing names the material; deleting a non-current one keeps the key enabled.
    assert import_raw(server, kms, tmp_path, kid, first, False, KeyMaterialId=id2)[1] == \
        "IncorrectKeyMaterialException"
    assert import_raw(server, kms, tmp_path, kid, first, False, KeyMaterialId="0" * 64)[1] == \
        "NotFoundException"
    assert kms_ok(server, "DeleteImportedKeyMaterial", {"KeyId": kid, "KeyMaterialId": id1}) == \
        {"KeyId": arn, "KeyMaterialId": id1}
    assert describe(server, kid)["KeyState"] == "Enabled"
    assert code_of(kms.decrypt, CiphertextBlob=old) == "InvalidCiphertextException"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"
    states = [(r["KeyMaterialId"], r["ImportState"]) for r in kms_ok(
        server, "ListKeyRotations", {"KeyId": kid, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"})[
        "Rotations"]]
    assert states == [(id1, "PENDING_IMPORT"), (id2, "IMPORTED")]
    assert import_raw(server, kms, tmp_path, kid, first, KeyMaterialId=id1,
                      KeyMaterialDescription="first again")["KeyMaterialId"] == id1
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert describe(server, kid)["CurrentKeyMaterialId"] == id2
    # Pending material can be deleted outright.
    id3 = import_raw(server, kms, tmp_path, kid, os.urandom(32),
                     ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    kms_ok(server, "DeleteImportedKeyMaterial", {"KeyId": kid, "KeyMaterialId": id3})
    assert [r["KeyMaterialId"] for r in kms_ok(server, "ListKeyRotations", {
        "KeyId": kid, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"})["Rotations"]] == [id1, id2]
    assert kms_fail(server, "RotateKeyOnDemand", {"KeyId": kid})[1] == "KMSInvalidStateException"

    # Only symmetric keys take material for rotation.
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC",
                              Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_raw(server, kms, tmp_path, hmac_key, os.urandom(32))
    assert import_raw(server, kms, tmp_path, hmac_key, os.urandom(32), False,
                      ImportType="NEW_KEY_MATERIAL")[1] == "UnsupportedOperationException"


def test_every_wrapping_algorithm_imports(server, tmp_path):
    kms = server.client("kms")
    for alg in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                "RSA_AES_KEY_WRAP_SHA_256"]:
        kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        import_material(kms, tmp_path, kid, os.urandom(32), alg)
        blob = kms.encrypt(KeyId=kid, Plaintext=alg.encode())["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == alg.encode()


def test_imported_hmac_and_asymmetric_material_is_the_material_used(server, tmp_path):
    kms = server.client("kms")
    # HMAC: KMS's MACs are Python's with the imported key.
    for spec, (alg, hash_name, size) in {
            "HMAC_224": ("HMAC_SHA_224", "sha224", 28), "HMAC_256": ("HMAC_SHA_256", "sha256", 32),
            "HMAC_384": ("HMAC_SHA_384", "sha384", 48),
            "HMAC_512": ("HMAC_SHA_512", "sha512", 64)}.items():
        meta = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC",
                              Origin="EXTERNAL")["KeyMetadata"]
        assert meta["KeyState"] == "PendingImport" and meta["MacAlgorithms"] == [alg]
        secret = os.urandom(size)
        import_material(kms, tmp_path, meta["KeyId"], secret)
        for message in (b"m", b"imported hmac key " * 50):
            mac = kms.generate_mac(KeyId=meta["KeyId"], Message=message, MacAlgorithm=alg)["Mac"]
            assert mac == hmac.new(secret, message, hash_name).digest(), spec
        ours = hmac.new(secret, b"offline", hash_name).digest()
        assert kms.verify_mac(KeyId=meta["KeyId"], Message=b"offline", MacAlgorithm=alg,
                              Mac=ours)["MacValid"] is True

    # ECC signing key: wrapped with RSA_AES_KEY_WRAP_SHA_256 as PKCS#8.
    pkcs8, public, pem = ec_private_key(tmp_path, "P-256")
    meta = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY",
                          Origin="EXTERNAL")["KeyMetadata"]
    assert code_of(kms.sign, KeyId=meta["KeyId"], Message=b"m",
                   SigningAlgorithm="ECDSA_SHA_256") == "KMSInvalidStateException"
    # A P-384 private key is not a P-256 key's material.
    p384, _, _ = ec_private_key(tmp_path, "P-384", "p384")
    with pytest.raises(botocore.exceptions.ClientError):
        import_material(kms, tmp_path, meta["KeyId"], p384, "RSA_AES_KEY_WRAP_SHA_256")
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    import_material(kms, tmp_path, meta["KeyId"], pkcs8, "RSA_AES_KEY_WRAP_SHA_256")
    assert kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"] == public
    sig = kms.sign(KeyId=meta["KeyId"], Message=b"imported", SigningAlgorithm="ECDSA_SHA_256")[
        "Signature"]
    pub_pem = pem_of_public(tmp_path, public, "ecpub")
    r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub_pem, "-signature",
                        write(tmp_path, "sig", sig), write(tmp_path, "msg", b"imported")],
                       capture_output=True)
    assert r.returncode == 0 and b"Verified OK" in r.stdout
    # ... and KMS verifies what OpenSSL signs with the same private key.
    offline = openssl("dgst", "-sha256", "-sign", pem, write(tmp_path, "msg2", b"by openssl"))
    assert kms.verify(KeyId=meta["KeyId"], Message=b"by openssl", Signature=offline,
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    # Asymmetric material can be deleted and imported again, but only the same.
    kms.delete_imported_key_material(KeyId=meta["KeyId"])
    other, _, _ = ec_private_key(tmp_path, "P-256", "other")
    assert code_of(import_material, kms, tmp_path, meta["KeyId"], other,
                   "RSA_AES_KEY_WRAP_SHA_256") == "IncorrectKeyMaterialException"
    import_material(kms, tmp_path, meta["KeyId"], pkcs8, "RSA_AES_KEY_WRAP_SHA_1")
    assert kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"] == public

    # ECC key agreement: KMS derives what OpenSSL derives with the imported private key.
    mine, _, mine_pem = ec_private_key(tmp_path, "P-384", "mine")
    peer, peer_public, peer_pem = ec_private_key(tmp_path, "P-384", "peer")
    meta = kms.create_key(KeySpec="ECC_NIST_P384", KeyUsage="KEY_AGREEMENT",
                          Origin="EXTERNAL")["KeyMetadata"]
    import_material(kms, tmp_path, meta["KeyId"], mine, "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072")
    out = kms_ok(server, "DeriveSharedSecret", {"KeyId": meta["KeyId"],
                                                "KeyAgreementAlgorithm": "ECDH",
                                                "PublicKey": b64(peer_public)})
    expected = openssl("pkeyutl", "-derive", "-inkey", mine_pem, "-peerkey",
                       pem_of_public(tmp_path, peer_public, "peerpub"))
    assert base64.b64decode(out["SharedSecret"]) == expected and out["KeyOrigin"] == "EXTERNAL"

    # RSA signing key: OpenSSL's PKCS #1 and PSS signatures verify in KMS, and KMS's in OpenSSL.
    signer_pem = str(tmp_path / "signer.pem")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", signer_pem)
    meta = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY",
                          Origin="EXTERNAL")["KeyMetadata"]
    import_material(kms, tmp_path, meta["KeyId"], openssl(
        "pkcs8", "-topk8", "-nocrypt", "-in", signer_pem, "-outform", "DER"),
        "RSA_AES_KEY_WRAP_SHA_256")
    signer_pub = pem_of_public(tmp_path, kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"],
                               "signerpub")
    assert open(signer_pub, "rb").read() == openssl("pkey", "-in", signer_pem, "-pubout")
    msg = write(tmp_path, "rsa-msg", b"rsa interop")
    for alg, opts in [("RSASSA_PKCS1_V1_5_SHA_384", []),
                      ("RSASSA_PSS_SHA_256", ["-sigopt", "rsa_padding_mode:pss",
                                              "-sigopt", "rsa_pss_saltlen:-1"])]:
        md = "-sha" + alg[-3:]
        offline = openssl("dgst", md, "-sign", signer_pem, *opts, msg)
        assert kms.verify(KeyId=meta["KeyId"], Message=b"rsa interop", Signature=offline,
                          SigningAlgorithm=alg)["SignatureValid"] is True, alg
        online = kms.sign(KeyId=meta["KeyId"], Message=b"rsa interop", SigningAlgorithm=alg)[
            "Signature"]
        assert b"Verified OK" in openssl("dgst", md, "-verify", signer_pub, *opts, "-signature",
                                         write(tmp_path, "rsa-sig", online), msg), alg

    # RSA encryption key: OpenSSL decrypts what KMS encrypts, and the other way round.
    rsa_pem = str(tmp_path / "rsa.pem")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa_pem)
    rsa_pkcs8 = openssl("pkcs8", "-topk8", "-nocrypt", "-in", rsa_pem, "-outform", "DER")
    meta = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT",
                          Origin="EXTERNAL")["KeyMetadata"]
    import_material(kms, tmp_path, meta["KeyId"], rsa_pkcs8, "RSA_AES_KEY_WRAP_SHA_256")
    oaep = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
            "-pkeyopt", "rsa_mgf1_md:sha256"]
    ct = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"to openssl",
                     EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    assert openssl("pkeyutl", "-decrypt", "-inkey", rsa_pem, "-in", write(tmp_path, "ct", ct),
                   *oaep) == b"to openssl"
    rsa_pub = openssl("pkey", "-in", rsa_pem, "-pubout")
    ct = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", write(tmp_path, "rsapub.pem", rsa_pub),
                 "-in", write(tmp_path, "pt", b"to kms"), *oaep)
    assert kms.decrypt(CiphertextBlob=ct, KeyId=meta["KeyId"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"to kms"


def test_imported_material_expires(make_server, data_dir, tmp_path):
    server = make_server(data_dir, "--maintenance-interval", "1")
    kms = server.client("kms")
    kid = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    valid_to = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
    import_material(kms, tmp_path, kid, material, ExpirationModel="KEY_MATERIAL_EXPIRES",
                    ValidTo=valid_to)
    blob = kms.encrypt(KeyId=kid, Plaintext=b"short-lived")["CiphertextBlob"]
    deadline = time.time() + 10
    while kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] != "PendingImport":
        assert time.time() < deadline, "the material never expired"
        time.sleep(0.25)
    assert time.time() >= valid_to.timestamp() - 0.5
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert "ExpirationModel" not in meta and "ValidTo" not in meta
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "KMSInvalidStateException"
    # The same material brings the key back.
    import_material(kms, tmp_path, kid, material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"short-lived"


# --- AWS managed keys -----------------------------------------------------------------------

def test_aws_managed_keys(server):
    acct = server.account_id
    kms = server.client("kms")
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    kid = meta["KeyId"]
    assert meta["Arn"].endswith(f":{acct}:key/{kid}")
    assert meta["KeyManager"] == "AWS" and meta["KeyState"] == "Enabled"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["Origin"] == "AWS_KMS"
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"] == kid
    assert kms.describe_key(KeyId=f"arn:aws:kms:us-east-1:{acct}:alias/aws/s3")[
        "KeyMetadata"]["KeyId"] == kid
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyManager"] == "AWS"
    (alias,) = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/s3"]
    assert alias["TargetKeyId"] == kid
    assert alias["AliasArn"] == f"arn:aws:kms:us-east-1:{acct}:alias/aws/s3"
    assert kid in [k["KeyId"] for k in kms.list_keys()["Keys"]]
    # Another service's alias, another key; an unknown service, none.
    ebs = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert ebs["KeyId"] != kid and ebs["KeyManager"] == "AWS"
    assert code_of(kms.describe_key, KeyId="alias/aws/no-such-service") == "NotFoundException"

    # Its policy lets the account read it; only the service may use it.
    policy = json.loads(kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"])
    conditions = [s.get("Condition", {}) for s in policy["Statement"]]
    assert {"StringEquals": {"kms:CallerAccount": acct,
                             "kms:ViaService": "s3.us-east-1.amazonaws.com"}} in conditions
    ebs_policy = kms.get_key_policy(KeyId=ebs["KeyId"], PolicyName="default")["Policy"]
    assert "ec2.us-east-1.amazonaws.com" in ebs_policy
    status = kms_ok(server, "GetKeyRotationStatus", {"KeyId": kid})
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    assert kms.get_key_rotation_status(KeyId=kid)["KeyRotationEnabled"] is True
    kms.list_resource_tags(KeyId=kid)
    admin, _, _ = make_user(server, "admin", {"Effect": "Allow", "Action": "kms:*",
                                              "Resource": "*"})
    for client in (kms, admin):
        for call, kwargs in [
                (client.encrypt, {"KeyId": "alias/aws/s3", "Plaintext": b"x"}),
                (client.encrypt, {"KeyId": kid, "Plaintext": b"x"}),
                (client.generate_data_key, {"KeyId": kid, "KeySpec": "AES_256"}),
                (client.disable_key, {"KeyId": kid}),
                (client.schedule_key_deletion, {"KeyId": kid, "PendingWindowInDays": 7}),
                (client.put_key_policy, {"KeyId": kid, "PolicyName": "default",
                                         "Policy": json.dumps(policy)}),
                (client.update_key_description, {"KeyId": kid, "Description": "mine"}),
                (client.disable_key_rotation, {"KeyId": kid}),
                (client.tag_resource, {"KeyId": kid, "Tags": [{"TagKey": "a", "TagValue": "b"}]}),
                (client.create_grant, {"KeyId": kid, "GranteePrincipal":
                                       f"arn:aws:iam::{acct}:root", "Operations": ["Encrypt"]}),
                (client.delete_alias, {"AliasName": "alias/aws/s3"})]:
            err = error_of(call, **kwargs)
            assert err["Code"] == "AccessDeniedException", (call, kwargs, err)
    assert kms_fail(server, "RotateKeyOnDemand", {"KeyId": kid})[1] == "AccessDeniedException"
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"] == kid


# --- GetKeyLastUsage ------------------------------------------------------------------------

def last_usage(server, key_id, creds=None):
    return kms_ok(server, "GetKeyLastUsage", {"KeyId": key_id}, creds)


def test_get_key_last_usage_follows_every_cryptographic_operation(server):
    kms = server.client("kms")
    sym = kms.create_key()["KeyMetadata"]
    sym2 = kms.create_key()["KeyMetadata"]
    out = last_usage(server, sym["KeyId"])
    created = sym["CreationDate"].timestamp()
    assert out["KeyId"] == sym["Arn"] and out["KeyLastUsage"] == {}
    assert out["KeyCreationDate"] == created and out["TrackingStartDate"] == created

    def used(key, operation, response, *others):
        """`response` (boto3's) is now the key's latest use, and those of `others`."""
        for k in (key,) + others:
            u = last_usage(server, k["KeyId"])["KeyLastUsage"]
            assert u["Operation"] == operation, (operation, u)
            assert u["KmsRequestId"] == response["ResponseMetadata"]["RequestId"], operation
            assert u["KmsRequestId"] == response["ResponseMetadata"]["HTTPHeaders"][
                "x-amzn-requestid"]
            assert abs(u["Timestamp"] - time.time()) < 60

    r = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"x", EncryptionContext={"a": "b"})
    used(sym, "Encrypt", r)
    blob = r["CiphertextBlob"]
    # Requests that are not cryptography, fail or only try do not count.
    kms.describe_key(KeyId=sym["KeyId"])
    kms.get_key_policy(KeyId=sym["KeyId"], PolicyName="default")
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "InvalidCiphertextException"
    assert kms_raw(server, "Encrypt", {"KeyId": sym["KeyId"], "Plaintext": b64(b"x"),
                                       "DryRun": True})[0] == 412
    used(sym, "Encrypt", r)
    assert last_usage(server, sym2["KeyId"])["KeyLastUsage"] == {}
    used(sym, "Decrypt", kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"}))
    used(sym, "GenerateDataKey", kms.generate_data_key(KeyId=sym["KeyId"], KeySpec="AES_256"))
    used(sym, "GenerateDataKeyWithoutPlaintext",
         kms.generate_data_key_without_plaintext(KeyId=sym["KeyId"], NumberOfBytes=16))
    used(sym, "GenerateDataKeyPair",
         kms.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec="ECC_NIST_P256"))
    used(sym, "GenerateDataKeyPairWithoutPlaintext",
         kms.generate_data_key_pair_without_plaintext(KeyId=sym["KeyId"],
                                                      KeyPairSpec="ECC_NIST_P384"))
    # ReEncrypt counts for both keys.
    used(sym, "ReEncrypt", kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "b"},
                                          DestinationKeyId=sym2["KeyId"]), sym2)
    ec = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    r = kms.sign(KeyId=ec["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    used(ec, "Sign", r)
    v = kms.verify(KeyId=ec["KeyId"], Message=b"m", Signature=r["Signature"],
                   SigningAlgorithm="ECDSA_SHA_256")
    used(ec, "Verify", v)
    assert code_of(kms.verify, KeyId=ec["KeyId"], Message=b"other", Signature=r["Signature"],
                   SigningAlgorithm="ECDSA_SHA_256") == "KMSInvalidSignatureException"
    used(ec, "Verify", v)
    hk = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    r = kms.generate_mac(KeyId=hk["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    used(hk, "GenerateMac", r)
    used(hk, "VerifyMac", kms.verify_mac(KeyId=hk["KeyId"], Message=b"m", Mac=r["Mac"],
                                         MacAlgorithm="HMAC_SHA_256"))
    ka = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    status, headers, body = kms_raw(server, "DeriveSharedSecret", {
        "KeyId": ka["KeyId"], "KeyAgreementAlgorithm": "ECDH",
        "PublicKey": b64(kms.get_public_key(KeyId=ec["KeyId"])["PublicKey"])})
    assert status == 200
    u = last_usage(server, ka["KeyId"])["KeyLastUsage"]
    assert u["Operation"] == "DeriveSharedSecret" and u["KmsRequestId"] == \
        headers["x-amzn-requestid"]
    # GetPublicKey is no use of the private key.
    kms.get_public_key(KeyId=ka["KeyId"])
    assert last_usage(server, ka["KeyId"])["KeyLastUsage"]["Operation"] == "DeriveSharedSecret"

    assert kms_fail(server, "GetKeyLastUsage", {
        "KeyId": "00000000-0000-4000-8000-000000000000"})[1] == "NotFoundException"
    _, _, nobody = make_user(server, "nobody")
    assert kms_fail(server, "GetKeyLastUsage", {"KeyId": sym["KeyId"]}, nobody)[1] == \
        "AccessDeniedException"


def test_key_last_usage_is_written_by_the_sweep_and_survives_kill_9(make_server, data_dir):
    server = make_server(data_dir, "--maintenance-interval", "1")
    kms = server.client("kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    request_id = kms.encrypt(KeyId=kid, Plaintext=b"x")["ResponseMetadata"]["RequestId"]
    time.sleep(2.5)  # two sweeps
    server.stop(signal.SIGKILL)
    server = make_server(data_dir)
    usage = last_usage(server, kid)["KeyLastUsage"]
    assert usage["Operation"] == "Encrypt" and usage["KmsRequestId"] == request_id


def test_key_last_usage_survives_a_graceful_restart(make_server, data_dir):
    server = make_server(data_dir)  # the default 10-second sweep
    kms = server.client("kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    time.sleep(0.2)
    request_id = kms.encrypt(KeyId=kid, Plaintext=b"x")["ResponseMetadata"]["RequestId"]
    assert server.stop(signal.SIGTERM) == 0
    server = make_server(data_dir)
    usage = last_usage(server, kid)["KeyLastUsage"]
    assert usage.get("KmsRequestId") == request_id


# --- DryRun ---------------------------------------------------------------------------------

def test_dry_run_checks_everything_and_does_nothing(server):
    acct = server.account_id
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kid = key["KeyId"]
    _, bob_arn, _ = make_user(server, "bob")
    _, carol_arn, carol_creds = make_user(server, "carol")
    blob = kms.encrypt(KeyId=kid, Plaintext=b"p")["CiphertextBlob"]
    before = last_usage(server, kid)["KeyLastUsage"]
    requests = [
        ("Encrypt", {"KeyId": kid, "Plaintext": b64(b"p")}),
        ("Decrypt", {"CiphertextBlob": b64(blob)}),
        ("ReEncrypt", {"CiphertextBlob": b64(blob), "DestinationKeyId": kid}),
        ("GenerateDataKey", {"KeyId": kid, "KeySpec": "AES_256"}),
        ("GenerateDataKeyWithoutPlaintext", {"KeyId": kid, "NumberOfBytes": 8}),
        ("GenerateDataKeyPair", {"KeyId": kid, "KeyPairSpec": "ECC_NIST_P256"}),
    ]
    for op, params in requests:
        status, headers, body = kms_raw(server, op, {**params, "DryRun": True})
        assert (status, body) == (412, DRY_RUN), op
    assert last_usage(server, kid)["KeyLastUsage"] == before  # nothing was used
    # CreateGrant: no grant is made.
    grant = {"KeyId": kid, "GranteePrincipal": bob_arn, "Operations": ["Encrypt"],
             "RetiringPrincipal": carol_arn}
    status, _, body = kms_raw(server, "CreateGrant", {**grant, "DryRun": True})
    assert (status, body) == (412, DRY_RUN)
    assert kms.list_grants(KeyId=kid)["Grants"] == []
    made = kms_ok(server, "CreateGrant", grant)
    # RetireGrant (as the retiring principal) and RevokeGrant: the grant stays.
    for op, params, creds in [
            ("RetireGrant", {"GrantToken": made["GrantToken"]}, carol_creds),
            ("RetireGrant", {"KeyId": key["Arn"], "GrantId": made["GrantId"]}, None),
            ("RevokeGrant", {"KeyId": kid, "GrantId": made["GrantId"]}, None)]:
        status, _, body = kms_raw(server, op, {**params, "DryRun": True}, creds)
        assert (status, body) == (412, DRY_RUN), op
        assert [g["GrantId"] for g in kms.list_grants(KeyId=kid)["Grants"]] == [made["GrantId"]]
    # A DryRun still validates: the request as it is must succeed.
    for op, params, code in [
            ("CreateGrant", {**grant, "Operations": ["CreateGrant"]}, "ValidationException"),
            ("CreateGrant", {**grant, "Operations": ["Sign"]}, "ValidationException"),
            ("Decrypt", {"CiphertextBlob": b64(blob), "EncryptionContext": {"x": "y"}},
             "InvalidCiphertextException"),
            ("Encrypt", {"KeyId": "00000000-0000-4000-8000-000000000000",
                         "Plaintext": b64(b"p")}, "NotFoundException"),
            ("RetireGrant", {"GrantToken": "garbage"}, "InvalidGrantTokenException")]:
        status, _, body = kms_raw(server, op, {**params, "DryRun": True})
        assert (status, body["__type"]) == (400, code), (op, body)
    kms.disable_key(KeyId=kid)
    status, _, body = kms_raw(server, "Encrypt", {"KeyId": kid, "Plaintext": b64(b"p"),
                                                  "DryRun": True})
    assert (status, body["__type"]) == (400, "DisabledException")
    kms.enable_key(KeyId=kid)
    # ... and authorizes: a caller who may not gets AccessDeniedException, not DryRun.
    _, _, nobody = make_user(server, "nobody")
    for op, params in requests[:1] + [("CreateGrant", grant),
                                      ("RevokeGrant", {"KeyId": kid,
                                                       "GrantId": made["GrantId"]})]:
        status, _, body = kms_raw(server, op, {**params, "DryRun": True}, nobody)
        assert (status, body["__type"]) == (400, "AccessDeniedException"), op
        assert f"arn:aws:iam::{acct}:user/nobody" in body["message"]
    assert len(kms.list_grants(KeyId=kid)["Grants"]) == 1


def test_decrypt_dry_run_ignoring_the_ciphertext(server):
    kms = server.client("kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    status, _, body = kms_raw(server, "Decrypt", {"KeyId": kid, "DryRun": True,
                                                  "DryRunModifiers": ["IGNORE_CIPHERTEXT"]})
    assert (status, body) == (412, DRY_RUN)


# --- The aws CLI ----------------------------------------------------------------------------

def test_cli_grants_and_rotation(server):
    def cli(*args):
        r = aws_cli(server, "kms", *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else None

    kms = server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    bob, bob_arn, _ = make_user(server, "bob")
    out = cli("create-grant", "--key-id", key_id, "--grantee-principal", bob_arn,
              "--operations", "Encrypt", "Decrypt", "--name", "cli-grant",
              "--constraints", "EncryptionContextSubset={app=cli}")
    bob.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"app": "cli"})
    (entry,) = cli("list-grants", "--key-id", key_id)["Grants"]
    assert entry["GrantId"] == out["GrantId"] and entry["Name"] == "cli-grant"
    assert entry["Operations"] == ["Encrypt", "Decrypt"]
    assert entry["Constraints"] == {"EncryptionContextSubset": {"app": "cli"}}
    cli("retire-grant", "--grant-token", out["GrantToken"])
    assert cli("list-grants", "--key-id", key_id)["Grants"] == []
    assert code_of(bob.encrypt, KeyId=key_id, Plaintext=b"x",
                   EncryptionContext={"app": "cli"}) == "AccessDeniedException"
    cli("enable-key-rotation", "--key-id", key_id)
    assert cli("get-key-rotation-status", "--key-id", key_id)["KeyRotationEnabled"] is True


# --- Time passing (libfaketime) -------------------------------------------------------------

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


@pytest.mark.skipif(not os.path.exists(FAKETIME_LIB), reason="needs Debian's faketime package")
def test_time_passing_rotates_destroys_and_expires(make_server, data_dir, tmp_path, monkeypatch):
    """400 days later (the server's clock moved by libfaketime; requests signed for it)."""
    server = make_server(data_dir)
    kms = server.client("kms")
    rotating = kms.create_key()["KeyMetadata"]["KeyId"]
    kms_ok(server, "EnableKeyRotation", {"KeyId": rotating, "RotationPeriodInDays": 90})
    kms_ok(server, "RotateKeyOnDemand", {"KeyId": rotating})
    blob = kms.encrypt(KeyId=rotating, Plaintext=b"from the past")["CiphertextBlob"]
    dormant = kms.create_key()["KeyMetadata"]["KeyId"]
    kms_ok(server, "EnableKeyRotation", {"KeyId": dormant, "RotationPeriodInDays": 90})
    kms.disable_key(KeyId=dormant)
    doomed = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=doomed["KeyId"])
    kms.create_grant(KeyId=doomed["KeyId"], GranteePrincipal=f"arn:aws:iam::{server.account_id}"
                     ":root", Operations=["Encrypt"], RetiringPrincipal=f"arn:aws:iam::"
                     f"{server.account_id}:root")
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    saved = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=saved, PendingWindowInDays=30)
    kms.cancel_key_deletion(KeyId=saved)
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    expiring = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, tmp_path, expiring, os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES",
                    ValidTo=datetime.datetime.now(datetime.timezone.utc) +
                    datetime.timedelta(days=30))
    server.stop(signal.SIGTERM)

    later = datetime.timedelta(days=400)
    monkeypatch.setenv("LD_PRELOAD", FAKETIME_LIB)
    monkeypatch.setenv("FAKETIME", "+400d")
    monkeypatch.setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1")  # the server's timers keep time
    server = make_server(data_dir, "--maintenance-interval", "1")
    monkeypatch.delenv("LD_PRELOAD")

    def call(op, params):
        when = datetime.datetime.now(datetime.timezone.utc) + later
        return kms_raw(server, op, params, when=when)

    def settled(check):
        deadline = time.time() + 10
        while not check():
            assert time.time() < deadline, check
            time.sleep(0.25)

    def rotations(key_id):
        return call("ListKeyRotations", {"KeyId": key_id})[2]["Rotations"]

    settled(lambda: any(r.get("RotationType") == "AUTOMATIC" for r in rotations(rotating)))
    entries = rotations(rotating)
    assert [r.get("RotationType") for r in entries] == ["ON_DEMAND", "AUTOMATIC"]
    assert entries[-1]["KeyMaterialState"] == "CURRENT"
    fake_now = time.time() + later.total_seconds()
    assert near(entries[-1]["RotationDate"], fake_now, 30)
    status = call("GetKeyRotationStatus", {"KeyId": rotating})[2]
    assert near(status["NextRotationDate"], entries[-1]["RotationDate"] + 90 * DAY, 5)
    st, _, out = call("Decrypt", {"CiphertextBlob": b64(blob)})
    assert st == 200 and base64.b64decode(out["Plaintext"]) == b"from the past"
    st, _, out = call("Encrypt", {"KeyId": rotating, "Plaintext": b64(b"now")})
    assert call("Decrypt", {"CiphertextBlob": out["CiphertextBlob"]})[2]["KeyMaterialId"] == \
        entries[-1]["KeyMaterialId"]
    # AWS managed keys rotate every year.
    settled(lambda: any(r.get("RotationType") == "AUTOMATIC" for r in rotations(managed)))
    # A disabled key does not rotate; enabled again, it makes up for the missed rotation.
    assert rotations(dormant) == []
    assert call("EnableKey", {"KeyId": dormant})[0] == 200
    settled(lambda: [r.get("RotationType") for r in rotations(dormant)] == ["AUTOMATIC"])
    # The key past its deletion window is gone, with its alias and grants.
    settled(lambda: call("DescribeKey", {"KeyId": doomed["KeyId"]})[0] == 400)
    assert call("DescribeKey", {"KeyId": doomed["KeyId"]})[2] == {
        "__type": "NotFoundException", "message": f"Key '{doomed['Arn']}' does not exist"}
    assert call("DescribeKey", {"KeyId": "alias/doomed"})[2]["__type"] == "NotFoundException"
    assert "alias/doomed" not in [a["AliasName"] for a in call("ListAliases", {})[2]["Aliases"]]
    assert call("ListRetirableGrants", {"RetiringPrincipal":
                                        f"arn:aws:iam::{server.account_id}:root"})[2][
        "Grants"] == []
    # A cancelled deletion is no deletion.
    assert call("DescribeKey", {"KeyId": saved})[2]["KeyMetadata"]["KeyState"] == "Disabled"
    # Imported material past its ValidTo is deleted.
    settled(lambda: call("DescribeKey", {"KeyId": expiring})[2]["KeyMetadata"]["KeyState"] ==
            "PendingImport")


# --- Durability -----------------------------------------------------------------------------

def test_grants_rotations_and_imports_survive_kill_9(make_server, data_dir, tmp_path):
    server = make_server(data_dir)
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kid = key["KeyId"]
    bob, bob_arn, bob_creds = make_user(server, "bob")
    grant = kms.create_grant(KeyId=kid, GranteePrincipal=bob_arn, Operations=["Encrypt",
                             "Decrypt"], Name="durable")
    blobs = [kms.encrypt(KeyId=kid, Plaintext=b"before")["CiphertextBlob"]]
    kms_ok(server, "EnableKeyRotation", {"KeyId": kid, "RotationPeriodInDays": 180})
    for _ in range(2):
        kms_ok(server, "RotateKeyOnDemand", {"KeyId": kid})
    blobs.append(kms.encrypt(KeyId=kid, Plaintext=b"after")["CiphertextBlob"])
    status = kms_ok(server, "GetKeyRotationStatus", {"KeyId": kid})
    rotations = kms_ok(server, "ListKeyRotations", {"KeyId": kid,
                                                    "IncludeKeyMaterial": "ALL_KEY_MATERIAL"})
    current = describe(server, kid)["CurrentKeyMaterialId"]
    # An imported key, and one whose material was deleted.
    material = os.urandom(32)
    imported = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, tmp_path, imported, material)
    imported_blob = kms.encrypt(KeyId=imported, Plaintext=b"imported")["CiphertextBlob"]
    deleted = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    deleted_material = os.urandom(32)
    import_material(kms, tmp_path, deleted, deleted_material)
    deleted_blob = kms.encrypt(KeyId=deleted, Plaintext=b"gone")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=deleted)
    # Parameters for an import still to come.
    pending = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.get_parameters_for_import(KeyId=pending, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")

    server.stop(signal.SIGKILL)
    server = make_server(data_dir)
    kms = server.client("kms")
    bob = server.client("kms", *bob_creds)
    blob = bob.encrypt(KeyId=kid, Plaintext=b"bob again", GrantTokens=[grant["GrantToken"]])[
        "CiphertextBlob"]
    assert bob.decrypt(CiphertextBlob=blob)["Plaintext"] == b"bob again"
    (entry,) = kms.list_grants(KeyId=kid)["Grants"]
    assert entry["GrantId"] == grant["GrantId"] and entry["Name"] == "durable"
    assert kms.create_grant(KeyId=kid, GranteePrincipal=bob_arn, Operations=["Encrypt", "Decrypt"],
                            Name="durable")["GrantId"] == grant["GrantId"]
    assert kms_ok(server, "GetKeyRotationStatus", {"KeyId": kid}) == status
    assert kms_ok(server, "ListKeyRotations", {
        "KeyId": kid, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"}) == rotations
    assert describe(server, kid)["CurrentKeyMaterialId"] == current
    assert [kms.decrypt(CiphertextBlob=b)["Plaintext"] for b in blobs] == [b"before", b"after"]
    assert kms.decrypt(CiphertextBlob=imported_blob)["Plaintext"] == b"imported"
    assert kms.describe_key(KeyId=imported)["KeyMetadata"]["ExpirationModel"] == \
        "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert kms.describe_key(KeyId=deleted)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert code_of(import_material, kms, tmp_path, deleted, os.urandom(32)) == \
        "IncorrectKeyMaterialException"
    import_material(kms, tmp_path, deleted, deleted_material)
    assert kms.decrypt(CiphertextBlob=deleted_blob)["Plaintext"] == b"gone"
    kms.import_key_material(KeyId=pending, ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=wrap(tmp_path, params["PublicKey"],
                                                      "RSAES_OAEP_SHA_256", os.urandom(32)),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.describe_key(KeyId=pending)["KeyMetadata"]["KeyState"] == "Enabled"
