"""AWS Private CA end to end with boto3 and the aws CLI v2: a root CA (its CSR, its own
certificate issued with RootCACertificate/V1, imported), a subordinate CA signed by it
and imported with its chain, end-entity certificates from CSRs made by the openssl
command line, every chain checked by `openssl verify`; listing and pages, tags,
update/delete/restore, and the errors of bad ARNs, states, CSRs, certificates and
arguments. The CA's private key never appears in the data directory in plaintext.

Interpreter: /usr/bin/python3 (see conftest.py)."""
import http.client
import json
import os
import re
import subprocess
import tempfile
import urllib.request

from conftest import aws_cli, make_user
from kms_util import code_of, error_of

ROOT_TEMPLATE = "arn:aws:acm-pca:::template/RootCACertificate/V1"
SUB_TEMPLATE = "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"


def config(cn, key="RSA_2048", alg="SHA256WITHRSA"):
    return {"KeyAlgorithm": key, "SigningAlgorithm": alg,
            "Subject": {"Country": "US", "Organization": "Example Corp", "CommonName": cn}}


def openssl(*args, input=None):
    r = subprocess.run(["openssl", *args], capture_output=True, input=input)
    return r


def make_csr(cn, san=None):
    with tempfile.TemporaryDirectory() as d:
        key, csr = os.path.join(d, "k.pem"), os.path.join(d, "r.csr")
        args = ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-subj", f"/CN={cn}", "-out", csr]
        if san:
            args += ["-addext", f"subjectAltName=DNS:{san}"]
        assert openssl(*args).returncode == 0
        return open(csr, "rb").read()


def verify(leaf, chain_pems):
    """`openssl verify` of `leaf` against the last certificate of chain_pems as the root,
    the others as untrusted intermediates."""
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for name, pem in [("leaf", leaf), ("root", chain_pems[-1]),
                          ("mid", "".join(chain_pems[:-1]))]:
            paths[name] = os.path.join(d, name + ".pem")
            open(paths[name], "w").write(pem)
        args = ["verify", "-CAfile", paths["root"]]
        if len(chain_pems) > 1:
            args += ["-untrusted", paths["mid"]]
        return openssl(*args, paths["leaf"])


def split(pems):
    marker = "-----END CERTIFICATE-----"
    return [p.strip() + "\n" + marker + "\n" for p in pems.split(marker) if p.strip()]


def make_root(pca, cn="Example Root CA", **create):
    """An active root CA (its own certificate issued and imported): (ARN, certificate)."""
    arn = pca.create_certificate_authority(CertificateAuthorityConfiguration=config(cn),
                                           CertificateAuthorityType="ROOT", **create)[
        "CertificateAuthorityArn"]
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    cert_arn = pca.issue_certificate(CertificateAuthorityArn=arn, Csr=csr.encode(),
                                     SigningAlgorithm="SHA256WITHRSA", TemplateArn=ROOT_TEMPLATE,
                                     Validity={"Value": 10, "Type": "YEARS"})["CertificateArn"]
    cert = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=arn,
                                                 Certificate=cert.encode())
    return arn, cert


