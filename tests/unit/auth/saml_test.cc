// SAML response verification and metadata parsing. Keys and certificates are made by the
// openssl CLI and responses are signed by the xmlsec1 CLI, so the verifier is checked
// against an independent signer; every attack below starts from a genuinely signed
// response.
#include "auth/saml.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "crypto/crypto.h"

namespace bulwark::saml {
namespace {

constexpr int64_t kNow = 1704164645;  // 2024-01-02T03:04:05Z
constexpr char kIssuer[] = "https://idp.example.com/saml";
constexpr char kSignin[] = "https://signin.aws.amazon.com/saml";
constexpr char kRoleAttr[] = "https://aws.amazon.com/SAML/Attributes/Role";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
}

int Shell(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

std::string Time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void Replace(std::string* s, std::string_view from, std::string_view to) {
  size_t pos = s->find(from);
  ASSERT_NE(pos, std::string::npos) << "no " << from << " in " << *s;
  s->replace(pos, from.size(), to);
}

std::string SignatureTemplate(std::string_view id) {
  return "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
         "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
         "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
         "<ds:Reference URI=\"#" +
         std::string(id) +
         "\"><ds:Transforms>"
         "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
         "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>"
         "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
         "<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/>"
         "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>";
}

// What a test response says; the defaults make a response AWS accepts at kNow.
struct Spec {
  std::string issuer = kIssuer;
  std::string name_id = "alice@example.com";
  std::string format = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  std::string recipient = kSignin;
  std::string audience = kSignin;
  int64_t issued = kNow - 10;
  int64_t not_before = kNow - 60;
  int64_t not_on_or_after = kNow + 300;
  int64_t confirm_until = kNow + 300;
  std::string extra_attributes;
  bool sign_assertion = true;
  bool sign_response = false;
};

std::string Unsigned(const Spec& s) {
  std::string sig_r = s.sign_response ? SignatureTemplate("_resp1") : "";
  std::string sig_a = s.sign_assertion ? SignatureTemplate("_a1") : "";
  return "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
         "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_resp1\" Version=\"2.0\" "
         "IssueInstant=\"" +
         Time(s.issued) + "\" Destination=\"" + s.recipient + "\"><saml:Issuer>" + s.issuer +
         "</saml:Issuer>" + sig_r +
         "<samlp:Status><samlp:StatusCode "
         "Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>"
         "<saml:Assertion ID=\"_a1\" Version=\"2.0\" IssueInstant=\"" +
         Time(s.issued) + "\"><saml:Issuer>" + s.issuer + "</saml:Issuer>" + sig_a +
         "<saml:Subject><saml:NameID Format=\"" + s.format + "\">" + s.name_id +
         "</saml:NameID><saml:SubjectConfirmation "
         "Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"><saml:SubjectConfirmationData "
         "NotOnOrAfter=\"" +
         Time(s.confirm_until) + "\" Recipient=\"" + s.recipient +
         "\"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore=\"" +
         Time(s.not_before) + "\" NotOnOrAfter=\"" + Time(s.not_on_or_after) +
         "\"><saml:AudienceRestriction><saml:Audience>" + s.audience +
         "</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
         "<saml:AuthnStatement AuthnInstant=\"" +
         Time(s.issued) + "\" SessionNotOnOrAfter=\"" + Time(kNow + 3600) +
         "\"><saml:AuthnContext><saml:AuthnContextClassRef>"
         "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
         "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
         "<saml:AttributeStatement><saml:Attribute Name=\"" +
         kRoleAttr +
         "\"><saml:AttributeValue>arn:aws:iam::123456789012:role/r,"
         "arn:aws:iam::123456789012:saml-provider/idp</saml:AttributeValue></saml:Attribute>"
         "<saml:Attribute Name=\"https://aws.amazon.com/SAML/Attributes/RoleSessionName\">"
         "<saml:AttributeValue>alice</saml:AttributeValue></saml:Attribute>" +
         s.extra_attributes + "</saml:AttributeStatement></saml:Assertion></samlp:Response>";
}

class SamlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/bulwark-saml-XXXXXX";
    dir_ = mkdtemp(tmpl);
    for (const char* name : {"idp", "other"}) {
      Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=" + std::string(name) +
            " -keyout " + dir_ + "/" + name + ".key -out " + dir_ + "/" + name + ".pem");
      Shell("openssl x509 -in " + dir_ + "/" + name + ".pem -outform DER -out " + dir_ + "/" +
            name + ".der");
    }
    idp_der_ = ReadFile(dir_ + "/idp.der");
    other_der_ = ReadFile(dir_ + "/other.der");
  }
  static void TearDownTestSuite() { Shell("rm -rf " + dir_); }

  void SetUp() override {
    ASSERT_FALSE(idp_der_.empty()) << "openssl could not make a certificate";
    ASSERT_EQ(Shell("xmlsec1 --version"), 0) << "the xmlsec1 CLI (Debian xmlsec1) is missing";
  }

  // Signs the template with the xmlsec1 CLI: the assertion's signature first, then the
  // response's (which then covers the signed assertion).
  static std::string Sign(const std::string& xml, const std::string& key = "idp") {
    const std::string in = dir_ + "/in.xml", out = dir_ + "/out.xml";
    WriteFile(in, xml);
    const std::string base = "xmlsec1 --sign --privkey-pem " + dir_ + "/" + key + ".key," + dir_ +
                             "/" + key +
                             ".pem --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response "
                             "--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion ";
    if (xml.find("URI=\"#_a1\"") != std::string::npos) {
      EXPECT_EQ(Shell(base +
                      "--node-xpath \"//*[local-name()='Assertion']/*[local-name()="
                      "'Signature']\" --output " +
                      out + " " + in),
                0);
      WriteFile(in, ReadFile(out));
    }
    if (xml.find("URI=\"#_resp1\"") != std::string::npos) {
      EXPECT_EQ(Shell(base + "--node-xpath \"/*/*[local-name()='Signature']\" --output " + out +
                      " " + in),
                0);
    }
    std::string signed_xml = ReadFile(out);
    // Drop the XML declaration, as IdPs often do; the verifier takes either.
    if (signed_xml.starts_with("<?xml")) signed_xml = signed_xml.substr(signed_xml.find('\n') + 1);
    return signed_xml;
  }

  static Expectations Expect() {
    Expectations e;
    e.issuer = kIssuer;
    e.certificates = {idp_der_};
    e.now = kNow;
    return e;
  }

  static ::testing::AssertionResult Fails(const Result<Assertion>& r, std::string_view code,
                                          std::string_view message = "") {
    if (r.ok()) return ::testing::AssertionFailure() << "verified, expected " << code;
    const Status& s = r.status();
    std::string got = s.kind() == ErrorKind::kService        ? s.code()
                      : s.kind() == ErrorKind::kAccessDenied ? "AccessDenied"
                                                             : "other";
    if (got != code || (!message.empty() && s.message() != message)) {
      return ::testing::AssertionFailure() << "failed with " << got << ": " << s.message();
    }
    return ::testing::AssertionSuccess();
  }

  static inline std::string dir_;
  static inline std::string idp_der_;
  static inline std::string other_der_;
};

