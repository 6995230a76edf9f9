// SAML 2.0 metadata and responses (see saml.h for the rules this file keeps).
//
// libxmlsec1 (OpenSSL engine) does the XML Signature work: canonicalization, digests
// and the signature check. Its OpenSSL engine headers come in through <xmlsec/crypto.h>;
// this file calls no OpenSSL function itself.
#include "auth/saml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <mutex>

#include "crypto/crypto.h"

namespace bulwark::saml {
namespace {

constexpr char kProtocolNs[] = "urn:oasis:names:tc:SAML:2.0:protocol";
constexpr char kAssertionNs[] = "urn:oasis:names:tc:SAML:2.0:assertion";
constexpr char kMetadataNs[] = "urn:oasis:names:tc:SAML:2.0:metadata";
constexpr char kDsigNs[] = "http://www.w3.org/2000/09/xmldsig#";
constexpr std::string_view kSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success";
constexpr std::string_view kBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
constexpr std::string_view kDefaultNameIdFormat =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
constexpr std::string_view kNameIdFormatPrefix = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

// --- Errors ----------------------------------------------------------------------------

Status Invalid(std::string message) {
  return Status::Service("InvalidIdentityToken", 400, std::move(message));
}
Status SignatureInvalid() { return Invalid("Response signature invalid"); }
Status Expired(std::string message) {
  return Status::Service("ExpiredTokenException", 400, std::move(message));
}
Status NotAuthorized() {
  return Status(ErrorKind::kAccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML");
}
Status BadMetadata(std::string detail) {
  return Status(ErrorKind::kValidation, "Could not parse metadata: " + std::move(detail));
}

// --- Library setup ---------------------------------------------------------------------

// xmlsec reports errors through a process-wide callback that prints by default; the
// server's log must not fill with a line per hostile request.
void QuietXmlsecErrors(const char*, int, const char*, const char*, const char*, int, const char*) {}

bool Initialized() {
  static const bool ok = [] {
    xmlInitParser();
    if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1) return false;
    if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0) return false;
    // Set last: initializing may install the default (printing) callback.
    xmlSecErrorsSetCallback(&QuietXmlsecErrors);
    return true;
  }();
  return ok;
}

// --- Parsing ---------------------------------------------------------------------------

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
struct ParserFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
struct KeyFree {
  void operator()(xmlSecKey* k) const { xmlSecKeyDestroy(k); }
};
using KeyPtr = std::unique_ptr<xmlSecKey, KeyFree>;
struct DSigFree {
  void operator()(xmlSecDSigCtx* c) const { xmlSecDSigCtxDestroy(c); }
};

// Parses untrusted XML: UTF-8 whatever the declaration says, no network, no DTD
// (internal or external) and hence no entities but the predefined ones, libxml2's
// default limits (no XML_PARSE_HUGE), no output on errors. A DOCTYPE is refused before
// the parser sees it, so that no entity declaration is ever processed.
DocPtr ParseUntrusted(std::string_view xml) {
  if (xml.empty() || xml.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  if (xml.find('\0') != std::string_view::npos) return nullptr;
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    return nullptr;
  }
  std::unique_ptr<xmlParserCtxt, ParserFree> ctxt(xmlNewParserCtxt());
  if (!ctxt) return nullptr;
  constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  DocPtr doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), nullptr,
                               "UTF-8", kOptions));
  if (!doc || !ctxt->wellFormed) return nullptr;
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) return nullptr;
  return doc;
}

bool Is(const xmlNode* n, const char* ns, const char* name) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
         xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST name);
}

std::vector<xmlNode*> Children(const xmlNode* parent, const char* ns, const char* name) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (Is(c, ns, name)) out.push_back(c);
  }
  return out;
}