def test_root_ca_issues_end_entity_certificates_openssl_trusts(server):
    pca = server.client("acm-pca")
    arn = pca.create_certificate_authority(
        CertificateAuthorityConfiguration=config("Example Root CA"),
        CertificateAuthorityType="ROOT", Tags=[{"Key": "team", "Value": "sec"}])[
        "CertificateAuthorityArn"]
    assert arn.startswith(f"arn:aws:acm-pca:us-east-1:{server.account_id}:certificate-authority/")
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
    assert ca["Status"] == "PENDING_CERTIFICATE" and ca["Type"] == "ROOT"
    assert ca["OwnerAccount"] == server.account_id
    assert ca["KeyStorageSecurityStandard"] == "FIPS_140_2_LEVEL_3_OR_HIGHER"
    assert ca["UsageMode"] == "GENERAL_PURPOSE"
    assert ca["CertificateAuthorityConfiguration"]["Subject"]["CommonName"] == "Example Root CA"

    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    assert csr.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert openssl("req", "-noout", "-verify", input=csr.encode()).returncode == 0
    # Before its certificate, the CA issues nothing but its own.
    assert code_of(pca.issue_certificate, CertificateAuthorityArn=arn, Csr=make_csr("x"),
                   SigningAlgorithm="SHA256WITHRSA",
                   Validity={"Value": 1, "Type": "DAYS"}) == "InvalidStateException"
    assert code_of(pca.get_certificate_authority_certificate,
                   CertificateAuthorityArn=arn) == "InvalidStateException"
    cert_arn = pca.issue_certificate(CertificateAuthorityArn=arn, Csr=csr.encode(),
                                     SigningAlgorithm="SHA256WITHRSA", TemplateArn=ROOT_TEMPLATE,
                                     Validity={"Value": 10, "Type": "YEARS"})["CertificateArn"]
    assert cert_arn.startswith(arn + "/certificate/")
    root = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)["Certificate"]
    text = openssl("x509", "-noout", "-text", input=root.encode()).stdout.decode()
    assert "CA:TRUE" in text and "Certificate Sign, CRL Sign" in text
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=arn,
                                                 Certificate=root.encode())
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
    assert ca["Status"] == "ACTIVE" and ca["NotAfter"] > ca["NotBefore"]
    got = pca.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
    assert got["Certificate"] == root and "CertificateChain" not in got

    # An end entity from an openssl CSR: its SAN copied, serverAuth and clientAuth.
    leaf_arn = pca.issue_certificate(CertificateAuthorityArn=arn,
                                     Csr=make_csr("api.example.com", "api.example.com"),
                                     SigningAlgorithm="SHA384WITHRSA",
                                     Validity={"Value": 30, "Type": "DAYS"})["CertificateArn"]
    waiter = pca.get_waiter("certificate_issued")
    waiter.wait(CertificateAuthorityArn=arn, CertificateArn=leaf_arn)
    leaf = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=leaf_arn)
    assert split(leaf["CertificateChain"]) == [root]
    r = verify(leaf["Certificate"], [root])
    assert r.returncode == 0, r.stderr
    text = openssl("x509", "-noout", "-text", input=leaf["Certificate"].encode()).stdout.decode()
    assert "DNS:api.example.com" in text and "TLS Web Server Authentication" in text
    assert "CA:TRUE" not in text
    # Server-auth only.
    only = pca.issue_certificate(
        CertificateAuthorityArn=arn, Csr=make_csr("svc"), SigningAlgorithm="SHA256WITHRSA",
        TemplateArn="arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1",
        Validity={"Value": 1, "Type": "MONTHS"})["CertificateArn"]
    text = openssl("x509", "-noout", "-text", input=pca.get_certificate(
        CertificateAuthorityArn=arn, CertificateArn=only)["Certificate"].encode()).stdout.decode()
    assert "TLS Web Server Authentication" in text and "Client Authentication" not in text


