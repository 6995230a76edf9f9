// AWS Private CA: revocation. RevokeCertificate records a revocation; a CA with a CRL
// configuration publishes its CRL (DER) to a directory standing for its S3 bucket, at
// AWS's object key (crl/ID.crl, or CustomPath/ID.crl), when it gets its certificate, when
// a certificate is revoked, and again when half its ExpirationInDays has passed
// (maintenance). The server serves those files at /_bulwark/pca-crl/BUCKET/KEY, the URL
// written into the certificates' CRL distribution point (unless CustomCname names
// another host, or OmitExtension leaves it out).
#include <algorithm>
#include <cctype>
#include <fstream>

#include "core/file_util.h"
#include "crypto/crypto.h"
#include "crypto/x509.h"
#include "services/acmpca/acmpca.h"
#include "services/acmpca/handlers.h"
#include "services/iam/common.h"
#include "storage/sealer.h"

namespace bulwark::acmpca {
namespace {

constexpr int64_t kDefaultCrlDays = 7;
constexpr size_t kMaxCrlFile = 64u << 20;

struct Reason {
  std::string_view name;
  int code;  // RFC 5280 CRLReason
};
constexpr Reason kReasons[] = {
    {"UNSPECIFIED", 0},         {"KEY_COMPROMISE", 1},  {"CERTIFICATE_AUTHORITY_COMPROMISE", 2},
    {"AFFILIATION_CHANGED", 3}, {"SUPERSEDED", 4},      {"CESSATION_OF_OPERATION", 5},
    {"PRIVILEGE_WITHDRAWN", 9}, {"A_A_COMPROMISE", 10},
};

bool IsSegment(std::string_view s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 255) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

// An S3 bucket name as a single directory: 3-63 lowercase letters, digits, dots and
// hyphens.
bool IsBucketName(std::string_view s) {
  return s.size() >= 3 && s.size() <= 63 && IsSegment(s) &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
         });
}

