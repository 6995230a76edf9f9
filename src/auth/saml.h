// SAML 2.0 for IAM SAML providers and STS AssumeRoleWithSAML: reading an identity
// provider's metadata, and verifying the signed <samlp:Response> an IdP posts (XML
// Signature through libxmlsec1) with the checks AWS's sign-in endpoint makes.
//
// Security rests on three rules:
//  - Documents are parsed by libxml2 without DTDs, entities or network access; a
//    DOCTYPE is refused before parsing, and sizes are bounded.
//  - Only keys from the provider's metadata verify signatures (never a KeyInfo of the
//    response), with a fixed list of algorithms and transforms (no XPath, no XSLT), and
//    same-document references by ID only.
//  - What is read is what was signed: a response carries exactly one assertion, every
//    signature present must verify, its one reference must name its parent element by
//    ID (IDs registered and unique), and the assertion's fields are read from the bytes
//    the verified digest covered (re-parsed), not from the received tree. This closes
//    signature wrapping whatever the received document's shape.
//
// Errors carry STS's codes (InvalidIdentityToken, ExpiredTokenException, AccessDenied)
// so that the handler can return them as they are; metadata errors are kValidation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bulwark::saml {

// Limits. A decoded response is bounded by STS's SAMLAssertion limit (100,000
// characters of base64); metadata by IAM's SAMLMetadataDocument limit.
inline constexpr size_t kMaxResponseBytes = 100000;
inline constexpr size_t kMaxMetadataBytes = 10000000;
// Clock skew allowed for NotBefore / NotOnOrAfter / IssueInstant.
inline constexpr int64_t kClockSkewSeconds = 60;
// AWS: "Token must be redeemed within 5 minutes of issuance".
inline constexpr int64_t kMaxAssertionAgeSeconds = 300;
// IAM refuses metadata whose certificates have RSA keys under 1024 bits.
inline constexpr unsigned kMinRsaKeyBits = 1024;
// Every signing certificate is tried on an unauthenticated AssumeRoleWithSAML, so their
// number is bounded (IdPs publish one to three, for key rollover).
inline constexpr size_t kMaxSigningCertificates = 20;

// What IAM keeps of an IdP's metadata document (SAML 2.0 metadata,
// urn:oasis:names:tc:SAML:2.0:metadata).
struct Metadata {
  std::string entity_id;                          // EntityDescriptor/@entityID
  std::vector<std::string> signing_certificates;  // DER, from the IDPSSODescriptor
  std::optional<int64_t> valid_until;             // @validUntil, unix seconds
};

// Parses and checks a metadata document: one EntityDescriptor (the root, or the one
// with an IDPSSODescriptor inside an EntitiesDescriptor) with an entityID, and at least
// one (at most kMaxSigningCertificates) X.509 certificate in a KeyDescriptor for signing
// (use="signing" or no use) that holds a usable public key (RSA of at least 1024 bits, or
// EC). kValidation otherwise.
Result<Metadata> ParseMetadata(std::string_view xml);

// A SAML attribute of the assertion's AttributeStatement(s).
struct Attribute {
  std::string name;
  std::string friendly_name;
  std::vector<std::string> values;
};

// What a verified response asserts (all of it read from signed bytes).
struct Assertion {
  std::string issuer;          // saml:Issuer of the assertion
  std::string subject;         // NameID value
  std::string subject_format;  // NameID/@Format (the SAML default when absent)
  std::string recipient;       // SubjectConfirmationData/@Recipient
  std::vector<std::string> audiences;
  int64_t issue_instant = 0;
  std::optional<int64_t> session_not_on_or_after;  // AuthnStatement/@SessionNotOnOrAfter
  std::vector<Attribute> attributes;

  // The attribute named `name` (exactly, case-sensitively), or nullptr.
  const Attribute* Find(std::string_view name) const;
};

// What a response must satisfy.
struct Expectations {
  std::string issuer;                     // the provider's entityID
  std::vector<std::string> certificates;  // DER, from the provider's metadata
  int64_t now = 0;                        // unix seconds
  // The provider's SAMLProviderUUID: besides AWS's sign-in endpoints
  // (https://signin.aws.amazon.com/saml, .../static/saml and
  // https://REGION.signin.aws.amazon.com/saml), recipients and destinations may be an
  // endpoint followed by /acs/ and this ID, as AWS asks for encrypted assertions.
  std::string provider_uuid;
};

// Decodes base64 (line breaks allowed) and verifies a <samlp:Response>, as
// VerifyResponseXml does.
Result<Assertion> VerifyResponse(std::string_view base64_response, const Expectations& expect);

// Verifies a <samlp:Response> given as XML: structure, signatures (see above), status
// Success, issuer equal to expect.issuer (Response and Assertion), exactly one bearer
// SubjectConfirmation whose data has a Recipient that is an AWS sign-in endpoint and a
// NotOnOrAfter in the future, Conditions NotBefore/NotOnOrAfter, an AudienceRestriction
// naming https://signin.aws.amazon.com/saml or urn:amazon:webservices, and an
// IssueInstant no more than 5 minutes old.
Result<Assertion> VerifyResponseXml(std::string_view xml, const Expectations& expect);

// Whether `pem` is an unencrypted PEM private key (RSA, of at least kMinRsaKeyBits) that
// can decrypt assertions encrypted to the provider (IAM's AddPrivateKey).
bool IsUsablePrivateKey(std::string_view pem);

// AWS's NameQualifier / saml:namequalifier: BASE64(SHA1(issuer + account + "/" + name)).
std::string NameQualifier(std::string_view issuer, std::string_view account_id,
                          std::string_view provider_name);

// SubjectType as STS returns it: the NameID format without the
// "urn:oasis:names:tc:SAML:2.0:nameid-format:" prefix (other formats unchanged).
std::string SubjectType(std::string_view format);

}  // namespace bulwark::saml