def test_subordinate_ca_with_its_chain(server):
    pca = server.client("acm-pca")
    root_arn, root = make_root(pca)
    sub_arn = pca.create_certificate_authority(
        CertificateAuthorityConfiguration=config("Example Issuing CA", "EC_prime256v1",
                                                 "SHA256WITHECDSA"),
        CertificateAuthorityType="SUBORDINATE")["CertificateAuthorityArn"]
    sub_csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=sub_arn)["Csr"]
    # The root signs the subordinate's CSR (RSA key: an RSA algorithm).
    assert code_of(pca.issue_certificate, CertificateAuthorityArn=root_arn, Csr=sub_csr.encode(),
                   SigningAlgorithm="SHA256WITHECDSA", TemplateArn=SUB_TEMPLATE,
                   Validity={"Value": 5, "Type": "YEARS"}) == "InvalidArgsException"
    sub_cert_arn = pca.issue_certificate(
        CertificateAuthorityArn=root_arn, Csr=sub_csr.encode(), SigningAlgorithm="SHA256WITHRSA",
        TemplateArn=SUB_TEMPLATE, Validity={"Value": 5, "Type": "YEARS"})["CertificateArn"]
    issued = pca.get_certificate(CertificateAuthorityArn=root_arn, CertificateArn=sub_cert_arn)
    sub_cert, chain = issued["Certificate"], issued["CertificateChain"]
    # Without its chain, with another CA's certificate, or a root's: refused.
    assert code_of(pca.import_certificate_authority_certificate, CertificateAuthorityArn=sub_arn,
                   Certificate=sub_cert.encode()) == "InvalidRequestException"
    assert code_of(pca.import_certificate_authority_certificate, CertificateAuthorityArn=sub_arn,
                   Certificate=root.encode(),
                   CertificateChain=root.encode()) == "CertificateMismatchException"
    assert code_of(pca.import_certificate_authority_certificate, CertificateAuthorityArn=sub_arn,
                   Certificate=b"not a certificate",
                   CertificateChain=chain.encode()) == "MalformedCertificateException"
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=sub_arn,
                                                 Certificate=sub_cert.encode(),
                                                 CertificateChain=chain.encode())
    assert pca.describe_certificate_authority(CertificateAuthorityArn=sub_arn)[
        "CertificateAuthority"]["Status"] == "ACTIVE"
    # The subordinate issues; the chain holds it and the root, and openssl agrees.
    leaf_arn = pca.issue_certificate(CertificateAuthorityArn=sub_arn, Csr=make_csr("app"),
                                     SigningAlgorithm="SHA256WITHECDSA",
                                     Validity={"Value": 7, "Type": "DAYS"})["CertificateArn"]
    leaf = pca.get_certificate(CertificateAuthorityArn=sub_arn, CertificateArn=leaf_arn)
    assert split(leaf["CertificateChain"]) == [sub_cert, root]
    r = verify(leaf["Certificate"], split(leaf["CertificateChain"]))
    assert r.returncode == 0, r.stderr
    # Path length 0: the subordinate issues no CA certificate.
    assert code_of(pca.issue_certificate, CertificateAuthorityArn=sub_arn, Csr=make_csr("deeper"),
                   SigningAlgorithm="SHA256WITHECDSA", TemplateArn=SUB_TEMPLATE,
                   Validity={"Value": 7, "Type": "DAYS"}) == "InvalidArgsException"
    # Validity beyond the CA's own is refused.
    assert code_of(pca.issue_certificate, CertificateAuthorityArn=sub_arn, Csr=make_csr("long"),
                   SigningAlgorithm="SHA256WITHECDSA",
                   Validity={"Value": 50, "Type": "YEARS"}) == "InvalidArgsException"