// Every element of the subtree at `root` (itself included) named ns:name.
std::vector<xmlNode*> Descendants(xmlNode* root, const char* ns, const char* name) {
  std::vector<xmlNode*> out;
  std::vector<xmlNode*> stack{root};
  while (!stack.empty()) {
    xmlNode* n = stack.back();
    stack.pop_back();
    if (n->type != XML_ELEMENT_NODE) continue;
    if (Is(n, ns, name)) out.push_back(n);
    for (xmlNode* c = n->last; c != nullptr; c = c->prev) stack.push_back(c);
  }
  return out;
}

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Trim(std::string s) {
  size_t b = 0, e = s.size();
  while (b < e && IsXmlSpace(s[b])) ++b;
  while (e > b && IsXmlSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// The text of an element: its text and CDATA descendants concatenated (comments and
// processing instructions skipped), surrounding white space removed.
std::string Text(const xmlNode* n) {
  xmlChar* content = xmlNodeGetContent(n);
  if (content == nullptr) return std::string();
  std::string out(reinterpret_cast<const char*>(content));
  xmlFree(content);
  return Trim(std::move(out));
}

// An attribute without namespace, or nullopt when absent.
std::optional<std::string> Attr(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(n, BAD_CAST name);
  if (v == nullptr) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

// xs:dateTime: YYYY-MM-DDThh:mm:ss, optional fraction, optional Z or ±hh:mm.
std::optional<int64_t> ParseDateTime(std::string_view s) {
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
       se = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !se) return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start || pos - start > 12) return std::nullopt;
  }
  int64_t offset = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      pos = s.size();
    } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
      auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
      if (!oh || !om || *oh > 14 || *om > 59) return std::nullopt;
      offset = (*oh * 3600 + *om * 60) * (s[pos] == '+' ? 1 : -1);
      pos = s.size();
    } else {
      return std::nullopt;
    }
  }
  // Days from the civil date (H. Hinnant's algorithm).
  int64_t yy = *y - (*mo <= 2 ? 1 : 0);
  const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  const int64_t yoe = yy - era * 400;
  const int64_t m = *mo;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + *d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + *h * 3600 + *mi * 60 + *se - offset;
}

// --- Keys ------------------------------------------------------------------------------

// The public key of a DER certificate, if it is one xmlsec can use for the signature
// methods allowed here: RSA of at least kMinRsaKeyBits, or EC.
KeyPtr LoadCertificateKey(std::string_view der) {
  if (der.empty() || der.size() > (1u << 20)) return nullptr;
  KeyPtr key(xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(der.data()),
                                          static_cast<xmlSecSize>(der.size()),
                                          xmlSecKeyDataFormatCertDer, nullptr, nullptr, nullptr));
  if (!key) return nullptr;
  xmlSecKeyDataPtr value = xmlSecKeyGetValue(key.get());
  if (value == nullptr) return nullptr;
  if (xmlSecKeyDataCheckId(value, xmlSecKeyDataRsaId)) {
    if (xmlSecKeyDataGetSize(value) < kMinRsaKeyBits) return nullptr;
  } else if (!xmlSecKeyDataCheckId(value, xmlSecKeyDataEcdsaId)) {
    return nullptr;
  }
  return key;
}

std::optional<std::string> DecodeBase64Lenient(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (!IsXmlSpace(c)) compact.push_back(c);
  }
  return crypto::Base64Decode(compact);
}

// --- Signatures ------------------------------------------------------------------------

bool AllowTransforms(xmlSecDSigCtx* dsig) {
  // SignedInfo: canonicalization and signature methods.
  const xmlSecTransformId signature_transforms[] = {
      xmlSecTransformExclC14NId,    xmlSecTransformExclC14NWithCommentsId,
      xmlSecTransformInclC14NId,    xmlSecTransformInclC14NWithCommentsId,
      xmlSecTransformInclC14N11Id,  xmlSecTransformInclC14N11WithCommentsId,
      xmlSecTransformRsaSha1Id,     xmlSecTransformRsaSha256Id,
      xmlSecTransformRsaSha384Id,   xmlSecTransformRsaSha512Id,
      xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id,
      xmlSecTransformEcdsaSha512Id,
  };
  // References: the enveloped-signature transform, canonicalization, digests. No XPath,
  // XPointer filters, XSLT or base64: what is digested stays a serialization of the
  // referenced element.
  const xmlSecTransformId reference_transforms[] = {
      xmlSecTransformEnvelopedId,
      xmlSecTransformExclC14NId,
      xmlSecTransformExclC14NWithCommentsId,
      xmlSecTransformInclC14NId,
      xmlSecTransformInclC14NWithCommentsId,
      xmlSecTransformInclC14N11Id,
      xmlSecTransformInclC14N11WithCommentsId,
      xmlSecTransformSha1Id,
      xmlSecTransformSha256Id,
      xmlSecTransformSha384Id,
      xmlSecTransformSha512Id,
  };
  for (xmlSecTransformId id : signature_transforms) {
    if (xmlSecDSigCtxEnableSignatureTransform(dsig, id) < 0) return false;
  }
  for (xmlSecTransformId id : reference_transforms) {
    if (xmlSecDSigCtxEnableReferenceTransform(dsig, id) < 0) return false;
  }
  return true;
}