// A relative path of segments, each IsSegment.
bool IsObjectPath(std::string_view s) {
  if (s.empty() || s.size() > 1024) return false;
  size_t start = 0;
  while (true) {
    const size_t slash = s.find('/', start);
    if (!IsSegment(s.substr(start, slash == std::string_view::npos ? s.npos : slash - start))) {
      return false;
    }
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

const Json* CrlConfig(const Json& ca) {
  auto rc = ca.find("RevocationConfiguration");
  if (rc == ca.end() || !rc->is_object()) return nullptr;
  auto crl = rc->find("CrlConfiguration");
  if (crl == rc->end() || !crl->is_object() || !crl->value("Enabled", false)) return nullptr;
  return &*crl;
}

std::string IdOf(const Json& ca) {
  const std::string arn = ca.value("Arn", "");
  return arn.substr(arn.rfind('/') + 1);
}

// The CRL's object key in its bucket.
std::string ObjectKey(const Json& ca, const Json& crl) {
  const std::string custom = crl.value("CustomPath", "");
  return (custom.empty() ? std::string("crl") : custom) + "/" + IdOf(ca) + ".crl";
}

}  // namespace

Status CheckRevocationConfiguration(const Json& input) {
  const Json config = input.value("RevocationConfiguration", Json::object());
  if (config.value("OcspConfiguration", Json::object()).value("Enabled", false)) {
    return Error("InvalidArgsException", "OCSP is not supported by Bulwark yet.");
  }
  const Json crl = config.value("CrlConfiguration", Json::object());
  if (!crl.value("Enabled", false)) return Status::Ok();
  if (!IsBucketName(crl.value("S3BucketName", ""))) {
    return Error("InvalidArgsException",
                 "A CRL needs an S3BucketName of 3-63 lowercase letters, digits, dots and "
                 "hyphens.");
  }
  if (crl.contains("CustomPath") && !IsObjectPath(crl.value("CustomPath", ""))) {
    return Error("InvalidArgsException", "The CRL's CustomPath is not valid.");
  }
  if (crl.value("CrlType", "COMPLETE") != "COMPLETE") {
    return Error("InvalidArgsException", "Partitioned CRLs are not supported by Bulwark yet.");
  }
  return Status::Ok();
}

std::string CrlUrl(const ServiceEnvironment& env, const Json& ca) {
  const Json* crl = CrlConfig(ca);
  if (crl == nullptr || crl->value("CrlDistributionPointExtensionConfiguration", Json::object())
                            .value("OmitExtension", false)) {
    return {};
  }
  const std::string key = ObjectKey(ca, *crl);
  const std::string cname = crl->value("CustomCname", "");
  if (!cname.empty()) return "http://" + cname + "/" + key;
  return env.endpoint_url + "/_bulwark/pca-crl/" + crl->value("S3BucketName", "") + "/" + key;
}

Status PublishCrl(const ServiceEnvironment& env, storage::Transaction& txn,
                  std::string_view material_key, Json& ca, int64_t now) {
  const Json* crl = CrlConfig(ca);
  if (crl == nullptr || !ca.contains("Certificate")) return Status::Ok();
  auto cert = crypto::ParseCertificate(ca.value("Certificate", ""));
  if (!cert.ok()) return cert.status();
  ASSIGN_OR_RETURN(std::optional<std::string> sealed, txn.Get(material_key));
  if (!sealed) return Status(ErrorKind::kInternalFailure, "CA key material missing");
  ASSIGN_OR_RETURN(SecretBytes key, env.sealer->Open(material_key, *sealed));
  const auto alg = crypto::CertSigningAlgorithmFromName(
      ca["CertificateAuthorityConfiguration"].value("SigningAlgorithm", ""));
  if (!alg) return Status(ErrorKind::kInternalFailure, "CA signing algorithm");
  crypto::CrlSpec spec;
  spec.issuer = cert->subject;
  spec.issuer_private_key = &key;
  spec.issuer_public_key = cert->public_key;
  spec.algorithm = *alg;
  spec.number = ca.value("CrlNumber", uint64_t{0}) + 1;
  spec.this_update = now;
  spec.next_update = now + crl->value("ExpirationInDays", kDefaultCrlDays) * 86400;
  for (const Json& r : ca.value("Revoked", Json::array())) {
    auto serial = crypto::HexDecode(r.value("Serial", ""));
    if (!serial) continue;
    spec.revoked.push_back({*serial, r.value("At", int64_t{0}), r.value("Reason", 0)});
  }
  ASSIGN_OR_RETURN(std::string der, crypto::MakeCrl(spec));
  const std::string path =
      env.pca_crl_dir + "/" + crl->value("S3BucketName", "") + "/" + ObjectKey(ca, *crl);
  RETURN_IF_ERROR(WriteFileAtomically(path, der, /*create_parents=*/true));
  ca["CrlNumber"] = spec.number;
  ca["CrlPublishedAt"] = now;
  return Status::Ok();
}

bool CrlDue(const Json& ca, int64_t now) {
  const Json* crl = CrlConfig(ca);
  if (crl == nullptr || !ca.contains("Certificate")) return false;
  const std::string status = ca.value("Status", "");
  if (status != "ACTIVE" && status != "DISABLED") return false;
  const int64_t half = crl->value("ExpirationInDays", kDefaultCrlDays) * 86400 / 2;
  return !ca.contains("CrlPublishedAt") || ca.value("CrlPublishedAt", int64_t{0}) + half <= now;
}

Result<Json> RevokeCertificate(RequestContext& ctx, const Json& input) {
  const std::string ca_arn = input.value("CertificateAuthorityArn", "");
  ASSIGN_OR_RETURN(std::string id, CaIdOf(ctx, ca_arn));
  std::string serial;
  for (char c : input.value("CertificateSerial", "")) {
    if (c == ':') continue;
    serial.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  serial.erase(0, std::min(serial.find_first_not_of('0'), serial.size()));
  const std::string reason_name = input.value("RevocationReason", "");
  const auto reason = std::find_if(std::begin(kReasons), std::end(kReasons),
                                   [&](const Reason& r) { return r.name == reason_name; });
  if (reason == std::end(kReasons)) {
    return Error("InvalidArgsException", "The revocation reason " + reason_name + " is not valid.");
  }
  if (serial.empty() || serial.size() > 40 ||
      serial.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Error("InvalidArgsException", "The certificate serial must be hexadecimal.");
  }
  if (serial.size() % 2 == 1) serial.insert(serial.begin(), '0');
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json ca, LoadCa(*txn, ctx, ca_arn));
  const std::string status = ca.value("Status", "");
  if (status != "ACTIVE" && status != "DISABLED") {
    return Error("InvalidStateException", "The certificate authority " + ca_arn + " is " + status +
                                              " and cannot revoke certificates.");
  }
  // Serials are stored as issued: 32 hex digits, possibly with leading zeros.
  std::string stored = serial;
  while (stored.size() < 32) stored.insert(0, "00");
  const std::string cert_key = CertKey(ctx, id, stored);
  ASSIGN_OR_RETURN(std::optional<Json> cert, iam::Load(*txn, cert_key));
  if (!cert) {
    return Error("InvalidRequestException", "The certificate authority " + ca_arn +
                                                " issued no certificate with serial " +
                                                input.value("CertificateSerial", "") + ".");
  }
  if (cert->value("Template", "") == "RootCACertificate/V1") {
    return Error("InvalidRequestException", "You cannot revoke a root CA self-signed certificate.");
  }
  if (cert->contains("RevokedAt")) {
    return Error("RequestAlreadyProcessedException", "The certificate with serial " +
                                                         input.value("CertificateSerial", "") +
                                                         " has already been revoked.");
  }
  const int64_t now = iam::Now(ctx);
  (*cert)["RevokedAt"] = now;
  (*cert)["RevocationReason"] = reason_name;
  ca["Revoked"].push_back({{"Serial", stored}, {"At", now}, {"Reason", reason->code}});
  RETURN_IF_ERROR(PublishCrl(*ctx.env, *txn, CaKeyMaterialKey(ctx, id), ca, now));
  RETURN_IF_ERROR(iam::Save(*txn, cert_key, *cert));
  RETURN_IF_ERROR(iam::Save(*txn, CaKey(ctx, id), ca));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

std::optional<std::string> ReadPublishedCrl(const ServiceEnvironment& env,
                                            std::string_view object_path) {
  const size_t slash = object_path.find('/');
  if (env.pca_crl_dir.empty() || slash == std::string_view::npos ||
      !IsBucketName(object_path.substr(0, slash)) || !IsObjectPath(object_path.substr(slash + 1)) ||
      !object_path.ends_with(".crl")) {
    return std::nullopt;
  }
  std::ifstream in(env.pca_crl_dir + "/" + std::string(object_path), std::ios::binary);
  if (!in) return std::nullopt;
  std::string data;
  char buf[64 * 1024];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxCrlFile) return std::nullopt;
  }
  return data;
}

}  // namespace bulwark::acmpca