def test_list_tags_update_delete_restore(server):
    pca = server.client("acm-pca")
    arns = [pca.create_certificate_authority(CertificateAuthorityConfiguration=config(f"CA {i}"),
                                             CertificateAuthorityType="ROOT")[
        "CertificateAuthorityArn"] for i in range(3)]
    page = pca.list_certificate_authorities(MaxResults=2)
    assert len(page["CertificateAuthorities"]) == 2 and "NextToken" in page
    rest = pca.list_certificate_authorities(MaxResults=2, NextToken=page["NextToken"])
    listed = [c["Arn"] for c in page["CertificateAuthorities"] + rest["CertificateAuthorities"]]
    assert sorted(listed) == sorted(arns) and "NextToken" not in rest
    assert code_of(pca.list_certificate_authorities,
                   NextToken="bogus") == "InvalidNextTokenException"

    pca.tag_certificate_authority(CertificateAuthorityArn=arns[0],
                                  Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    pca.untag_certificate_authority(CertificateAuthorityArn=arns[0], Tags=[{"Key": "a"}])
    assert pca.list_tags(CertificateAuthorityArn=arns[0])["Tags"] == [{"Key": "b", "Value": "2"}]
    assert code_of(pca.tag_certificate_authority, CertificateAuthorityArn=arns[0],
                   Tags=[{"Key": "aws:x", "Value": "1"}]) == "InvalidTagException"

    # A CA without its certificate cannot be enabled; one never activated is deleted at once.
    assert code_of(pca.update_certificate_authority, CertificateAuthorityArn=arns[1],
                   Status="ACTIVE") == "InvalidStateException"
    root_arn, _ = make_root(pca, "Active Root")
    assert code_of(pca.delete_certificate_authority,
                   CertificateAuthorityArn=root_arn) == "InvalidStateException"
    pca.update_certificate_authority(CertificateAuthorityArn=root_arn, Status="DISABLED")
    assert code_of(pca.issue_certificate, CertificateAuthorityArn=root_arn, Csr=make_csr("x"),
                   SigningAlgorithm="SHA256WITHRSA",
                   Validity={"Value": 1, "Type": "DAYS"}) == "InvalidStateException"
    pca.delete_certificate_authority(CertificateAuthorityArn=root_arn,
                                     PermanentDeletionTimeInDays=7)
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=root_arn)[
        "CertificateAuthority"]
    assert ca["Status"] == "DELETED" and "RestorableUntil" in ca
    assert code_of(pca.get_certificate_authority_csr,
                   CertificateAuthorityArn=root_arn) == "InvalidStateException"
    pca.restore_certificate_authority(CertificateAuthorityArn=root_arn)
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=root_arn)[
        "CertificateAuthority"]
    assert ca["Status"] == "DISABLED" and "RestorableUntil" not in ca
    pca.update_certificate_authority(CertificateAuthorityArn=root_arn, Status="ACTIVE")
    assert code_of(pca.restore_certificate_authority,
                   CertificateAuthorityArn=root_arn) == "InvalidStateException"


def test_bad_input(server):
    pca = server.client("acm-pca")
    root_arn, _ = make_root(pca)
    other = root_arn[:-1] + ("0" if root_arn[-1] != "0" else "1")
    assert code_of(pca.describe_certificate_authority,
                   CertificateAuthorityArn=other) == "ResourceNotFoundException"
    assert code_of(pca.describe_certificate_authority,
                   CertificateAuthorityArn="arn:aws:acm-pca:us-east-1:123456789012:x/y"
                   ) == "InvalidArnException"
    foreign = root_arn.replace(server.account_id, "123456789012")
    assert code_of(pca.describe_certificate_authority,
                   CertificateAuthorityArn=foreign) == "ResourceNotFoundException"
    # Key and signing algorithms that do not fit, or that Bulwark has not.
    assert code_of(pca.create_certificate_authority,
                   CertificateAuthorityConfiguration=config("x", "RSA_2048", "SHA256WITHECDSA"),
                   CertificateAuthorityType="ROOT") == "InvalidArgsException"
    assert code_of(pca.create_certificate_authority,
                   CertificateAuthorityConfiguration=config("x", "SM2", "SM3WITHSM2"),
                   CertificateAuthorityType="ROOT") == "InvalidArgsException"
    for revocation in [{"CrlConfiguration": {"Enabled": True, "ExpirationInDays": 7}},
                       {"CrlConfiguration": {"Enabled": True, "S3BucketName": "Bad_Bucket"}},
                       {"OcspConfiguration": {"Enabled": True}}]:
        assert code_of(pca.create_certificate_authority,
                       CertificateAuthorityConfiguration=config("x"),
                       CertificateAuthorityType="ROOT",
                       RevocationConfiguration=revocation) == "InvalidArgsException", revocation
    # The model's own checks (the client's own validation off).
    loose = server.client("acm-pca", parameter_validation=False)
    assert code_of(loose.create_certificate_authority,
                   CertificateAuthorityConfiguration=config("x"),
                   CertificateAuthorityType="ROOT", Tags=[]) == "ValidationException"
    # CSRs: garbage, a certificate, one whose signature does not verify.
    for bad in [b"garbage", make_csr("ok").replace(b"REQUEST", b"REQUEXT")]:
        assert code_of(pca.issue_certificate, CertificateAuthorityArn=root_arn, Csr=bad,
                       SigningAlgorithm="SHA256WITHRSA",
                       Validity={"Value": 1, "Type": "DAYS"}) == "MalformedCSRException"
    csr = make_csr("ok")
    for validity in [{"Value": 20000101000000, "Type": "END_DATE"},
                     {"Value": 1, "Type": "ABSOLUTE"}, {"Value": 99999999, "Type": "DAYS"}]:
        assert code_of(pca.issue_certificate, CertificateAuthorityArn=root_arn, Csr=csr,
                       SigningAlgorithm="SHA256WITHRSA",
                       Validity=validity) == "InvalidArgsException", validity
    assert code_of(pca.issue_certificate, CertificateAuthorityArn=root_arn, Csr=csr,
                   SigningAlgorithm="SHA256WITHRSA", TemplateArn="arn:aws:acm-pca:::template/x/V1",
                   Validity={"Value": 1, "Type": "DAYS"}) == "InvalidArgsException"
    # Another CSR than the root's own cannot make a root certificate.
    assert code_of(pca.issue_certificate, CertificateAuthorityArn=root_arn, Csr=csr,
                   SigningAlgorithm="SHA256WITHRSA", TemplateArn=ROOT_TEMPLATE,
                   Validity={"Value": 1, "Type": "DAYS"}) == "InvalidArgsException"
    assert code_of(pca.get_certificate, CertificateAuthorityArn=root_arn,
                   CertificateArn=root_arn + "/certificate/00ff") == "ResourceNotFoundException"
    assert code_of(pca.get_certificate, CertificateAuthorityArn=root_arn,
                   CertificateArn="arn:aws:acm-pca:us-east-1:1:x") == "InvalidArnException"
    # Not implemented yet: AWS's error for an unknown operation.
    err = error_of(pca.create_certificate_authority_audit_report, CertificateAuthorityArn=root_arn,
                   S3BucketName="audit-bucket", AuditReportResponseFormat="JSON")
    assert err["Code"] in ("InvalidAction", "UnknownOperationException"), err