TEST_F(SamlTest, AcceptsAResponseWhoseAssertionIsSigned) {
  std::string xml = Sign(Unsigned(Spec()));
  Result<Assertion> a = VerifyResponseXml(xml, Expect());
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->issuer, kIssuer);
  EXPECT_EQ(a->subject, "alice@example.com");
  EXPECT_EQ(a->subject_format, "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
  EXPECT_EQ(a->recipient, kSignin);
  EXPECT_EQ(a->audiences, std::vector<std::string>{kSignin});
  EXPECT_EQ(a->issue_instant, kNow - 10);
  EXPECT_EQ(a->session_not_on_or_after, kNow + 3600);
  ASSERT_NE(a->Find(kRoleAttr), nullptr);
  EXPECT_EQ(a->Find(kRoleAttr)->values,
            std::vector<std::string>{"arn:aws:iam::123456789012:role/r,"
                                     "arn:aws:iam::123456789012:saml-provider/idp"});
  EXPECT_EQ(a->Find("https://aws.amazon.com/SAML/Attributes/RoleSessionName")->values[0], "alice");
  // The same response base64-encoded, with line breaks as some IdPs post it.
  std::string b64 = crypto::Base64Encode(xml);
  for (size_t i = 76; i < b64.size(); i += 77) b64.insert(i, "\n");
  EXPECT_TRUE(VerifyResponse(b64, Expect()).ok());
}

TEST_F(SamlTest, AcceptsSignedResponsesAndDoublySignedOnes) {
  Spec response_only;
  response_only.sign_assertion = false;
  response_only.sign_response = true;
  Result<Assertion> a = VerifyResponseXml(Sign(Unsigned(response_only)), Expect());
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->subject, "alice@example.com");
  Spec both;
  both.sign_response = true;
  a = VerifyResponseXml(Sign(Unsigned(both)), Expect());
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->subject, "alice@example.com");
}