// Verifies `signature` (a ds:Signature child of the element whose ID is `id`) with one
// of `keys`, and returns the bytes its one reference digested: the canonical form of
// that element without the signature.
Result<std::string> VerifySignature(xmlNode* signature, const std::string& id,
                                    const std::vector<KeyPtr>& keys) {
  // The shape, before xmlsec sees it: one SignedInfo holding exactly one Reference to
  // "#ID" of the enveloping element.
  std::vector<xmlNode*> signed_info = Children(signature, kDsigNs, "SignedInfo");
  if (signed_info.size() != 1) return SignatureInvalid();
  std::vector<xmlNode*> references = Children(signed_info[0], kDsigNs, "Reference");
  if (references.size() != 1) return SignatureInvalid();
  if (Attr(references[0], "URI") != "#" + id) return SignatureInvalid();
  if (!Children(signature, kDsigNs, "Object").empty()) return SignatureInvalid();

  for (const KeyPtr& key : keys) {
    std::unique_ptr<xmlSecDSigCtx, DSigFree> dsig(xmlSecDSigCtxCreate(nullptr));
    if (!dsig) return Status(ErrorKind::kInternalFailure, "xmlsec context");
    dsig->flags =
        XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS | XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
    dsig->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    if (!AllowTransforms(dsig.get())) return Status(ErrorKind::kInternalFailure, "xmlsec setup");
    // The key is set before verifying, so xmlsec never reads the signature's KeyInfo.
    dsig->signKey = xmlSecKeyDuplicate(key.get());
    if (dsig->signKey == nullptr) return Status(ErrorKind::kInternalFailure, "xmlsec key");
    if (xmlSecDSigCtxVerify(dsig.get(), signature) < 0 ||
        dsig->status != xmlSecDSigStatusSucceeded) {
      continue;
    }
    if (xmlSecPtrListGetSize(&dsig->signedInfoReferences) != 1) return SignatureInvalid();
    auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(
        xmlSecPtrListGetItem(&dsig->signedInfoReferences, 0));
    if (ref == nullptr || ref->status != xmlSecDSigStatusSucceeded || ref->uri == nullptr ||
        "#" + id != reinterpret_cast<const char*>(ref->uri)) {
      return SignatureInvalid();
    }
    xmlSecBufferPtr digested = xmlSecDSigReferenceCtxGetPreDigestBuffer(ref);
    if (digested == nullptr) return SignatureInvalid();
    return std::string(reinterpret_cast<const char*>(xmlSecBufferGetData(digested)),
                       xmlSecBufferGetSize(digested));
  }
  return SignatureInvalid();
}

// Registers the element's ID attribute as an XML ID (there is no DTD or schema to say
// so), which the signature's "#ID" reference resolves through. False when the element
// has no ID or another element already holds the same one.
bool RegisterId(xmlDoc* doc, xmlNode* element, std::string* id_out) {
  xmlAttr* attr = xmlHasNsProp(element, BAD_CAST "ID", nullptr);
  if (attr == nullptr) return false;
  std::optional<std::string> id = Attr(element, "ID");
  if (!id || id->empty()) return false;
  if (xmlGetID(doc, BAD_CAST id->c_str()) != nullptr) return false;
  if (xmlAddID(nullptr, doc, BAD_CAST id->c_str(), attr) == nullptr) return false;
  if (xmlGetID(doc, BAD_CAST id->c_str()) != attr) return false;
  *id_out = std::move(*id);
  return true;
}

// --- Endpoints -------------------------------------------------------------------------

