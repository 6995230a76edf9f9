"""IAM SAML providers and STS AssumeRoleWithSAML end to end: an IdP key and certificate
made with the openssl CLI, the IdP's metadata document built around the certificate,
SAML responses signed with the xmlsec1 CLI (Debian xmlsec1), and boto3 / the aws CLI
(which send AssumeRoleWithSAML unsigned).

Interpreter: /usr/bin/python3 (see conftest.py)."""
import base64
import datetime
import hashlib
import json
import subprocess

import botocore.exceptions
import pytest

from conftest import aws_cli

ENTITY_ID = "https://idp.example.com/saml"
SIGNIN = "https://signin.aws.amazon.com/saml"
ATTR = "https://aws.amazon.com/SAML/Attributes/"


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def idp(tmp_path):
    """An IdP signing key and certificate, and a second, untrusted pair."""
    out = {"dir": tmp_path}
    for name in ("idp", "rogue"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", "/CN=" + name, "-keyout", str(tmp_path / (name + ".key")),
                        "-out", str(tmp_path / (name + ".pem"))], check=True, capture_output=True)
    pem = (tmp_path / "idp.pem").read_text()
    out["cert_b64"] = "".join(l for l in pem.splitlines() if "CERTIFICATE" not in l)
    return out


def metadata(idp, valid_until=None):
    extra = f' validUntil="{valid_until}"' if valid_until else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{ENTITY_ID}"{extra}>\n'
        '  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        '    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f'{idp["cert_b64"]}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n'
        '    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'
        '</md:NameIDFormat>\n'
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://idp.example.com/sso/saml"/>\n'
        '  </md:IDPSSODescriptor>\n'
        '</md:EntityDescriptor>\n')


SIGNATURE = (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<ds:Reference URI="#_assertion1"><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>'
    '</ds:Reference></ds:SignedInfo><ds:SignatureValue/>'
    '<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>')


def response_xml(roles, subject="alice@example.com", session_name="alice", attributes=(),
                 issued=None, audience=SIGNIN):
    now = datetime.datetime.now(datetime.timezone.utc)
    issued = issued or now
    attrs = [(ATTR + "Role", roles), (ATTR + "RoleSessionName", [session_name])]
    attrs += list(attributes)
    statement = "".join(
        f'<saml:Attribute Name="{name}">' +
        "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in values) +
        "</saml:Attribute>" for name, values in attrs)
    return (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_response1" Version="2.0" '
        f'IssueInstant="{iso(issued)}" Destination="{SIGNIN}">'
        f'<saml:Issuer>{ENTITY_ID}</saml:Issuer>'
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        '</samlp:Status>'
        f'<saml:Assertion ID="_assertion1" Version="2.0" IssueInstant="{iso(issued)}">'
        f'<saml:Issuer>{ENTITY_ID}</saml:Issuer>{SIGNATURE}'
        '<saml:Subject><saml:NameID '
        f'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{iso(issued + datetime.timedelta(minutes=5))}" '
        f'Recipient="{SIGNIN}"/></saml:SubjectConfirmation></saml:Subject>'
        f'<saml:Conditions NotBefore="{iso(issued - datetime.timedelta(minutes=1))}" '
        f'NotOnOrAfter="{iso(issued + datetime.timedelta(minutes=5))}">'
        f'<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience>'
        '</saml:AudienceRestriction></saml:Conditions>'
        f'<saml:AuthnStatement AuthnInstant="{iso(issued)}"><saml:AuthnContext>'
        '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:'
        'PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>'
        f'</saml:AuthnStatement><saml:AttributeStatement>{statement}</saml:AttributeStatement>'
        '</saml:Assertion></samlp:Response>')


def sign(idp, xml, key="idp"):
    """The response signed by the xmlsec1 CLI (the assertion's enveloped signature)."""
    d = idp["dir"]
    (d / "in.xml").write_text(xml)
    subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{d / (key + '.key')},{d / (key + '.pem')}",
                    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                    "--output", str(d / "out.xml"), str(d / "in.xml")],
                   check=True, capture_output=True)
    return (d / "out.xml").read_text()


def b64(xml):
    return base64.b64encode(xml.encode()).decode()