TEST_F(SamlTest, AcceptsAnyCertificateOfTheMetadata) {
  Expectations e = Expect();
  e.certificates = {other_der_, idp_der_};
  EXPECT_TRUE(VerifyResponseXml(Sign(Unsigned(Spec())), e).ok());
}

TEST_F(SamlTest, RefusesTamperedValues) {
  const std::string good = Sign(Unsigned(Spec()));
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"alice@example.com", "admin@example.com"},
           {"role/r,", "role/admin,"},
           {">alice<", ">root<"},
           {Time(kNow + 300), Time(kNow + 30000)},
       }) {
    std::string xml = good;
    Replace(&xml, from, to);
    EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken",
                      "Response signature invalid"))
        << from;
  }
  // Tampering inside a signed Response but outside the assertion is caught as well.
  Spec response_only;
  response_only.sign_assertion = false;
  response_only.sign_response = true;
  std::string xml = Sign(Unsigned(response_only));
  Replace(&xml, "status:Success", "status:Success\" Extra=\"x");
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken"));
}

TEST_F(SamlTest, RefusesOtherKeysAndUnsignedResponses) {
  Expectations e = Expect();
  e.certificates = {other_der_};
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(Spec())), e), "InvalidIdentityToken",
                    "Response signature invalid"));
  // Signed by a key the metadata does not name, with that key's certificate in KeyInfo.
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(Spec()), "other"), Expect()),
                    "InvalidIdentityToken", "Response signature invalid"));
  Spec unsigned_spec;
  unsigned_spec.sign_assertion = false;
  EXPECT_TRUE(Fails(VerifyResponseXml(Unsigned(unsigned_spec), Expect()), "InvalidIdentityToken",
                    "Response signature invalid"));
  // A signature element left empty (the template, unsigned).
  EXPECT_TRUE(Fails(VerifyResponseXml(Unsigned(Spec()), Expect()), "InvalidIdentityToken"));
}

// Signature wrapping: the signed assertion stays in the document, somewhere, while an
// assertion the attacker wrote is where a naive verifier would read.
TEST_F(SamlTest, RefusesSignatureWrapping) {
  const std::string good = Sign(Unsigned(Spec()));
  const size_t a_begin = good.find("<saml:Assertion");
  const size_t a_end = good.find("</saml:Assertion>") + std::string("</saml:Assertion>").size();
  const std::string original = good.substr(a_begin, a_end - a_begin);
  std::string evil = original;
  Replace(&evil, "alice@example.com", "admin@example.com");

  // 1. The evil copy first, the signed original after it.
  std::string xml = good;
  xml.replace(a_begin, a_end - a_begin, evil + original);
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken"));

  // 2. The signed original hidden in an Extensions element, the evil copy in its place.
  xml = good;
  xml.replace(a_begin, a_end - a_begin, evil);
  Replace(&xml, "<samlp:Status>",
          "<samlp:Extensions>" + original + "</samlp:Extensions><samlp:Status>");
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken"));

  // 3. The evil assertion with another ID keeps the original's signature, whose
  // reference still names the original, now inside the signature's Object.
  std::string evil2 = evil;
  Replace(&evil2, "ID=\"_a1\"", "ID=\"_evil\"");
  Replace(&evil2, "</ds:Signature>", "<ds:Object>" + original + "</ds:Object></ds:Signature>");
  xml = good;
  xml.replace(a_begin, a_end - a_begin, evil2);
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken"));

  // 4. Only the evil assertion, renamed: its signature's reference names an ID nobody has.
  std::string evil3 = evil;
  Replace(&evil3, "ID=\"_a1\"", "ID=\"_evil\"");
  xml = good;
  xml.replace(a_begin, a_end - a_begin, evil3);
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken",
                    "Response signature invalid"));

  // 5. Another element claims the assertion's ID (xml:id is an ID without any DTD).
  xml = good;
  Replace(&xml, "<samlp:Status>", "<samlp:Status xml:id=\"_a1\">");
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken"));

  // 6. A signed Response with an extra, unsigned assertion appended.
  Spec response_only;
  response_only.sign_assertion = false;
  response_only.sign_response = true;
  std::string signed_response = Sign(Unsigned(response_only));
  xml = signed_response;
  std::string extra = signed_response.substr(
      signed_response.find("<saml:Assertion"),
      signed_response.find("</saml:Assertion>") + 17 - signed_response.find("<saml:Assertion"));
  Replace(&extra, "ID=\"_a1\"", "ID=\"_a2\"");
  Replace(&xml, "</samlp:Response>", extra + "</samlp:Response>");
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken"));

  // 7. The signed Response's assertion replaced by the evil one (same ID).
  xml = signed_response;
  Replace(&xml, "alice@example.com", "admin@example.com");
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken",
                    "Response signature invalid"));

  // 8. A signature somewhere else than enveloping the Response or the Assertion.
  xml = good;
  std::string sig = good.substr(good.find("<ds:Signature"),
                                good.find("</ds:Signature>") + 15 - good.find("<ds:Signature"));
  Replace(&xml, "</saml:Subject>", sig + "</saml:Subject>");
  EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken",
                    "Response signature invalid"));

  // 9. The assertion's signature made to name the Response (the enveloping element's ID
  // is the only one a signature may name).
  Spec wrong_ref;
  std::string tmpl = Unsigned(wrong_ref);
  Replace(&tmpl, "URI=\"#_a1\"", "URI=\"#_resp1\"");
  WriteFile(dir_ + "/in.xml", tmpl);
  EXPECT_EQ(Shell("xmlsec1 --sign --privkey-pem " + dir_ + "/idp.key," + dir_ +
                  "/idp.pem --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response --output " +
                  dir_ + "/out.xml " + dir_ + "/in.xml"),
            0);
  EXPECT_TRUE(Fails(VerifyResponseXml(ReadFile(dir_ + "/out.xml"), Expect()),
                    "InvalidIdentityToken", "Response signature invalid"));
}

