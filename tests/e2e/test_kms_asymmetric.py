"""KMS asymmetric, HMAC and key-agreement keys end to end with boto3, raw JSON 1.1 requests
and the aws CLI v2: every key spec and usage with its algorithms, public keys as DER
SubjectPublicKeyInfo, Sign/Verify (RAW and DIGEST) checked by OpenSSL, RSA-OAEP
encryption both ways with OpenSSL, ReEncrypt across key types, GenerateMac/VerifyMac,
DeriveSharedSecret against OpenSSL's ECDH, and data key pairs as PKCS#8 DER.

Debian's botocore 1.29 knows neither DeriveSharedSecret, nor KEY_AGREEMENT's
KeyAgreementAlgorithms, nor DryRun: those requests are raw JSON 1.1, signed with
rawsig.py, their blobs base64 as the AWS JSON protocol has them.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import base64
import hashlib
import json
import subprocess

import botocore.exceptions
import pytest

from conftest import aws_cli
from kms_util import b64, code_of, error_of, kms_fail, kms_ok, kms_raw, openssl

# --- helpers -------------------------------------------------------------------------------

SIGNING = {
    "RSA_2048": ["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
                 "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384",
                 "RSASSA_PSS_SHA_512"],
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
}
SIGNING["RSA_3072"] = SIGNING["RSA_4096"] = SIGNING["RSA_2048"]
ALL_SIGNING = SIGNING["RSA_2048"] + ["ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512"]
RSA_OAEP = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
MAC_SPECS = {"HMAC_224": ("HMAC_SHA_224", 28), "HMAC_256": ("HMAC_SHA_256", 32),
             "HMAC_384": ("HMAC_SHA_384", 48), "HMAC_512": ("HMAC_SHA_512", 64)}
# How `openssl pkey -text` names each spec's key.
OPENSSL_NAME = {"RSA_2048": "(2048 bit", "RSA_3072": "(3072 bit", "RSA_4096": "(4096 bit",
                "ECC_NIST_P256": "prime256v1", "ECC_NIST_P384": "secp384r1",
                "ECC_NIST_P521": "secp521r1", "ECC_SECG_P256K1": "secp256k1"}
CURVE = {"ECC_NIST_P256": "P-256", "ECC_NIST_P384": "P-384", "ECC_NIST_P521": "P-521"}
SECRET_SIZE = {"ECC_NIST_P256": 32, "ECC_NIST_P384": 48, "ECC_NIST_P521": 66}
# Valid usages per spec (the first one is what the loops below create when they need one).
USAGES = {
    "RSA_2048": ["ENCRYPT_DECRYPT", "SIGN_VERIFY"], "RSA_3072": ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
    "RSA_4096": ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
    "ECC_NIST_P256": ["SIGN_VERIFY", "KEY_AGREEMENT"],
    "ECC_NIST_P384": ["SIGN_VERIFY", "KEY_AGREEMENT"],
    "ECC_NIST_P521": ["SIGN_VERIFY", "KEY_AGREEMENT"],
    "ECC_SECG_P256K1": ["SIGN_VERIFY"],
    "HMAC_224": ["GENERATE_VERIFY_MAC"], "HMAC_256": ["GENERATE_VERIFY_MAC"],
    "HMAC_384": ["GENERATE_VERIFY_MAC"], "HMAC_512": ["GENERATE_VERIFY_MAC"],
    "SYMMETRIC_DEFAULT": ["ENCRYPT_DECRYPT"],
}
ALL_USAGES = ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]


def pem_of_public(tmp_path, der, name="pub"):
    """The PEM file of a DER SubjectPublicKeyInfo, by OpenSSL (which checks it)."""
    (tmp_path / f"{name}.der").write_bytes(der)
    path = tmp_path / f"{name}.pem"
    openssl("pkey", "-pubin", "-inform", "DER", "-in", str(tmp_path / f"{name}.der"),
            "-out", str(path))
    return path


def public_text(tmp_path, der):
    (tmp_path / "text.der").write_bytes(der)
    return openssl("pkey", "-pubin", "-inform", "DER", "-in", str(tmp_path / "text.der"),
                   "-noout", "-text").decode()


def openssl_verify(tmp_path, pub_pem, algorithm, message, signature):
    """Does OpenSSL accept a KMS signature over `message` (the raw message)?"""
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(signature)
    args = ["dgst", "-sha" + algorithm[-3:], "-verify", str(pub_pem),
            "-signature", str(tmp_path / "sig")]
    if "_PSS_" in algorithm:
        # KMS's PSS salt is as long as the digest (-1); MGF1 with the same hash.
        args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1"]
    r = subprocess.run(["openssl", *args, str(tmp_path / "msg")], capture_output=True)
    return r.returncode == 0 and b"Verified OK" in r.stdout


def new_key(kms, spec, usage):
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]


def der_is_pkcs8(der):
    """PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE { OID ... }, OCTET STRING ... }."""
    if der[0] != 0x30:
        return False
    i = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)
    return der[i:i + 3] == b"\x02\x01\x00" and der[i + 3] == 0x30 and der[i + 5] == 0x06


# --- CreateKey and KeyMetadata --------------------------------------------------------------

def test_every_spec_and_usage_with_its_algorithms(server):
    kms = server.client("kms")
    for spec, usages in USAGES.items():
        if spec in ("RSA_4096", "SYMMETRIC_DEFAULT"):
            continue  # RSA_4096 takes a second per key: its tests below check it.
        for usage in usages:
            meta = kms_ok(server, "CreateKey", {"KeySpec": spec, "KeyUsage": usage})["KeyMetadata"]
            described = kms_ok(server, "DescribeKey", {"KeyId": meta["KeyId"]})["KeyMetadata"]
            assert described == meta, (spec, usage)
            assert meta["KeySpec"] == spec and meta["CustomerMasterKeySpec"] == spec
            assert meta["KeyUsage"] == usage and meta["KeyState"] == "Enabled"
            assert meta["Origin"] == "AWS_KMS" and meta["KeyManager"] == "CUSTOMER"
            lists = {k: v for k, v in meta.items() if k.endswith("Algorithms")}
            if usage == "ENCRYPT_DECRYPT":
                assert lists == {"EncryptionAlgorithms": RSA_OAEP}, spec
            elif usage == "SIGN_VERIFY":
                assert lists == {"SigningAlgorithms": SIGNING[spec]}, spec
            elif usage == "KEY_AGREEMENT":
                assert lists == {"KeyAgreementAlgorithms": ["ECDH"]}, spec
            else:
                assert lists == {"MacAlgorithms": [MAC_SPECS[spec][0]]}, spec
            # Only symmetric encryption keys have key material ids.
            assert "CurrentKeyMaterialId" not in meta, spec
    # The deprecated CustomerMasterKeySpec works the same way.
    meta = kms.create_key(CustomerMasterKeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")[
        "KeyMetadata"]
    assert meta["KeySpec"] == "ECC_NIST_P384" and meta["SigningAlgorithms"] == ["ECDSA_SHA_384"]


def test_create_key_refuses_missing_and_wrong_usages(server):
    kms = server.client("kms")
    before = kms.list_keys()["Keys"]
    for spec, usages in USAGES.items():
        if spec != "SYMMETRIC_DEFAULT":
            err = error_of(kms.create_key, KeySpec=spec)
            assert err == {"Code": "ValidationException",
                           "Message": "You must specify a KeyUsage value for all KMS keys "
                                      "except for symmetric encryption keys."}, spec
        for usage in ALL_USAGES:
            if usage in usages:
                continue
            err = error_of(kms.create_key, KeySpec=spec, KeyUsage=usage)
            assert err == {"Code": "ValidationException",
                           "Message": f"KeyUsage {usage} is not compatible with KeySpec {spec}."}
    for usage in ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "KEY_AGREEMENT"]:
        assert code_of(kms.create_key, KeySpec="SM2", KeyUsage=usage) == \
            "UnsupportedOperationException"
    # An unknown spec is the model's enum error.
    status, code, message = kms_fail(server, "CreateKey", {"KeySpec": "RSA_1024",
                                                          "KeyUsage": "SIGN_VERIFY"})
    assert status == 400 and code == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'RSA_1024' at 'keySpec' "
                              "failed to satisfy constraint: Member must satisfy enum value set:")
    assert kms.list_keys()["Keys"] == before  # nothing was made


# --- GetPublicKey ---------------------------------------------------------------------------

def test_public_keys_are_der_subject_public_key_info(server, tmp_path):
    kms = server.client("kms")
    seen = set()
    for spec, usages in USAGES.items():
        if spec.startswith("HMAC") or spec in ("SYMMETRIC_DEFAULT", "RSA_4096"):
            continue
        for usage in usages:
            meta = kms_ok(server, "CreateKey", {"KeySpec": spec, "KeyUsage": usage})[
                "KeyMetadata"]
            out = kms_ok(server, "GetPublicKey", {"KeyId": meta["KeyId"]})
            der = base64.b64decode(out["PublicKey"])
            assert der[0] == 0x30, spec
            assert OPENSSL_NAME[spec] in public_text(tmp_path, der), (spec, usage)
            # The PEM round trip gives the same DER: it is SubjectPublicKeyInfo as is.
            pem = pem_of_public(tmp_path, der)
            assert openssl("pkey", "-pubin", "-in", str(pem), "-outform", "DER") == der
            assert out["KeyId"] == meta["Arn"] and out["KeySpec"] == spec
            assert out["CustomerMasterKeySpec"] == spec and out["KeyUsage"] == usage
            lists = {k: v for k, v in out.items() if k.endswith("Algorithms")}
            assert lists == {k: v for k, v in meta.items() if k.endswith("Algorithms")}
            assert der not in seen  # every key its own pair
            seen.add(der)
    # By alias, too.
    kms.create_alias(AliasName="alias/signer", TargetKeyId=meta["KeyId"])
    assert kms.get_public_key(KeyId="alias/signer")["PublicKey"] == der
    assert kms.get_public_key(KeyId=meta["Arn"])["PublicKey"] == der
    # Symmetric and HMAC keys have none.
    for spec, usage in [("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
                        ("HMAC_256", "GENERATE_VERIFY_MAC")]:
        key = new_key(kms, spec, usage)
        assert code_of(kms.get_public_key, KeyId=key["KeyId"]) == \
            "UnsupportedOperationException"
    assert code_of(kms.get_public_key, KeyId="00000000-0000-4000-8000-000000000000") == \
        "NotFoundException"


# --- Sign and Verify ------------------------------------------------------------------------

def test_sign_verify_every_algorithm_and_openssl_agrees(server, tmp_path):
    kms = server.client("kms")
    message = b"the quick brown fox " * 10
    for spec in ["RSA_2048", "RSA_3072", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
                 "ECC_SECG_P256K1"]:
        key = new_key(kms, spec, "SIGN_VERIFY")
        pem = pem_of_public(tmp_path, kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
        for alg in SIGNING[spec]:
            digest = hashlib.new("sha" + alg[-3:], message).digest()
            for mtype, payload in [("RAW", message), ("DIGEST", digest)]:
                out = kms.sign(KeyId=key["KeyId"], Message=payload, MessageType=mtype,
                               SigningAlgorithm=alg)
                sig = out["Signature"]
                assert out["KeyId"] == key["Arn"] and out["SigningAlgorithm"] == alg
                assert openssl_verify(tmp_path, pem, alg, message, sig), (spec, alg, mtype)
                # KMS verifies it either way the message is given.
                for vtype, vpayload in [("RAW", message), ("DIGEST", digest)]:
                    v = kms.verify(KeyId=key["KeyId"], Message=vpayload, MessageType=vtype,
                                   Signature=sig, SigningAlgorithm=alg)
                    assert v["SignatureValid"] is True and v["SigningAlgorithm"] == alg
                    assert v["KeyId"] == key["Arn"]
                # Another message, or the signature altered anywhere: refused, with
                # AWS's empty message.
                err = error_of(kms.verify, KeyId=key["KeyId"], Message=message + b"!",
                               Signature=sig, SigningAlgorithm=alg)
                assert err == {"Code": "KMSInvalidSignatureException", "Message": ""}
                for i in (0, 1, len(sig) // 2, len(sig) - 1):
                    bad = bytearray(sig)
                    bad[i] ^= 0x01
                    err = error_of(kms.verify, KeyId=key["KeyId"], Message=message,
                                   Signature=bytes(bad), SigningAlgorithm=alg)
                    assert err["Code"] == "KMSInvalidSignatureException", (spec, alg, i)
                    assert not openssl_verify(tmp_path, pem, alg, message, bytes(bad))
            # PKCS #1 v1.5 is deterministic; PSS and ECDSA are randomized.
            again = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=alg)
            first = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=alg)
            assert (again["Signature"] == first["Signature"]) == ("PKCS1" in alg), alg
        if spec.startswith("RSA"):
            # A PKCS #1 signature is no PSS signature.
            sig = kms.sign(KeyId=key["KeyId"], Message=message,
                           SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
            assert code_of(kms.verify, KeyId=key["KeyId"], Message=message, Signature=sig,
                           SigningAlgorithm="RSASSA_PSS_SHA_256") == \
                "KMSInvalidSignatureException"


def test_rsa_4096_signs_and_a_foreign_signature_is_refused(server, tmp_path):
    kms = server.client("kms")
    key = new_key(kms, "RSA_4096", "SIGN_VERIFY")
    assert key["SigningAlgorithms"] == SIGNING["RSA_4096"] and "EncryptionAlgorithms" not in key
    pem = pem_of_public(tmp_path, kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    for alg in ["RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_384"]:
        sig = kms.sign(KeyId=key["KeyId"], Message=b"big", SigningAlgorithm=alg)["Signature"]
        assert len(sig) == 512 and openssl_verify(tmp_path, pem, alg, b"big", sig)
    # A signature OpenSSL made with a key of the same curve is not the KMS key's.
    ec = new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", str(tmp_path / "mine.pem"))
    (tmp_path / "m").write_bytes(b"forged")
    foreign = openssl("dgst", "-sha256", "-sign", str(tmp_path / "mine.pem"), str(tmp_path / "m"))
    assert code_of(kms.verify, KeyId=ec["KeyId"], Message=b"forged", Signature=foreign,
                   SigningAlgorithm="ECDSA_SHA_256") == "KMSInvalidSignatureException"
    # Garbage that is no DER signature at all.
    assert code_of(kms.verify, KeyId=ec["KeyId"], Message=b"forged", Signature=b"\x00" * 10,
                   SigningAlgorithm="ECDSA_SHA_256") == "KMSInvalidSignatureException"


def test_sign_refuses_wrong_algorithms_digests_and_keys(server):
    kms = server.client("kms")
    keys = {spec: new_key(kms, spec, "SIGN_VERIFY")
            for spec in ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
                         "ECC_SECG_P256K1"]}
    for spec, key in keys.items():
        for alg in ALL_SIGNING:
            if alg in SIGNING[spec]:
                continue
            for call in (kms.sign, kms.verify):
                extra = {"Signature": b"x" * 64} if call == kms.verify else {}
                err = error_of(call, KeyId=key["KeyId"], Message=b"m", SigningAlgorithm=alg,
                               **extra)
                assert err == {"Code": "InvalidKeyUsageException",
                               "Message": f"Algorithm {alg} is incompatible with key spec "
                                          f"{spec}."}, (spec, alg)
        for alg in SIGNING[spec]:
            size = {"256": 32, "384": 48, "512": 64}[alg[-3:]]
            for wrong in (size - 1, size + 1, 20):
                err = error_of(kms.sign, KeyId=key["KeyId"], Message=b"d" * wrong,
                               MessageType="DIGEST", SigningAlgorithm=alg)
                assert err == {"Code": "ValidationException",
                               "Message": f"Digest is invalid length for algorithm {alg}."}
                err = error_of(kms.verify, KeyId=key["KeyId"], Message=b"d" * wrong,
                               MessageType="DIGEST", SigningAlgorithm=alg, Signature=b"s" * 64)
                assert err["Code"] == "ValidationException", (spec, alg, wrong)
    # Keys of other usages.
    others = [new_key(kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
              new_key(kms, "RSA_2048", "ENCRYPT_DECRYPT"),
              new_key(kms, "HMAC_256", "GENERATE_VERIFY_MAC"),
              new_key(kms, "ECC_NIST_P256", "KEY_AGREEMENT")]
    for key in others:
        for op, call, extra in [("Sign", kms.sign, {}),
                                ("Verify", kms.verify, {"Signature": b"s" * 64})]:
            err = error_of(call, KeyId=key["KeyId"], Message=b"m",
                           SigningAlgorithm="ECDSA_SHA_256", **extra)
            assert err == {"Code": "InvalidKeyUsageException",
                           "Message": f"{key['Arn']} key usage is {key['KeyUsage']} which is "
                                      f"not valid for {op}."}
    # RAW messages up to 4096 bytes; beyond, the model's limit.
    key = keys["ECC_NIST_P256"]
    kms.sign(KeyId=key["KeyId"], Message=b"x" * 4096, SigningAlgorithm="ECDSA_SHA_256")
    raw = server.client("kms", parameter_validation=False)
    assert code_of(raw.sign, KeyId=key["KeyId"], Message=b"x" * 4097,
                   SigningAlgorithm="ECDSA_SHA_256") == "ValidationException"
    # A disabled key signs nothing.
    kms.disable_key(KeyId=key["KeyId"])
    assert error_of(kms.sign, KeyId=key["KeyId"], Message=b"m",
                    SigningAlgorithm="ECDSA_SHA_256") == \
        {"Code": "DisabledException", "Message": f"{key['Arn']} is disabled."}


# --- RSA encryption -------------------------------------------------------------------------

def test_rsa_encrypt_decrypt_limits_and_openssl(server, tmp_path):
    kms = server.client("kms")
    limits = {"RSA_2048": (214, 190), "RSA_3072": (342, 318), "RSA_4096": (470, 446)}
    for spec, (sha1_max, sha256_max) in limits.items():
        key = new_key(kms, spec, "ENCRYPT_DECRYPT")
        assert key["EncryptionAlgorithms"] == RSA_OAEP and "SigningAlgorithms" not in key
        pem = pem_of_public(tmp_path, kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
        modulus = int(spec[4:]) // 8
        for alg, limit in [("RSAES_OAEP_SHA_1", sha1_max), ("RSAES_OAEP_SHA_256", sha256_max)]:
            for size in (1, limit):
                plain = bytes(range(256)) * 2
                plain = plain[:size]
                out = kms.encrypt(KeyId=key["KeyId"], Plaintext=plain, EncryptionAlgorithm=alg)
                blob = out["CiphertextBlob"]
                assert len(blob) == modulus and out["EncryptionAlgorithm"] == alg
                assert out["KeyId"] == key["Arn"]
                back = kms.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"],
                                   EncryptionAlgorithm=alg)
                assert back["Plaintext"] == plain and back["EncryptionAlgorithm"] == alg
                assert back["KeyId"] == key["Arn"]
                # OAEP is randomized.
                assert kms.encrypt(KeyId=key["KeyId"], Plaintext=plain,
                                   EncryptionAlgorithm=alg)["CiphertextBlob"] != blob
            err = error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x" * (limit + 1),
                           EncryptionAlgorithm=alg)
            assert err == {"Code": "ValidationException",
                           "Message": f"Algorithm {alg} and key spec {spec} cannot encrypt "
                                      f"data larger than {limit} bytes."}
            # What OpenSSL encrypts with the public key, KMS decrypts.
            md = "sha1" if alg.endswith("SHA_1") else "sha256"
            (tmp_path / "plain").write_bytes(b"from openssl " + spec.encode())
            ct = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(pem), "-in",
                         str(tmp_path / "plain"), "-pkeyopt", "rsa_padding_mode:oaep",
                         "-pkeyopt", f"rsa_oaep_md:{md}", "-pkeyopt", f"rsa_mgf1_md:{md}")
            assert kms.decrypt(CiphertextBlob=ct, KeyId=key["Arn"], EncryptionAlgorithm=alg)[
                "Plaintext"] == b"from openssl " + spec.encode()
            # Under the other OAEP hash it does not decrypt.
            other = RSA_OAEP[1 - RSA_OAEP.index(alg)]
            assert code_of(kms.decrypt, CiphertextBlob=ct, KeyId=key["Arn"],
                           EncryptionAlgorithm=other) == "InvalidCiphertextException"
        if spec == "RSA_2048":
            # No algorithm means SYMMETRIC_DEFAULT, which an RSA key does not take.
            assert error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p") == {
                "Code": "InvalidKeyUsageException",
                "Message": "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."}
            # Decrypt of an RSA ciphertext needs the key and the algorithm.
            rsa_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p",
                                   EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
            assert code_of(kms.decrypt, CiphertextBlob=rsa_blob,
                           EncryptionAlgorithm="RSAES_OAEP_SHA_256") == \
                "InvalidCiphertextException"
            assert code_of(kms.decrypt, CiphertextBlob=rsa_blob, KeyId=key["KeyId"]) == \
                "InvalidKeyUsageException"
            # An encryption context is for symmetric keys only (AWS's error is unrecorded).
            with pytest.raises(botocore.exceptions.ClientError):
                kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p",
                            EncryptionAlgorithm="RSAES_OAEP_SHA_256", EncryptionContext={"a": "b"})
            rsa_2048 = key
    # Another RSA key of the same spec cannot decrypt it.
    other = new_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    assert code_of(kms.decrypt, CiphertextBlob=rsa_blob, KeyId=other["KeyId"],
                   EncryptionAlgorithm="RSAES_OAEP_SHA_256") == "InvalidCiphertextException"
    assert kms.decrypt(CiphertextBlob=rsa_blob, KeyId=rsa_2048["KeyId"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"p"
    # RSA algorithms on a symmetric key, and keys that do not encrypt.
    sym = new_key(kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    for alg in RSA_OAEP:
        assert error_of(kms.encrypt, KeyId=sym["KeyId"], Plaintext=b"p",
                        EncryptionAlgorithm=alg) == {
            "Code": "InvalidKeyUsageException",
            "Message": f"Algorithm {alg} is incompatible with key spec SYMMETRIC_DEFAULT."}
    for spec, usage in [("RSA_2048", "SIGN_VERIFY"), ("ECC_NIST_P256", "KEY_AGREEMENT"),
                        ("HMAC_384", "GENERATE_VERIFY_MAC")]:
        key = new_key(kms, spec, usage)
        assert error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p",
                        EncryptionAlgorithm="RSAES_OAEP_SHA_256") == {
            "Code": "InvalidKeyUsageException",
            "Message": f"{key['Arn']} key usage is {usage} which is not valid for Encrypt."}


def test_reencrypt_between_rsa_and_symmetric_keys(server):
    kms = server.client("kms")
    rsa = new_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    rsa2 = new_key(kms, "RSA_3072", "ENCRYPT_DECRYPT")
    sym = new_key(kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    blob = kms.encrypt(KeyId=rsa["KeyId"], Plaintext=b"moving", EncryptionAlgorithm=
                       "RSAES_OAEP_SHA_256")["CiphertextBlob"]
    # RSA to symmetric.
    out = kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=rsa["KeyId"],
                         SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
                         DestinationKeyId=sym["KeyId"], DestinationEncryptionContext={"c": "1"})
    assert out["SourceKeyId"] == rsa["Arn"] and out["KeyId"] == sym["Arn"]
    assert out["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert out["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    sym_blob = out["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=sym_blob, EncryptionContext={"c": "1"})["Plaintext"] == \
        b"moving"
    # ... and back to another RSA key, with the other OAEP hash.
    out = kms.re_encrypt(CiphertextBlob=sym_blob, SourceEncryptionContext={"c": "1"},
                         DestinationKeyId=rsa2["Arn"],
                         DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert out["SourceKeyId"] == sym["Arn"] and out["KeyId"] == rsa2["Arn"]
    assert len(out["CiphertextBlob"]) == 384
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], KeyId=rsa2["KeyId"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"moving"
    # RSA to RSA on the same key.
    out = kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=rsa["KeyId"],
                         SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
                         DestinationKeyId=rsa["KeyId"],
                         DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], KeyId=rsa["KeyId"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"moving"
    # Too much plaintext for the destination's limit.
    big = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"z" * 191)["CiphertextBlob"]
    assert error_of(kms.re_encrypt, CiphertextBlob=big, DestinationKeyId=rsa["KeyId"],
                    DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256")["Message"] == \
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger " \
        "than 190 bytes."
    # A destination RSA key without its algorithm.
    assert code_of(kms.re_encrypt, CiphertextBlob=big, DestinationKeyId=rsa["KeyId"]) == \
        "InvalidKeyUsageException"


# --- HMAC -----------------------------------------------------------------------------------

def test_generate_and_verify_mac_for_every_hmac_spec(server):
    kms = server.client("kms")
    keys = {spec: new_key(kms, spec, "GENERATE_VERIFY_MAC") for spec in MAC_SPECS}
    twin = new_key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    messages = [b"m", b"hello world", (bytes(range(256)) * 16)[:4095]]
    for spec, key in keys.items():
        alg, size = MAC_SPECS[spec]
        for message in messages:
            out = kms.generate_mac(KeyId=key["KeyId"], Message=message, MacAlgorithm=alg)
            mac = out["Mac"]
            assert len(mac) == size and out["MacAlgorithm"] == alg and out["KeyId"] == key["Arn"]
            assert kms.generate_mac(KeyId=key["Arn"], Message=message, MacAlgorithm=alg)[
                "Mac"] == mac  # deterministic
            v = kms.verify_mac(KeyId=key["KeyId"], Message=message, MacAlgorithm=alg, Mac=mac)
            assert v["MacValid"] is True and v["MacAlgorithm"] == alg and v["KeyId"] == key["Arn"]
            for bad_message, bad_mac in [(message + b"x", mac), (message, mac[:-1] + bytes(
                    [mac[-1] ^ 1])), (message, mac[:-1]), (message, mac + b"\x00")]:
                err = error_of(kms.verify_mac, KeyId=key["KeyId"], Message=bad_message,
                               MacAlgorithm=alg, Mac=bad_mac)
                assert err == {"Code": "KMSInvalidMacException", "Message": ""}, spec
        # Messages that differ have different MACs.
        macs = {kms.generate_mac(KeyId=key["KeyId"], Message=m, MacAlgorithm=alg)["Mac"]
                for m in messages}
        assert len(macs) == len(messages)
        for other_alg, _ in MAC_SPECS.values():
            if other_alg == alg:
                continue
            for call, extra in [(kms.generate_mac, {}), (kms.verify_mac, {"Mac": b"x" * 32})]:
                err = error_of(call, KeyId=key["KeyId"], Message=b"m", MacAlgorithm=other_alg,
                               **extra)
                assert err == {"Code": "InvalidKeyUsageException",
                               "Message": f"Algorithm {other_alg} is incompatible with key spec "
                                          f"{spec}."}
    # Two keys of one spec have different keys.
    a = kms.generate_mac(KeyId=keys["HMAC_256"]["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    b = kms.generate_mac(KeyId=twin["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert a["Mac"] != b["Mac"]
    assert code_of(kms.verify_mac, KeyId=twin["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256",
                   Mac=a["Mac"]) == "KMSInvalidMacException"
    # Keys that do not make MACs.
    for spec, usage in [("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("ECC_NIST_P256", "SIGN_VERIFY")]:
        key = new_key(kms, spec, usage)
        for op, call, extra in [("GenerateMac", kms.generate_mac, {}),
                                ("VerifyMac", kms.verify_mac, {"Mac": b"x" * 32})]:
            assert error_of(call, KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256",
                            **extra) == {
                "Code": "InvalidKeyUsageException",
                "Message": f"{key['Arn']} key usage is {usage} which is not valid for {op}."}
    # HMAC keys neither sign nor encrypt.
    hk = keys["HMAC_512"]
    assert error_of(kms.sign, KeyId=hk["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256") \
        == {"Code": "InvalidKeyUsageException",
            "Message": f"{hk['Arn']} key usage is GENERATE_VERIFY_MAC which is not valid for Sign."}
    assert code_of(kms.encrypt, KeyId=hk["KeyId"], Plaintext=b"p") == "InvalidKeyUsageException"
    # The model's enum for the algorithm.
    status, code, message = kms_fail(server, "GenerateMac", {
        "KeyId": hk["KeyId"], "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_1"})
    assert status == 400 and code == "ValidationException" and "'macAlgorithm'" in message


# --- DeriveSharedSecret ---------------------------------------------------------------------

def derive(server, key_id, public_key, **extra):
    return kms_raw(server, "DeriveSharedSecret", {"KeyId": key_id, "KeyAgreementAlgorithm":
                                                  "ECDH", "PublicKey": b64(public_key), **extra})


def test_derive_shared_secret_between_kms_keys_and_with_openssl(server, tmp_path):
    kms = server.client("kms")
    pubs = {}
    for spec, curve in CURVE.items():
        a = new_key(kms, spec, "KEY_AGREEMENT")
        b = new_key(kms, spec, "KEY_AGREEMENT")
        pub_a = kms.get_public_key(KeyId=a["KeyId"])["PublicKey"]
        pub_b = kms.get_public_key(KeyId=b["KeyId"])["PublicKey"]
        pubs[spec] = (a, pub_a)
        st, _, ab = derive(server, a["KeyId"], pub_b)
        assert st == 200, ab
        st, _, ba = derive(server, b["Arn"], pub_a)
        assert st == 200, ba
        secret = base64.b64decode(ab["SharedSecret"])
        assert len(secret) == SECRET_SIZE[spec] and base64.b64decode(ba["SharedSecret"]) == secret
        assert ab["KeyId"] == a["Arn"] and ab["KeyAgreementAlgorithm"] == "ECDH"
        assert ab["KeyOrigin"] == "AWS_KMS"
        # OpenSSL's ECDH with a key of its own gives the secret KMS derives against that key.
        mine = tmp_path / f"mine-{spec}.pem"
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}",
                "-out", str(mine))
        my_pub = openssl("pkey", "-in", str(mine), "-pubout", "-outform", "DER")
        kms_pem = pem_of_public(tmp_path, pub_a, "kmspub")
        ours = openssl("pkeyutl", "-derive", "-inkey", str(mine), "-peerkey", str(kms_pem))
        st, _, theirs = derive(server, a["KeyId"], my_pub)
        assert st == 200 and base64.b64decode(theirs["SharedSecret"]) == ours, spec
        assert ours != secret
    # A public key of another curve, of RSA, or no key at all.
    rsa = new_key(kms, "RSA_2048", "SIGN_VERIFY")
    rsa_pub = kms.get_public_key(KeyId=rsa["KeyId"])["PublicKey"]
    a256, pub256 = pubs["ECC_NIST_P256"]
    _, pub384 = pubs["ECC_NIST_P384"]
    off_curve = bytearray(pub256)
    off_curve[-1] ^= 0x01  # a point that is not on the curve (invalid-curve attacks)
    for bad in [pub384, rsa_pub, b"\x30\x03\x02\x01\x00", pub256[:-5], bytes(off_curve)]:
        st, _, body = derive(server, a256["KeyId"], bad)
        assert (st, body["__type"]) == (400, "ValidationException"), body
    # Keys that do not agree keys.
    for key in [rsa, new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY"),
                new_key(kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")]:
        st, _, body = derive(server, key["KeyId"], pub256)
        assert st == 400 and body == {
            "__type": "InvalidKeyUsageException",
            "message": f"{key['Arn']} key usage is {key['KeyUsage']} which is not valid for "
                       "DeriveSharedSecret."}
    # Only ECDH; a key agreement key neither signs nor encrypts.
    st, _, body = kms_raw(server, "DeriveSharedSecret", {
        "KeyId": a256["KeyId"], "KeyAgreementAlgorithm": "DH", "PublicKey": b64(pub256)})
    assert st == 400 and body["__type"] == "ValidationException"
    assert error_of(kms.sign, KeyId=a256["KeyId"], Message=b"m",
                    SigningAlgorithm="ECDSA_SHA_256")["Code"] == "InvalidKeyUsageException"
    # DryRun, and a disabled key.
    st, _, body = derive(server, a256["KeyId"], pub256, DryRun=True)
    assert st == 412 and body["__type"] == "DryRunOperationException"
    kms.disable_key(KeyId=a256["KeyId"])
    st, _, body = derive(server, a256["KeyId"], pub256)
    assert st == 400 and body == {"__type": "DisabledException",
                                  "message": f"{a256['Arn']} is disabled."}


# --- Data key pairs -------------------------------------------------------------------------

PAIR_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384",
              "ECC_NIST_P521", "ECC_SECG_P256K1"]


def public_of_private(tmp_path, der):
    (tmp_path / "priv.der").write_bytes(der)
    # `openssl pkcs8` reads PKCS#8 PrivateKeyInfo only (not PKCS#1 or SEC 1).
    openssl("pkcs8", "-nocrypt", "-inform", "DER", "-in", str(tmp_path / "priv.der"))
    return openssl("pkey", "-inform", "DER", "-in", str(tmp_path / "priv.der"), "-pubout",
                   "-outform", "DER")


def test_data_key_pairs_for_every_spec(server, tmp_path):
    kms = server.client("kms")
    key = new_key(kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    ctx = {"purpose": "pairs"}
    publics = set()
    for spec in PAIR_SPECS:
        out = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec=spec,
                                         EncryptionContext=ctx)
        assert out["KeyId"] == key["Arn"] and out["KeyPairSpec"] == spec
        private, public = out["PrivateKeyPlaintext"], out["PublicKey"]
        assert der_is_pkcs8(private), spec
        assert public_of_private(tmp_path, private) == public, spec
        assert OPENSSL_NAME[spec] in public_text(tmp_path, public), spec
        back = kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext=ctx)
        assert back["Plaintext"] == private and back["KeyId"] == key["Arn"]
        assert code_of(kms.decrypt, CiphertextBlob=out["PrivateKeyCiphertextBlob"]) == \
            "InvalidCiphertextException"
        publics.add(public)
        if spec == "RSA_4096":
            continue  # one more 4096-bit pair is a second for nothing new
        wp = kms.generate_data_key_pair_without_plaintext(KeyId=key["Arn"], KeyPairSpec=spec)
        assert "PrivateKeyPlaintext" not in wp and wp["KeyPairSpec"] == spec
        private = kms.decrypt(CiphertextBlob=wp["PrivateKeyCiphertextBlob"])["Plaintext"]
        assert der_is_pkcs8(private) and public_of_private(tmp_path, private) == wp["PublicKey"]
        publics.add(wp["PublicKey"])
    assert len(publics) == 2 * len(PAIR_SPECS) - 1  # every pair is new
    # The pair's private key works: OpenSSL signs, the public key verifies.
    pair = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256")
    (tmp_path / "p.der").write_bytes(pair["PrivateKeyPlaintext"])
    (tmp_path / "m").write_bytes(b"signed offline")
    sig = openssl("dgst", "-sha256", "-keyform", "DER", "-sign", str(tmp_path / "p.der"),
                  str(tmp_path / "m"))
    assert openssl_verify(tmp_path, pem_of_public(tmp_path, pair["PublicKey"]),
                          "ECDSA_SHA_256", b"signed offline", sig)
    # The KMS key must be a symmetric encryption key.
    for spec, usage in [("RSA_2048", "ENCRYPT_DECRYPT"), ("RSA_2048", "SIGN_VERIFY"),
                        ("HMAC_256", "GENERATE_VERIFY_MAC"), ("ECC_NIST_P256", "KEY_AGREEMENT")]:
        bad = new_key(kms, spec, usage)
        for call in (kms.generate_data_key_pair, kms.generate_data_key_pair_without_plaintext):
            assert code_of(call, KeyId=bad["KeyId"], KeyPairSpec="ECC_NIST_P256") == \
                "InvalidKeyUsageException", (spec, usage)
    # Data keys too.
    rsa = new_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    assert code_of(kms.generate_data_key, KeyId=rsa["KeyId"], KeySpec="AES_256") == \
        "InvalidKeyUsageException"
    # SM2 pairs are China-only.
    assert code_of(kms.generate_data_key_pair, KeyId=key["KeyId"], KeyPairSpec="SM2") == \
        "UnsupportedOperationException"


# --- DryRun of the asymmetric operations ----------------------------------------------------

def test_dry_run_of_sign_verify_mac_and_pairs(server):
    kms = server.client("kms")
    ec = new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    hk = new_key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    sym = new_key(kms, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    sig = kms.sign(KeyId=ec["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    mac = kms.generate_mac(KeyId=hk["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    requests = [
        ("Sign", {"KeyId": ec["KeyId"], "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"}),
        ("Verify", {"KeyId": ec["KeyId"], "Message": b64(b"m"), "Signature": b64(sig),
                    "SigningAlgorithm": "ECDSA_SHA_256"}),
        ("GenerateMac", {"KeyId": hk["KeyId"], "Message": b64(b"m"),
                         "MacAlgorithm": "HMAC_SHA_256"}),
        ("VerifyMac", {"KeyId": hk["KeyId"], "Message": b64(b"m"), "Mac": b64(mac),
                       "MacAlgorithm": "HMAC_SHA_256"}),
        ("GenerateDataKeyPair", {"KeyId": sym["KeyId"], "KeyPairSpec": "ECC_NIST_P256"}),
        ("GenerateDataKeyPairWithoutPlaintext", {"KeyId": sym["KeyId"],
                                                 "KeyPairSpec": "RSA_2048"}),
    ]
    for op, params in requests:
        st, _, body = kms_raw(server, op, params)
        assert st == 200, (op, body)
        assert "__type" not in body
        st, headers, body = kms_raw(server, op, {**params, "DryRun": True})
        assert (st, body) == (412, {
            "__type": "DryRunOperationException",
            "message": "The request would have succeeded, but the DryRun option is set."}), op
        assert headers.get("x-amzn-requestid")
        # DryRun=false is an ordinary request.
        assert kms_raw(server, op, {**params, "DryRun": False})[0] == 200, op
    # A DryRun still checks the request: a wrong algorithm, a bad signature.
    st, _, body = kms_raw(server, "Sign", {"KeyId": ec["KeyId"], "Message": b64(b"m"),
                                           "SigningAlgorithm": "ECDSA_SHA_384", "DryRun": True})
    assert (st, body["__type"]) == (400, "InvalidKeyUsageException")


# --- The aws CLI ----------------------------------------------------------------------------

def test_cli_creates_signs_and_publishes_the_key(server, tmp_path):
    def cli(*args):
        r = aws_cli(server, "kms", *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout) if r.stdout.strip() else None

    meta = cli("create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY")[
        "KeyMetadata"]
    assert meta["KeySpec"] == "ECC_NIST_P256" and meta["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    key_id = meta["KeyId"]
    (tmp_path / "message").write_bytes(b"signed through the cli\n")
    out = cli("sign", "--key-id", key_id, "--message", f"fileb://{tmp_path / 'message'}",
              "--message-type", "RAW", "--signing-algorithm", "ECDSA_SHA_256")
    assert out["KeyId"] == meta["Arn"] and out["SigningAlgorithm"] == "ECDSA_SHA_256"
    sig = base64.b64decode(out["Signature"])
    (tmp_path / "sig").write_bytes(sig)
    pub = cli("get-public-key", "--key-id", key_id)
    assert pub["KeyUsage"] == "SIGN_VERIFY" and pub["KeySpec"] == "ECC_NIST_P256"
    pem = pem_of_public(tmp_path, base64.b64decode(pub["PublicKey"]))
    assert openssl_verify(tmp_path, pem, "ECDSA_SHA_256", b"signed through the cli\n", sig)
    assert cli("verify", "--key-id", key_id, "--message", f"fileb://{tmp_path / 'message'}",
               "--signature", f"fileb://{tmp_path / 'sig'}", "--signing-algorithm",
               "ECDSA_SHA_256")["SignatureValid"] is True
    (tmp_path / "other").write_bytes(b"not what was signed")
    r = aws_cli(server, "kms", "verify", "--key-id", key_id, "--message",
                f"fileb://{tmp_path / 'other'}", "--signature", f"fileb://{tmp_path / 'sig'}",
                "--signing-algorithm", "ECDSA_SHA_256")
    assert r.returncode != 0 and "KMSInvalidSignatureException" in r.stderr
    # A digest made by openssl, signed as DIGEST.
    digest = openssl("dgst", "-sha256", "-binary", str(tmp_path / "message"))
    (tmp_path / "digest").write_bytes(digest)
    out = cli("sign", "--key-id", key_id, "--message", f"fileb://{tmp_path / 'digest'}",
              "--message-type", "DIGEST", "--signing-algorithm", "ECDSA_SHA_256")
    assert openssl_verify(tmp_path, pem, "ECDSA_SHA_256", b"signed through the cli\n",
                          base64.b64decode(out["Signature"]))
    # HMAC through the CLI.
    hmac_id = cli("create-key", "--key-spec", "HMAC_384", "--key-usage",
                  "GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    mac = cli("generate-mac", "--key-id", hmac_id, "--message", f"fileb://{tmp_path / 'message'}",
              "--mac-algorithm", "HMAC_SHA_384")
    assert len(base64.b64decode(mac["Mac"])) == 48
    (tmp_path / "mac").write_bytes(base64.b64decode(mac["Mac"]))
    assert cli("verify-mac", "--key-id", hmac_id, "--message", f"fileb://{tmp_path / 'message'}",
               "--mac-algorithm", "HMAC_SHA_384", "--mac", f"fileb://{tmp_path / 'mac'}")[
        "MacValid"] is True