def test_permissions_and_the_cli(server):
    pca = server.client("acm-pca")
    root_arn, root = make_root(pca)
    ak, sk = make_user(server, "reader", {"Effect": "Allow", "Resource": "*", "Action": [
        "acm-pca:DescribeCertificateAuthority", "acm-pca:ListCertificateAuthorities"]})
    reader = server.client("acm-pca", ak, sk)
    assert reader.describe_certificate_authority(CertificateAuthorityArn=root_arn)
    assert code_of(reader.issue_certificate, CertificateAuthorityArn=root_arn, Csr=make_csr("x"),
                   SigningAlgorithm="SHA256WITHRSA",
                   Validity={"Value": 1, "Type": "DAYS"}) == "AccessDeniedException"

    with tempfile.TemporaryDirectory() as d:
        csr_path = os.path.join(d, "r.csr")
        open(csr_path, "wb").write(make_csr("cli.example.com"))
        r = aws_cli(server, "acm-pca", "issue-certificate", "--certificate-authority-arn",
                    root_arn, "--csr", "fileb://" + csr_path, "--signing-algorithm",
                    "SHA256WITHRSA", "--validity", "Value=3,Type=DAYS")
        assert r.returncode == 0, r.stderr
        cert_arn = json.loads(r.stdout)["CertificateArn"]
        r = aws_cli(server, "acm-pca", "get-certificate", "--certificate-authority-arn", root_arn,
                    "--certificate-arn", cert_arn)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert verify(out["Certificate"], [root]).returncode == 0
    r = aws_cli(server, "acm-pca", "list-certificate-authorities")
    assert r.returncode == 0 and root_arn in r.stdout

    # No CA key in the data directory in plaintext: neither PEM nor DER PKCS#8 markers.
    for dirpath, _, files in os.walk(server.data_dir):
        for f in files:
            data = open(os.path.join(dirpath, f), "rb").read()
            assert b"PRIVATE KEY" not in data, f


def serial_of(pem):
    out = openssl("x509", "-noout", "-serial", input=pem.encode()).stdout.decode()
    return out.strip().split("=", 1)[1]