// https://signin.aws.amazon.com/saml, .../static/saml, or https://REGION.signin.aws...
bool IsAwsSigninEndpoint(std::string_view url) {
  if (url == "https://signin.aws.amazon.com/saml" ||
      url == "https://signin.aws.amazon.com/static/saml") {
    return true;
  }
  constexpr std::string_view kScheme = "https://";
  constexpr std::string_view kSuffix = ".signin.aws.amazon.com/saml";
  if (!url.starts_with(kScheme) || !url.ends_with(kSuffix)) return false;
  std::string_view region =
      url.substr(kScheme.size(), url.size() - kScheme.size() - kSuffix.size());
  if (region.empty() || region.size() > 32) return false;
  return std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool IsAcceptedRecipient(std::string_view url, const Expectations& expect) {
  if (IsAwsSigninEndpoint(url)) return true;
  if (expect.provider_uuid.empty()) return false;
  const std::string acs = "/acs/" + expect.provider_uuid;
  return url.ends_with(acs) && IsAwsSigninEndpoint(url.substr(0, url.size() - acs.size()));
}

bool IsAcceptedAudience(std::string_view audience) {
  return audience == "urn:amazon:webservices" || IsAwsSigninEndpoint(audience);
}

// --- The assertion ---------------------------------------------------------------------

std::optional<int64_t> TimeAttr(const xmlNode* n, const char* name, bool* malformed) {
  std::optional<std::string> v = Attr(n, name);
  if (!v) return std::nullopt;
  std::optional<int64_t> t = ParseDateTime(*v);
  if (!t) *malformed = true;
  return t;
}

// Reads and checks the assertion (an element parsed from signed bytes).
Result<Assertion> ReadAssertion(const xmlNode* a, const Expectations& expect) {
  Assertion out;
  const int64_t now = expect.now;
  bool malformed = false;
  if (Attr(a, "Version") != "2.0") return Invalid("The SAML assertion is not SAML 2.0.");
  std::optional<int64_t> issued = TimeAttr(a, "IssueInstant", &malformed);
  if (!issued || malformed) return Invalid("The SAML assertion has no valid IssueInstant.");
  out.issue_instant = *issued;
  if (*issued > now + kClockSkewSeconds) {
    return Invalid("The SAML assertion was issued in the future.");
  }
  if (now - *issued > kMaxAssertionAgeSeconds + kClockSkewSeconds) {
    return Expired("Token must be redeemed within 5 minutes of issuance");
  }

  std::vector<xmlNode*> issuers = Children(a, kAssertionNs, "Issuer");
  if (issuers.size() != 1) return Invalid("Issuer not present in specified provider");
  out.issuer = Text(issuers[0]);
  if (out.issuer != expect.issuer) return Invalid("Issuer not present in specified provider");

  // Subject: a NameID and exactly one bearer confirmation for AWS's endpoint.
  std::vector<xmlNode*> subjects = Children(a, kAssertionNs, "Subject");
  if (subjects.size() != 1) return NotAuthorized();
  std::vector<xmlNode*> name_ids = Children(subjects[0], kAssertionNs, "NameID");
  if (name_ids.size() != 1) return NotAuthorized();
  out.subject = Text(name_ids[0]);
  if (out.subject.empty()) return NotAuthorized();
  out.subject_format = Attr(name_ids[0], "Format").value_or(std::string(kDefaultNameIdFormat));
  std::vector<xmlNode*> confirmations = Children(subjects[0], kAssertionNs, "SubjectConfirmation");
  if (confirmations.size() != 1 || Attr(confirmations[0], "Method") != kBearer) {
    return Invalid("The SAML assertion must have exactly one bearer SubjectConfirmation.");
  }
  std::vector<xmlNode*> data = Children(confirmations[0], kAssertionNs, "SubjectConfirmationData");
  if (data.size() != 1) {
    return Invalid("The SubjectConfirmation must have a SubjectConfirmationData.");
  }
  std::optional<std::string> recipient = Attr(data[0], "Recipient");
  std::optional<int64_t> confirm_until = TimeAttr(data[0], "NotOnOrAfter", &malformed);
  std::optional<int64_t> confirm_from = TimeAttr(data[0], "NotBefore", &malformed);
  if (!recipient || !confirm_until || malformed) {
    return Invalid(
        "The SubjectConfirmationData must have a Recipient and a NotOnOrAfter attribute.");
  }
  if (!IsAcceptedRecipient(*recipient, expect)) {
    return Invalid("The SAML assertion's Recipient is not the AWS sign-in endpoint.");
  }
  out.recipient = *recipient;
  if (now - kClockSkewSeconds >= *confirm_until) {
    return Expired("The SAML assertion has expired.");
  }
  if (confirm_from && now + kClockSkewSeconds < *confirm_from) {
    return Invalid("The SAML assertion is not yet valid.");
  }

  // Conditions: the validity window and the audience.
  std::vector<xmlNode*> conditions = Children(a, kAssertionNs, "Conditions");
  if (conditions.size() > 1) return Invalid("The SAML assertion has more than one Conditions.");
  bool audience_ok = false;
  if (conditions.size() == 1) {
    std::optional<int64_t> not_before = TimeAttr(conditions[0], "NotBefore", &malformed);
    std::optional<int64_t> not_after = TimeAttr(conditions[0], "NotOnOrAfter", &malformed);
    if (malformed) return Invalid("The SAML assertion's Conditions are not valid.");
    if (not_before && now + kClockSkewSeconds < *not_before) {
      return Invalid("The SAML assertion is not yet valid.");
    }
    if (not_after && now - kClockSkewSeconds >= *not_after) {
      return Expired("The SAML assertion has expired.");
    }
    std::vector<xmlNode*> restrictions =
        Children(conditions[0], kAssertionNs, "AudienceRestriction");
    // Each AudienceRestriction must be met (SAML core 2.5.1.4).
    audience_ok = !restrictions.empty();
    for (const xmlNode* r : restrictions) {
      bool met = false;
      for (const xmlNode* aud : Children(r, kAssertionNs, "Audience")) {
        std::string value = Text(aud);
        met = met || IsAcceptedAudience(value);
        out.audiences.push_back(std::move(value));
      }
      audience_ok = audience_ok && met;
    }
  }
  if (!audience_ok) return Invalid("Response does not contain the required audience.");

  for (const xmlNode* statement : Children(a, kAssertionNs, "AuthnStatement")) {
    std::optional<int64_t> until = TimeAttr(statement, "SessionNotOnOrAfter", &malformed);
    if (malformed) return Invalid("The SAML assertion's SessionNotOnOrAfter is not valid.");
    if (until && (!out.session_not_on_or_after || *until < *out.session_not_on_or_after)) {
      out.session_not_on_or_after = until;
    }
  }
  for (const xmlNode* statement : Children(a, kAssertionNs, "AttributeStatement")) {
    for (const xmlNode* attr : Children(statement, kAssertionNs, "Attribute")) {
      Attribute item;
      item.name = Attr(attr, "Name").value_or("");
      item.friendly_name = Attr(attr, "FriendlyName").value_or("");
      for (const xmlNode* v : Children(attr, kAssertionNs, "AttributeValue")) {
        item.values.push_back(Text(v));
      }
      out.attributes.push_back(std::move(item));
    }
  }
  return out;
}

}  // namespace