def setup_role(server, idp, condition=None, extra_actions=(), role_name="samlrole"):
    iam = server.client("iam")
    provider_arn = iam.create_saml_provider(Name="MyIdP", SAMLMetadataDocument=metadata(idp))[
        "SAMLProviderArn"]
    condition = condition or {"StringEquals": {"SAML:aud": SIGNIN}}
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": ["sts:AssumeRoleWithSAML", *extra_actions], "Condition": condition}]}
    role_arn = iam.create_role(RoleName=role_name,
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    return provider_arn, role_arn


def test_provider_lifecycle(server, idp):
    iam = server.client("iam")
    acct = server.account_id
    doc = metadata(idp)
    created = iam.create_saml_provider(Name="MyIdP", SAMLMetadataDocument=doc,
                                       Tags=[{"Key": "team", "Value": "sec"}])
    arn = created["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{acct}:saml-provider/MyIdP"
    assert created["Tags"] == [{"Key": "team", "Value": "sec"}]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == doc
    assert got["Tags"] == [{"Key": "team", "Value": "sec"}]
    # Without validUntil in the metadata AWS sets 100 years.
    assert got["ValidUntil"].year - got["CreateDate"].year == 100
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 1

    err = error_of(iam.create_saml_provider, Name="MyIdP", SAMLMetadataDocument=doc)
    assert err["Error"]["Code"] == "EntityAlreadyExists"
    assert err["Error"]["Message"] == "Provider with name MyIdP already exists."
    bad = doc.replace(idp["cert_b64"][:40], "A" * 40)
    err = error_of(iam.create_saml_provider, Name="Other", SAMLMetadataDocument=bad)
    assert err["Error"]["Code"] == "InvalidInput"
    assert err["Error"]["Message"] == "Could not parse metadata."
    xxe = ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' +
           doc.split("\n", 1)[1].replace("persistent<", "&e;<"))
    err = error_of(iam.create_saml_provider, Name="Other", SAMLMetadataDocument=xxe)
    assert err["Error"]["Code"] == "InvalidInput"

    iam.update_saml_provider(SAMLProviderArn=arn,
                             SAMLMetadataDocument=metadata(idp, "2031-02-03T04:05:06Z"))
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["ValidUntil"] == datetime.datetime(2031, 2, 3, 4, 5, 6,
                                                  tzinfo=datetime.timezone.utc)

    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]

    iam.delete_saml_provider(SAMLProviderArn=arn)
    err = error_of(iam.get_saml_provider, SAMLProviderArn=arn)
    assert err["Error"]["Code"] == "NoSuchEntity"
    assert iam.list_saml_providers()["SAMLProviderList"] == []


def test_provider_with_cli(server, idp, tmp_path):
    path = tmp_path / "metadata.xml"
    path.write_text(metadata(idp))
    r = aws_cli(server, "iam", "create-saml-provider", "--name", "CliIdP",
                "--saml-metadata-document", f"file://{path}")
    assert r.returncode == 0, r.stderr
    arn = json.loads(r.stdout)["SAMLProviderArn"]
    r = aws_cli(server, "iam", "list-saml-providers")
    assert r.returncode == 0, r.stderr
    assert [p["Arn"] for p in json.loads(r.stdout)["SAMLProviderList"]] == [arn]
    r = aws_cli(server, "iam", "get-saml-provider", "--saml-provider-arn", arn)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["SAMLMetadataDocument"] == path.read_text()


def test_assume_role_with_saml(server, idp):
    provider_arn, role_arn = setup_role(server, idp, condition={"StringEquals": {
        "SAML:aud": SIGNIN, "saml:sub": "alice@example.com", "saml:iss": ENTITY_ID,
        "saml:sub_type": "persistent", "saml:doc": f"{server.account_id}/MyIdP"}})
    xml = sign(idp, response_xml([f"{role_arn},{provider_arn}"]))
    sts = server.client("sts")
    out = sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn,
                                    SAMLAssertion=b64(xml), DurationSeconds=900)
    acct = server.account_id
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct}:assumed-role/samlrole/alice"
    assert out["Subject"] == "alice@example.com"
    assert out["SubjectType"] == "persistent"
    assert out["Issuer"] == ENTITY_ID
    assert out["Audience"] == SIGNIN
    expected_qualifier = base64.b64encode(
        hashlib.sha1((ENTITY_ID + acct + "/MyIdP").encode()).digest()).decode()
    assert out["NameQualifier"] == expected_qualifier
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    lifetime = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 800 < lifetime.total_seconds() <= 900

    session = dict(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                   token=creds["SessionToken"])
    ident = server.client("sts", **session).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{acct}:assumed-role/samlrole/alice"
    server.client("iam", **session).list_users()
    err = error_of(server.client("iam", **session).list_roles)
    assert err["Error"]["Code"] == "AccessDenied"

    # The aws CLI, with the role/provider pair in the other order in the Role attribute.
    xml = sign(idp, response_xml([f"{provider_arn},{role_arn}"]))
    r = aws_cli(server, "sts", "assume-role-with-saml", "--role-arn", role_arn,
                "--principal-arn", provider_arn, "--saml-assertion", b64(xml))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["AssumedRoleUser"]["Arn"].endswith(":assumed-role/samlrole/alice")