def test_revocation_publishes_a_crl_openssl_honours(server):
    pca = server.client("acm-pca")
    arn, root = make_root(pca, "CRL Root", RevocationConfiguration={"CrlConfiguration": {
        "Enabled": True, "ExpirationInDays": 7, "S3BucketName": "my-crl-bucket"}})
    leaves = []
    for cn in ("revoked", "kept"):
        leaf_arn = pca.issue_certificate(CertificateAuthorityArn=arn, Csr=make_csr(cn),
                                         SigningAlgorithm="SHA256WITHRSA",
                                         Validity={"Value": 5, "Type": "DAYS"})["CertificateArn"]
        leaves.append(pca.get_certificate(CertificateAuthorityArn=arn,
                                          CertificateArn=leaf_arn)["Certificate"])
    # The distribution point written into the certificates is this server's.
    text = openssl("x509", "-noout", "-text", input=leaves[0].encode()).stdout.decode()
    ca_id = arn.rsplit("/", 1)[1]
    url = f"{server.url}/_bulwark/pca-crl/my-crl-bucket/crl/{ca_id}.crl"
    assert "URI:" + url in text, text
    crl = urllib.request.urlopen(url).read()
    listing = openssl("crl", "-inform", "DER", "-noout", "-text", input=crl).stdout.decode()
    assert "No Revoked Certificates" in listing, listing
    assert os.path.exists(os.path.join(server.data_dir, "acm-pca", "crl", "my-crl-bucket", "crl",
                                       ca_id + ".crl"))

    serial = serial_of(leaves[0])
    pca.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial=serial,
                           RevocationReason="KEY_COMPROMISE")
    assert code_of(pca.revoke_certificate, CertificateAuthorityArn=arn,
                   CertificateSerial=serial.lower(),
                   RevocationReason="SUPERSEDED") == "RequestAlreadyProcessedException"
    assert code_of(pca.revoke_certificate, CertificateAuthorityArn=arn,
                   CertificateSerial=serial_of(root),
                   RevocationReason="SUPERSEDED") == "InvalidRequestException"
    assert code_of(pca.revoke_certificate, CertificateAuthorityArn=arn, CertificateSerial="abcd",
                   RevocationReason="SUPERSEDED") == "InvalidRequestException"
    assert code_of(pca.revoke_certificate, CertificateAuthorityArn=arn, CertificateSerial="xyz",
                   RevocationReason="SUPERSEDED") == "InvalidArgsException"
    crl = urllib.request.urlopen(url).read()
    listing = openssl("crl", "-inform", "DER", "-noout", "-text", input=crl).stdout.decode()
    assert "Key Compromise" in listing and serial in listing.replace(":", ""), listing
    with tempfile.TemporaryDirectory() as d:
        for name, data in [("root.pem", root), ("revoked.pem", leaves[0]), ("kept.pem", leaves[1]),
                           ("crl.der", crl)]:
            open(os.path.join(d, name), "wb").write(data if isinstance(data, bytes)
                                                    else data.encode())
        crl_pem = os.path.join(d, "crl.pem")
        assert openssl("crl", "-inform", "DER", "-in", os.path.join(d, "crl.der"),
                       "-out", crl_pem).returncode == 0
        assert openssl("crl", "-in", crl_pem, "-CAfile", os.path.join(d, "root.pem"),
                       "-noout").returncode == 0
        check = ["verify", "-crl_check", "-CAfile", os.path.join(d, "root.pem"), "-CRLfile",
                 crl_pem]
        r = openssl(*check, os.path.join(d, "revoked.pem"))
        assert r.returncode != 0 and b"revoked" in r.stdout + r.stderr
        assert openssl(*check, os.path.join(d, "kept.pem")).returncode == 0

    # Only published CRLs are served: no other path of the data directory.
    for bad in ["/_bulwark/pca-crl/../credentials", "/_bulwark/pca-crl/my-crl-bucket/crl/x.crl",
                "/_bulwark/pca-crl/my-crl-bucket/%2e%2e/x.crl", "/_bulwark/pca-crl/"]:
        conn = http.client.HTTPConnection("127.0.0.1", server.port)
        conn.request("GET", bad)
        assert conn.getresponse().status == 404, bad