const Attribute* Assertion::Find(std::string_view name) const {
  for (const Attribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

Result<Metadata> ParseMetadata(std::string_view xml) {
  if (!Initialized()) return Status(ErrorKind::kInternalFailure, "xmlsec is not available");
  if (xml.size() > kMaxMetadataBytes) return BadMetadata("the document is too large");
  DocPtr doc = ParseUntrusted(xml);
  if (!doc) return BadMetadata("not well-formed XML, or it has a DOCTYPE");
  xmlNode* root = xmlDocGetRootElement(doc.get());
  Metadata out;
  bool malformed = false;
  xmlNode* entity = nullptr;
  if (Is(root, kMetadataNs, "EntityDescriptor")) {
    entity = root;
  } else if (Is(root, kMetadataNs, "EntitiesDescriptor")) {
    for (xmlNode* e : Descendants(root, kMetadataNs, "EntityDescriptor")) {
      if (Children(e, kMetadataNs, "IDPSSODescriptor").empty()) continue;
      if (entity != nullptr) return BadMetadata("more than one identity provider");
      entity = e;
    }
    out.valid_until = TimeAttr(root, "validUntil", &malformed);
  }
  if (entity == nullptr) return BadMetadata("no EntityDescriptor of an identity provider");
  out.entity_id = Attr(entity, "entityID").value_or("");
  if (out.entity_id.empty() || out.entity_id.size() > 1024) return BadMetadata("no entityID");
  if (std::optional<int64_t> until = TimeAttr(entity, "validUntil", &malformed)) {
    out.valid_until = until;
  }
  if (malformed) return BadMetadata("validUntil is not a dateTime");
  std::vector<xmlNode*> idps = Children(entity, kMetadataNs, "IDPSSODescriptor");
  if (idps.empty()) return BadMetadata("no IDPSSODescriptor");
  for (xmlNode* idp : idps) {
    for (xmlNode* kd : Children(idp, kMetadataNs, "KeyDescriptor")) {
      std::string use = Attr(kd, "use").value_or("signing");
      if (use != "signing") continue;
      for (xmlNode* cert : Descendants(kd, kDsigNs, "X509Certificate")) {
        std::optional<std::string> der = DecodeBase64Lenient(Text(cert));
        if (!der || !LoadCertificateKey(*der)) {
          return BadMetadata("a signing certificate is not a usable X.509 certificate");
        }
        if (std::find(out.signing_certificates.begin(), out.signing_certificates.end(), *der) ==
            out.signing_certificates.end()) {
          out.signing_certificates.push_back(std::move(*der));
        }
      }
    }
  }
  if (out.signing_certificates.empty()) return BadMetadata("no signing certificate");
  if (out.signing_certificates.size() > kMaxSigningCertificates) {
    return BadMetadata("too many signing certificates");
  }
  return out;
}

bool IsUsablePrivateKey(std::string_view pem) {
  if (!Initialized() || pem.empty() || pem.size() > (1u << 16)) return false;
  KeyPtr key(xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(pem.data()),
                                          static_cast<xmlSecSize>(pem.size()),
                                          xmlSecKeyDataFormatPem, nullptr, nullptr, nullptr));
  if (!key || (xmlSecKeyGetType(key.get()) & xmlSecKeyDataTypePrivate) == 0) return false;
  xmlSecKeyDataPtr value = xmlSecKeyGetValue(key.get());
  return value != nullptr && xmlSecKeyDataCheckId(value, xmlSecKeyDataRsaId) &&
         xmlSecKeyDataGetSize(value) >= kMinRsaKeyBits;
}

Result<Assertion> VerifyResponse(std::string_view base64_response, const Expectations& expect) {
  if (base64_response.size() > kMaxResponseBytes * 2) {
    return Invalid("The SAML response is too large.");
  }
  std::optional<std::string> xml = DecodeBase64Lenient(base64_response);
  if (!xml) return Invalid("The SAML response is not valid base64.");
  return VerifyResponseXml(*xml, expect);
}

Result<Assertion> VerifyResponseXml(std::string_view xml, const Expectations& expect) {
  if (!Initialized()) return Status(ErrorKind::kInternalFailure, "xmlsec is not available");
  if (xml.size() > kMaxResponseBytes) return Invalid("The SAML response is too large.");
  DocPtr doc = ParseUntrusted(xml);
  if (!doc) return Invalid("The SAML response is not well-formed XML, or it has a DOCTYPE.");
  xmlNode* response = xmlDocGetRootElement(doc.get());
  if (!Is(response, kProtocolNs, "Response")) {
    return Invalid("The SAML response is not a samlp:Response.");
  }

  // Exactly one assertion anywhere in the document, and it is the Response's child:
  // a second one (hidden in an Extensions, an Object, an Advice...) is how signature
  // wrapping smuggles content, so any is refused.
  std::vector<xmlNode*> assertions = Descendants(response, kAssertionNs, "Assertion");
  if (!Descendants(response, kAssertionNs, "EncryptedAssertion").empty()) {
    return Invalid("Encrypted SAML assertions are not supported.");
  }
  if (assertions.size() != 1 || assertions[0]->parent != response) {
    return Invalid("The SAML response must contain exactly one assertion.");
  }
  xmlNode* assertion = assertions[0];
  std::string response_id, assertion_id;
  if (!RegisterId(doc.get(), response, &response_id) ||
      !RegisterId(doc.get(), assertion, &assertion_id)) {
    return Invalid("The SAML response and its assertion must have distinct ID attributes.");
  }

  // Signatures may only envelop the Response or the Assertion, one each, and every one
  // present must verify.
  xmlNode* response_signature = nullptr;
  xmlNode* assertion_signature = nullptr;
  for (xmlNode* sig : Descendants(response, kDsigNs, "Signature")) {
    if (sig->parent == response && response_signature == nullptr) {
      response_signature = sig;
    } else if (sig->parent == assertion && assertion_signature == nullptr) {
      assertion_signature = sig;
    } else {
      return SignatureInvalid();
    }
  }
  if (response_signature == nullptr && assertion_signature == nullptr) return SignatureInvalid();
  std::vector<KeyPtr> keys;
  for (const std::string& der : expect.certificates) {
    if (keys.size() == kMaxSigningCertificates) break;
    if (KeyPtr key = LoadCertificateKey(der)) keys.push_back(std::move(key));
  }
  if (keys.empty()) return SignatureInvalid();
  std::string response_bytes, assertion_bytes;
  if (response_signature != nullptr) {
    ASSIGN_OR_RETURN(response_bytes, VerifySignature(response_signature, response_id, keys));
  }
  if (assertion_signature != nullptr) {
    ASSIGN_OR_RETURN(assertion_bytes, VerifySignature(assertion_signature, assertion_id, keys));
  }

  // From here on, only signed bytes are read.
  DocPtr signed_response, signed_assertion_doc;
  const xmlNode* signed_assertion = nullptr;
  const xmlNode* response_fields = response;  // unsigned unless the Response was signed
  if (response_signature != nullptr) {
    signed_response = ParseUntrusted(response_bytes);
    xmlNode* root = signed_response ? xmlDocGetRootElement(signed_response.get()) : nullptr;
    if (!Is(root, kProtocolNs, "Response") || Attr(root, "ID") != response_id) {
      return SignatureInvalid();
    }
    std::vector<xmlNode*> inner = Children(root, kAssertionNs, "Assertion");
    if (inner.size() != 1 || Attr(inner[0], "ID") != assertion_id) return SignatureInvalid();
    response_fields = root;
    signed_assertion = inner[0];
  }
  if (assertion_signature != nullptr) {
    signed_assertion_doc = ParseUntrusted(assertion_bytes);
    xmlNode* root =
        signed_assertion_doc ? xmlDocGetRootElement(signed_assertion_doc.get()) : nullptr;
    if (!Is(root, kAssertionNs, "Assertion") || Attr(root, "ID") != assertion_id) {
      return SignatureInvalid();
    }
    signed_assertion = root;
  }

  // The Response's own fields.
  std::vector<xmlNode*> status = Children(response_fields, kProtocolNs, "Status");
  std::vector<xmlNode*> code =
      status.size() == 1 ? Children(status[0], kProtocolNs, "StatusCode") : std::vector<xmlNode*>();
  if (code.size() != 1 || Attr(code[0], "Value") != kSuccess) {
    return Invalid("The SAML response's status is not Success.");
  }
  if (Attr(response_fields, "Version") != "2.0") {
    return Invalid("The SAML response is not SAML 2.0.");
  }
  if (std::optional<std::string> destination = Attr(response_fields, "Destination")) {
    if (!IsAcceptedRecipient(*destination, expect)) {
      return Invalid("The SAML response's Destination is not the AWS sign-in endpoint.");
    }
  }
  std::vector<xmlNode*> issuers = Children(response_fields, kAssertionNs, "Issuer");
  if (issuers.size() > 1 || (issuers.size() == 1 && Text(issuers[0]) != expect.issuer)) {
    return Invalid("Issuer not present in specified provider");
  }
  return ReadAssertion(signed_assertion, expect);
}

std::string NameQualifier(std::string_view issuer, std::string_view account_id,
                          std::string_view provider_name) {
  std::string input;
  input.append(issuer).append(account_id).append("/").append(provider_name);
  crypto::Sha1Digest digest = crypto::Sha1(input);
  return crypto::Base64Encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string SubjectType(std::string_view format) {
  if (format.starts_with(kNameIdFormatPrefix)) {
    return std::string(format.substr(kNameIdFormatPrefix.size()));
  }
  return std::string(format);
}

}  // namespace bulwark::saml