def test_session_tags_and_source_identity(server, idp):
    provider_arn, role_arn = setup_role(server, idp,
                                   extra_actions=("sts:TagSession", "sts:SetSourceIdentity"))
    xml = sign(idp, response_xml([f"{role_arn},{provider_arn}"], attributes=[
        (ATTR + "PrincipalTag:Project", ["Marketing"]),
        (ATTR + "TransitiveTagKeys", ["Project"]),
        (ATTR + "SourceIdentity", ["DiegoRamirez"]),
        (ATTR + "SessionDuration", ["1800"])]))
    out = server.client("sts").assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn,
                                                     SAMLAssertion=b64(xml))
    assert out["SourceIdentity"] == "DiegoRamirez"
    lifetime = out["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 1700 < lifetime.total_seconds() <= 1800  # shortened by SessionDuration

    # Without sts:TagSession in the trust policy, the tagged response is refused.
    iam = server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": ["sts:AssumeRoleWithSAML", "sts:SetSourceIdentity"]}]}
    iam.update_assume_role_policy(RoleName="samlrole", PolicyDocument=json.dumps(trust))
    err = error_of(server.client("sts").assume_role_with_saml, RoleArn=role_arn,
                   PrincipalArn=provider_arn, SAMLAssertion=b64(xml))
    assert err["Error"]["Code"] == "AccessDenied"


def test_trust_policy_conditions_deny(server, idp):
    provider_arn, role_arn = setup_role(server, idp,
                                   condition={"StringEquals": {"saml:sub": "bob@example.com"}})
    xml = sign(idp, response_xml([f"{role_arn},{provider_arn}"]))
    err = error_of(server.client("sts").assume_role_with_saml, RoleArn=role_arn,
                   PrincipalArn=provider_arn, SAMLAssertion=b64(xml))
    assert err["Error"]["Code"] == "AccessDenied"
    assert err["Error"]["Message"] == "Not authorized to perform sts:AssumeRoleWithSAML"


def test_refusals(server, idp):
    provider_arn, role_arn = setup_role(server, idp)
    sts = server.client("sts")
    good = sign(idp, response_xml([f"{role_arn},{provider_arn}"]))

    def refused(xml, principal=provider_arn, role=role_arn, **kwargs):
        return error_of(sts.assume_role_with_saml, RoleArn=role, PrincipalArn=principal,
                        SAMLAssertion=b64(xml), **kwargs)["Error"]

    # Tampered after signing.
    err = refused(good.replace("alice@example.com", "admin@example.com"))
    assert (err["Code"], err["Message"]) == ("InvalidIdentityToken", "Response signature invalid")
    # Signed by a key the provider's metadata does not name.
    err = refused(sign(idp, response_xml([f"{role_arn},{provider_arn}"]), key="rogue"))
    assert (err["Code"], err["Message"]) == ("InvalidIdentityToken", "Response signature invalid")
    # Signature wrapping: an unsigned copy with another subject before the signed assertion.
    start, end = good.index("<saml:Assertion"), good.index("</samlp:Response>")
    evil = good[start:end].replace("alice@example.com", "admin@example.com").replace(
        'ID="_assertion1"', 'ID="_evil"')
    err = refused(good[:start] + evil + good[start:])
    assert err["Code"] == "InvalidIdentityToken"
    # A role the response does not pair with the provider.
    err = refused(sign(idp, response_xml([f"{role_arn}x,{provider_arn}"])))
    assert (err["Code"], err["Message"]) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML")
    # No RoleSessionName.
    err = refused(sign(idp, response_xml([f"{role_arn},{provider_arn}"], session_name="")))
    assert (err["Code"], err["Message"]) == (
        "InvalidIdentityToken", "RoleSessionName is required in AuthnResponse")
    # Issued too long ago.
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    err = refused(sign(idp, response_xml([f"{role_arn},{provider_arn}"], issued=old)))
    assert (err["Code"], err["Message"]) == (
        "ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance")
    # Not for AWS.
    err = refused(sign(idp, response_xml([f"{role_arn},{provider_arn}"],
                                         audience="https://sp.example.com")))
    assert (err["Code"], err["Message"]) == (
        "InvalidIdentityToken", "Response does not contain the required audience.")
    # A provider that does not exist.
    err = refused(good, principal=provider_arn + "x")
    assert (err["Code"], err["Message"]) == (
        "InvalidIdentityToken", "Specified provider doesn't exist.")
    # Longer than the role allows.
    err = refused(good, DurationSeconds=7200)
    assert (err["Code"], err["Message"]) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    # The genuine response still works after all that.
    sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn,
                              SAMLAssertion=b64(good))