// A comment inside a signed text value: exclusive canonicalization drops comments, so
// the signature still verifies; the value read must still be the whole signed text.
TEST_F(SamlTest, ReadsTextAsSignedDespiteCommentInjection) {
  Spec spec;
  spec.name_id = "alice@example.com.evil.example";
  std::string xml = Sign(Unsigned(spec));
  Replace(&xml, "alice@example.com.evil", "alice@example.com<!---->.evil");
  Result<Assertion> a = VerifyResponseXml(xml, Expect());
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->subject, "alice@example.com.evil.example");
}

TEST_F(SamlTest, ChecksTimes) {
  const Expectations e = Expect();
  Spec old;
  old.issued = kNow - 400;
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(old)), e), "ExpiredTokenException",
                    "Token must be redeemed within 5 minutes of issuance"));
  Spec future;
  future.issued = kNow + 600;
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(future)), e), "InvalidIdentityToken"));
  Spec expired;
  expired.not_on_or_after = kNow - 120;
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(expired)), e), "ExpiredTokenException"));
  Spec confirmation_expired;
  confirmation_expired.confirm_until = kNow - 120;
  EXPECT_TRUE(
      Fails(VerifyResponseXml(Sign(Unsigned(confirmation_expired)), e), "ExpiredTokenException"));
  Spec not_yet;
  not_yet.not_before = kNow + 600;
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(not_yet)), e), "InvalidIdentityToken"));
  // Within the clock skew both ways.
  Spec skewed;
  skewed.issued = kNow + 30;
  skewed.not_before = kNow + 30;
  skewed.not_on_or_after = kNow - 30;
  EXPECT_TRUE(VerifyResponseXml(Sign(Unsigned(skewed)), e).ok());
}

TEST_F(SamlTest, ChecksAudienceRecipientAndIssuer) {
  const Expectations e = Expect();
  Spec aws_urn;
  aws_urn.audience = "urn:amazon:webservices";
  EXPECT_TRUE(VerifyResponseXml(Sign(Unsigned(aws_urn)), e).ok());
  Spec regional;
  regional.recipient = "https://eu-west-1.signin.aws.amazon.com/saml";
  EXPECT_TRUE(VerifyResponseXml(Sign(Unsigned(regional)), e).ok());

  Spec audience;
  audience.audience = "https://sp.example.com";
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(audience)), e), "InvalidIdentityToken",
                    "Response does not contain the required audience."));
  Spec recipient;
  recipient.recipient = "https://sp.example.com/acs";
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(recipient)), e), "InvalidIdentityToken"));
  Spec lookalike;
  lookalike.recipient = "https://signin.aws.amazon.com.evil.example/saml";
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(lookalike)), e), "InvalidIdentityToken"));
  Spec issuer;
  issuer.issuer = "https://other-idp.example.com";
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(issuer)), e), "InvalidIdentityToken",
                    "Issuer not present in specified provider"));
  Spec no_subject;
  no_subject.name_id = "";
  EXPECT_TRUE(Fails(VerifyResponseXml(Sign(Unsigned(no_subject)), e), "AccessDenied"));
}

