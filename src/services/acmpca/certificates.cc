// AWS Private CA: IssueCertificate (from a CSR, with AWS's base templates and validity
// types; issued at once, so GetCertificate never answers RequestInProgressException) and
// GetCertificate.
#include <ctime>

#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "crypto/x509.h"
#include "services/acmpca/handlers.h"
#include "services/iam/common.h"
#include "services/service_util.h"
#include "storage/sealer.h"

namespace bulwark::acmpca {
namespace {

constexpr std::string_view kTemplatePrefix = "arn:aws:acm-pca:::template/";
constexpr std::string_view kDefaultTemplate = "arn:aws:acm-pca:::template/EndEntityCertificate/V1";
// Issued certificates start this long before their issuance (clock skew between hosts).
constexpr int64_t kBackdateSeconds = 60 * 60;

struct Template {
  std::string_view name;
  bool ca;
  int path_length;
  uint32_t key_usage;
  std::initializer_list<const char*> extended_key_usage;
  bool copy_sans;  // the CSR's requested DNS names go into the certificate
};

constexpr uint32_t kCaUsage = crypto::kDigitalSignature | crypto::kKeyCertSign | crypto::kCrlSign;
constexpr uint32_t kEndEntityUsage = crypto::kDigitalSignature | crypto::kKeyEncipherment;

const Template kTemplates[] = {
    {"EndEntityCertificate/V1", false, -1, kEndEntityUsage, {"serverAuth", "clientAuth"}, true},
    {"EndEntityClientAuthCertificate/V1", false, -1, kEndEntityUsage, {"clientAuth"}, true},
    {"EndEntityServerAuthCertificate/V1", false, -1, kEndEntityUsage, {"serverAuth"}, true},
    {"RootCACertificate/V1", true, -1, kCaUsage, {}, false},
    {"SubordinateCACertificate_PathLen0/V1", true, 0, kCaUsage, {}, false},
    {"SubordinateCACertificate_PathLen1/V1", true, 1, kCaUsage, {}, false},
    {"SubordinateCACertificate_PathLen2/V1", true, 2, kCaUsage, {}, false},
    {"SubordinateCACertificate_PathLen3/V1", true, 3, kCaUsage, {}, false},
};

Result<const Template*> TemplateOf(std::string_view arn) {
  if (!arn.starts_with(kTemplatePrefix)) {
    return Error("InvalidArnException", "The template ARN " + std::string(arn) + " is not valid.");
  }
  const std::string_view name = arn.substr(kTemplatePrefix.size());
  for (const Template& t : kTemplates) {
    if (t.name == name) return &t;
  }
  return Error("InvalidArgsException",
               "The template " + std::string(name) + " is not supported by Bulwark.");
}

// `when` plus `months` calendar months, in UTC.
int64_t AddMonths(int64_t when, int64_t months) {
  std::time_t t = static_cast<std::time_t>(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const int64_t total = tm.tm_mon + months;
  tm.tm_year += static_cast<int>(total / 12);
  tm.tm_mon = static_cast<int>(total % 12);
  return static_cast<int64_t>(timegm(&tm));
}

// YYYYMMDDHHMMSS as Unix seconds, or -1.
int64_t ParseEndDate(int64_t value) {
  const std::string text = std::to_string(value);
  if (text.size() != 14) return -1;
  std::tm tm{};
  tm.tm_year = std::stoi(text.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(text.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(text.substr(6, 2));
  tm.tm_hour = std::stoi(text.substr(8, 2));
  tm.tm_min = std::stoi(text.substr(10, 2));
  tm.tm_sec = std::stoi(text.substr(12, 2));
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 59) {
    return -1;
  }
  return static_cast<int64_t>(timegm(&tm));
}

// A Validity as a point in time: DAYS, MONTHS and YEARS from `now`; ABSOLUTE in Unix
// seconds; END_DATE as YYYYMMDDHHMMSS.
Result<int64_t> TimeOf(const Json& validity, int64_t now) {
  const int64_t value = validity.value("Value", int64_t{0});
  const std::string type = validity.value("Type", "");
  constexpr int64_t kMaxYears = 100;
  if (value <= 0) return Error("InvalidArgsException", "The validity value must be positive.");
  if (type == "DAYS" && value <= kMaxYears * 366) return now + value * 86400;
  if (type == "MONTHS" && value <= kMaxYears * 12) return AddMonths(now, value);
  if (type == "YEARS" && value <= kMaxYears) return AddMonths(now, value * 12);
  if (type == "ABSOLUTE" && value < 253402300800) return value;
  if (type == "END_DATE") {
    const int64_t t = ParseEndDate(value);
    if (t >= 0) return t;
  }
  return Error("InvalidArgsException",
               "The validity " + std::to_string(value) + " " + type + " is not valid.");
}

}  // namespace

Result<Json> IssueCertificate(RequestContext& ctx, const Json& input) {
  const std::string ca_arn = input.value("CertificateAuthorityArn", "");
  ASSIGN_OR_RETURN(std::string id, CaIdOf(ctx, ca_arn));
  ASSIGN_OR_RETURN(const Template* tmpl,
                   TemplateOf(input.value("TemplateArn", std::string(kDefaultTemplate))));
  if (input.contains("ApiPassthrough")) {
    return Error("InvalidArgsException", "ApiPassthrough is not supported by Bulwark yet.");
  }
  auto csr = crypto::ParseCsr(BlobOf(input, "Csr"));
  if (!csr.ok()) return Error("MalformedCSRException", csr.status().message());

  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json ca, LoadCa(*txn, ctx, ca_arn));
  const std::string status = ca.value("Status", "");
  const std::string own_key = ca.value("PublicKey", "");
  // A root CA issues its own certificate before it has one; everything else needs an
  // active CA.
  const bool self_issue = tmpl->name == "RootCACertificate/V1";
  if (self_issue) {
    if (ca.value("Type", "") != "ROOT" || crypto::Base64Encode(csr->public_key) != own_key) {
      return Error("InvalidArgsException",
                   "RootCACertificate/V1 issues a root certificate authority's own certificate "
                   "from its own CSR.");
    }
    if (status != "PENDING_CERTIFICATE" && status != "ACTIVE") {
      return Error("InvalidStateException", "The certificate authority " + ca_arn + " is " +
                                                status + " and cannot issue certificates.");
    }
  } else if (status != "ACTIVE") {
    return Error("InvalidStateException", "The certificate authority " + ca_arn + " is " + status +
                                              " and cannot issue certificates.");
  }
  const auto alg = crypto::CertSigningAlgorithmFromName(input.value("SigningAlgorithm", ""));
  auto own_spec = crypto::KeySpecOfPublicKey(*crypto::Base64Decode(own_key));
  if (!alg || !own_spec.ok() || !crypto::CertSigningAlgorithmFits(*alg, *own_spec)) {
    return Error("InvalidArgsException", "The signing algorithm " +
                                             input.value("SigningAlgorithm", "") +
                                             " does not fit the certificate authority's key.");
  }
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(int64_t not_after, TimeOf(input["Validity"], now));
  int64_t not_before = now - kBackdateSeconds;
  if (input.contains("ValidityNotBefore")) {
    ASSIGN_OR_RETURN(not_before, TimeOf(input["ValidityNotBefore"], now));
  }
  if (not_after <= now || not_after <= not_before) {
    return Error("InvalidArgsException",
                 "The certificate's validity must end in the future, "
                 "after it begins.");
  }
  crypto::DistinguishedName issuer;
  if (self_issue) {
    issuer = csr->subject;
  } else {
    auto ca_cert = crypto::ParseCertificate(ca.value("Certificate", ""));
    if (!ca_cert.ok()) return ca_cert.status();
    if (not_after > ca_cert->not_after) {
      return Error("InvalidArgsException",
                   "The certificate's validity cannot end after the certificate authority's.");
    }
    // A CA certificate below this CA must leave room in its path length.
    if (tmpl->ca && ca_cert->path_length >= 0 && tmpl->path_length >= ca_cert->path_length) {
      return Error("InvalidArgsException",
                   "The template's path length must be less than the certificate authority's (" +
                       std::to_string(ca_cert->path_length) + ").");
    }
    issuer = ca_cert->subject;
  }

  ASSIGN_OR_RETURN(std::optional<std::string> sealed, txn->Get(CaKeyMaterialKey(ctx, id)));
  if (!sealed) return Status(ErrorKind::kInternalFailure, "CA key material missing");
  ASSIGN_OR_RETURN(SecretBytes private_key,
                   ctx.env->sealer->Open(CaKeyMaterialKey(ctx, id), *sealed));
  crypto::CertificateSpec spec;
  spec.subject = csr->subject;
  spec.public_key = csr->public_key;
  spec.issuer = issuer;
  spec.issuer_private_key = &private_key;
  spec.issuer_public_key = *crypto::Base64Decode(own_key);
  spec.serial.resize(16);
  crypto::RandomBytes(spec.serial.data(), spec.serial.size());
  spec.serial[0] = static_cast<char>((spec.serial[0] & 0x7f) | 0x01);
  spec.not_before = not_before;
  spec.not_after = not_after;
  spec.algorithm = *alg;
  spec.ca = tmpl->ca;
  spec.path_length = tmpl->path_length;
  spec.key_usage = tmpl->key_usage;
  for (const char* usage : tmpl->extended_key_usage) spec.extended_key_usage.emplace_back(usage);
  if (tmpl->copy_sans) spec.dns_names = csr->dns_names;
  if (!self_issue) spec.crl_url = CrlUrl(*ctx.env, ca);
  auto pem = crypto::IssueCertificate(spec);
  if (!pem.ok()) {
    if (pem.status().kind() == ErrorKind::kValidation) {
      return Error("InvalidArgsException", pem.status().message());
    }
    return pem.status();
  }
  const std::string serial = crypto::HexEncode(spec.serial);
  RETURN_IF_ERROR(iam::Save(*txn, CertKey(ctx, id, serial),
                            Json{{"Certificate", *pem},
                                 {"IssuedAt", now},
                                 {"NotAfter", not_after},
                                 {"Template", std::string(tmpl->name)}}));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"CertificateArn", ca_arn + "/certificate/" + serial}};
}

Result<Json> GetCertificate(RequestContext& ctx, const Json& input) {
  const std::string ca_arn = input.value("CertificateAuthorityArn", "");
  const std::string arn = input.value("CertificateArn", "");
  ASSIGN_OR_RETURN(std::string id, CaIdOf(ctx, ca_arn));
  const std::string prefix = ca_arn + "/certificate/";
  const std::string serial = arn.starts_with(prefix) ? arn.substr(prefix.size()) : "";
  if (serial.empty() || serial.size() > 40 ||
      serial.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Error("InvalidArnException", "The certificate ARN " + arn + " is not valid.");
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json ca, LoadCa(*txn, ctx, ca_arn));
  ASSIGN_OR_RETURN(std::optional<Json> cert, iam::Load(*txn, CertKey(ctx, id, serial)));
  if (!cert) {
    return Error("ResourceNotFoundException", "Could not find certificate " + arn + ".");
  }
  Json out = {{"Certificate", cert->value("Certificate", "")}};
  const std::string chain = CaChain(ca);
  if (!chain.empty()) out["CertificateChain"] = chain;
  return out;
}

}  // namespace bulwark::acmpca