TEST_F(SamlTest, RefusesDocumentTypeDeclarations) {
  const std::string good = Sign(Unsigned(Spec()));
  const std::vector<std::string> prologs = {
      // XXE: an external entity that would read a local file.
      "<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
      // Billion laughs.
      "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>",
      // An external DTD, fetched over the network by a careless parser.
      "<!DOCTYPE samlp:Response SYSTEM \"http://127.0.0.1:9/evil.dtd\">",
  };
  for (const std::string& prolog : prologs) {
    std::string xml = prolog + good;
    Replace(&xml, "alice@example.com", "&xxe;");
    EXPECT_TRUE(Fails(VerifyResponseXml(xml, Expect()), "InvalidIdentityToken")) << prolog;
  }
  // The same, encoded in UTF-16 so that a byte scan for "<!DOCTYPE" would miss it.
  std::string utf16 = "\xFF\xFE";
  for (char c : prologs[0] + good) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  EXPECT_TRUE(Fails(VerifyResponseXml(utf16, Expect()), "InvalidIdentityToken"));
  EXPECT_TRUE(Fails(VerifyResponseXml("not xml", Expect()), "InvalidIdentityToken"));
  EXPECT_TRUE(Fails(VerifyResponse("@@@", Expect()), "InvalidIdentityToken"));
  EXPECT_TRUE(Fails(VerifyResponseXml(std::string(kMaxResponseBytes + 1, ' '), Expect()),
                    "InvalidIdentityToken"));
}

std::string Metadata(const std::string& cert_b64, std::string_view extra_attrs = "",
                     std::string_view use = "signing") {
  return "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
         "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"" +
         std::string(kIssuer) + "\" " + std::string(extra_attrs) +
         "><md:IDPSSODescriptor "
         "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
         "<md:KeyDescriptor use=\"" +
         std::string(use) + "\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n" + cert_b64 +
         "\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
         "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
         "Location=\"https://idp.example.com/sso\"/></md:IDPSSODescriptor>"
         "</md:EntityDescriptor>";
}

TEST_F(SamlTest, ParsesMetadata) {
  const std::string cert = crypto::Base64Encode(idp_der_);
  Result<saml::Metadata> m = ParseMetadata(Metadata(cert, "validUntil=\"2034-05-06T07:08:09Z\""));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->entity_id, kIssuer);
  EXPECT_EQ(m->signing_certificates, std::vector<std::string>{idp_der_});
  EXPECT_EQ(m->valid_until, 2030512089);  // date -d 2034-05-06T07:08:09Z +%s
  m = ParseMetadata(Metadata(cert));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->valid_until.has_value());
  // Inside an EntitiesDescriptor.
  std::string wrapped =
      "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">" + Metadata(cert) +
      "</md:EntitiesDescriptor>";
  EXPECT_TRUE(ParseMetadata(wrapped).ok());

  EXPECT_FALSE(ParseMetadata(Metadata(cert, "", "encryption")).ok());  // no signing key
  EXPECT_FALSE(ParseMetadata(Metadata("AAAA")).ok());                  // not a certificate
  EXPECT_FALSE(ParseMetadata(Metadata(cert, "validUntil=\"tomorrow\"")).ok());
  EXPECT_FALSE(ParseMetadata("<!DOCTYPE x [<!ENTITY e \"x\">]>" + Metadata(cert)).ok());
  EXPECT_FALSE(ParseMetadata("<x/>").ok());
  std::string no_entity_id = Metadata(cert);
  Replace(&no_entity_id, std::string("entityID=\"") + kIssuer + "\"", "");
  EXPECT_FALSE(ParseMetadata(no_entity_id).ok());

  // IAM refuses RSA keys under 1024 bits.
  ASSERT_EQ(Shell("(openssl req -x509 -newkey rsa:768 -nodes -days 30 -subj /CN=weak -keyout " +
                  dir_ + "/weak.key -out " + dir_ + "/weak.pem && openssl x509 -in " + dir_ +
                  "/weak.pem -outform DER -out " + dir_ + "/weak.der)"),
            0);
  EXPECT_FALSE(ParseMetadata(Metadata(crypto::Base64Encode(ReadFile(dir_ + "/weak.der")))).ok());
}

TEST(SamlNames, NameQualifierIsAwsDocumentedHash) {
  // BASE64(SHA1("https://example.com/saml" + "123456789012" + "/MySAMLIdP")), the API
  // reference's example, computed with `printf %s ... | openssl sha1 -binary | base64`.
  EXPECT_EQ(NameQualifier("https://example.com/saml", "123456789012", "MySAMLIdP"),
            "1uAJanUnBc2XeUkHURMht+xam2c=");
  EXPECT_EQ(SubjectType("urn:oasis:names:tc:SAML:2.0:nameid-format:transient"), "transient");
  EXPECT_EQ(SubjectType("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
}

}  // namespace
}  // namespace bulwark::saml
