// AWS Private CA: certificate authorities — create (the key pair generated here and sealed
// at rest, the CSR made from the configuration), describe, list, the CSR, importing the
// CA's certificate (a root's self-signed one, a subordinate's with its chain verified),
// update, delete with a restore window, restore, tags.
#include <algorithm>

#include "auth/ids.h"
#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "crypto/x509.h"
#include "services/acmpca/handlers.h"
#include "services/iam/common.h"
#include "services/service_util.h"
#include "storage/sealer.h"

namespace bulwark::acmpca {
namespace {

constexpr size_t kMaxAuthorities = 200;  // per account and Region
constexpr size_t kMaxTags = 50;
constexpr int64_t kIdempotencySeconds = 5 * 60;

// ASN1Subject's members in the order they go into the name, with OpenSSL's short names.
constexpr std::pair<std::string_view, std::string_view> kSubjectFields[] = {
    {"Country", "C"},
    {"Organization", "O"},
    {"OrganizationalUnit", "OU"},
    {"DistinguishedNameQualifier", "dnQualifier"},
    {"State", "ST"},
    {"CommonName", "CN"},
    {"SerialNumber", "serialNumber"},
    {"Locality", "L"},
    {"Title", "title"},
    {"Surname", "SN"},
    {"GivenName", "GN"},
    {"Initials", "initials"},
    {"Pseudonym", "pseudonym"},
    {"GenerationQualifier", "generationQualifier"},
};

std::string ArnOf(const RequestContext& ctx, std::string_view id) {
  return "arn:aws:acm-pca:" + ctx.region + ":" + ctx.caller.account_id + ":certificate-authority/" +
         std::string(id);
}

std::optional<crypto::KeySpec> KeySpecOf(std::string_view algorithm) {
  if (algorithm == "RSA_2048") return crypto::KeySpec::kRsa2048;
  if (algorithm == "RSA_3072") return crypto::KeySpec::kRsa3072;
  if (algorithm == "RSA_4096") return crypto::KeySpec::kRsa4096;
  if (algorithm == "EC_prime256v1") return crypto::KeySpec::kEccNistP256;
  if (algorithm == "EC_secp384r1") return crypto::KeySpec::kEccNistP384;
  if (algorithm == "EC_secp521r1") return crypto::KeySpec::kEccNistP521;
  return std::nullopt;
}

Result<crypto::DistinguishedName> SubjectOf(const Json& subject) {
  crypto::DistinguishedName dn;
  for (const auto& [member, field] : kSubjectFields) {
    if (subject.contains(member) && subject[member].is_string()) {
      dn.emplace_back(std::string(field), subject[member].get<std::string>());
    }
  }
  for (const Json& attr : subject.value("CustomAttributes", Json::array())) {
    dn.emplace_back(attr.value("ObjectIdentifier", ""), attr.value("Value", ""));
  }
  if (dn.empty()) return Error("InvalidArgsException", "The subject must not be empty.");
  return dn;
}

Status CheckTags(const Json& tags) {
  for (const Json& tag : tags) {
    if (tag.value("Key", "").starts_with("aws:")) {
      return Error("InvalidTagException", "Tag keys can't begin with aws: (reserved for AWS use).");
    }
  }
  return Status::Ok();
}

// The CA as DescribeCertificateAuthority and ListCertificateAuthorities answer.
Json View(const Json& ca) {
  Json out = Json::object();
  for (const char* member :
       {"Arn", "OwnerAccount", "CreatedAt", "LastStateChangeAt", "Type", "Serial", "Status",
        "NotBefore", "NotAfter", "CertificateAuthorityConfiguration", "RevocationConfiguration",
        "RestorableUntil", "KeyStorageSecurityStandard", "UsageMode"}) {
    if (ca.contains(member)) out[member] = ca[member];
  }
  return out;
}

Status InvalidState(const Json& ca) {
  return Error("InvalidStateException", "The certificate authority " + ca.value("Arn", "") +
                                            " is in the " + ca.value("Status", "") +
                                            " state, which does not allow this operation.");
}

Result<Json> Change(RequestContext& ctx, const Json& input,
                    const std::function<Status(Json& ca, storage::Transaction& txn,
                                               const std::string& id)>& change) {
  const std::string arn = input.value("CertificateAuthorityArn", "");
  ASSIGN_OR_RETURN(std::string id, CaIdOf(ctx, arn));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json ca, LoadCa(*txn, ctx, arn));
  RETURN_IF_ERROR(change(ca, *txn, id));
  RETURN_IF_ERROR(iam::Save(*txn, CaKey(ctx, id), ca));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

// One page of `items` as `member`, from the input's NextToken, at most MaxResults (or
// `default_max`) long, with the NextToken of the rest.
Result<Json> Page(const std::vector<Json>& items, const Json& input, const char* member,
                  size_t default_max) {
  size_t start = 0;
  if (input.contains("NextToken")) {
    std::optional<size_t> at = OffsetOf(input.value("NextToken", ""), items.size());
    if (!at) return Error("InvalidNextTokenException", "The token specified is invalid.");
    start = *at;
  }
  const size_t max = input.value("MaxResults", default_max);
  Json page = Json::array();
  size_t i = start;
  for (; i < items.size() && page.size() < max; ++i) page.push_back(items[i]);
  Json out = {{member, page}};
  if (i < items.size()) out["NextToken"] = OffsetToken(i);
  return out;
}

}  // namespace

Status Error(std::string code, std::string message) {
  return Status::Service(std::move(code), 400, std::move(message));
}

Result<std::string> CaIdOf(const RequestContext& ctx, std::string_view arn) {
  constexpr std::string_view kMarker = ":certificate-authority/";
  const size_t at = arn.find(kMarker);
  if (!arn.starts_with("arn:aws:acm-pca:") || at == std::string_view::npos) {
    return Error("InvalidArnException", "The ARN " + std::string(arn) + " is not valid.");
  }
  std::string_view id = arn.substr(at + kMarker.size());
  if (id.size() != 36 || id.find_first_not_of("0123456789abcdef-") != std::string_view::npos) {
    return Error("InvalidArnException", "The ARN " + std::string(arn) + " is not valid.");
  }
  if (arn != ArnOf(ctx, id)) {  // another account's or Region's
    return Error("ResourceNotFoundException",
                 "Could not find certificate authority with ARN " + std::string(arn) + ".");
  }
  return std::string(id);
}

std::string CaKey(const RequestContext& ctx, std::string_view id) {
  return "acm-pca/ca/" + ctx.caller.account_id + "/" + ctx.region + "/" + std::string(id);
}

std::string CaKeyMaterialKey(const RequestContext& ctx, std::string_view id) {
  return "acm-pca/key/" + ctx.caller.account_id + "/" + ctx.region + "/" + std::string(id);
}

std::string CertKey(const RequestContext& ctx, std::string_view id, std::string_view serial) {
  return "acm-pca/cert/" + ctx.caller.account_id + "/" + ctx.region + "/" + std::string(id) + "/" +
         std::string(serial);
}

Result<Json> LoadCa(storage::Transaction& txn, const RequestContext& ctx, std::string_view arn) {
  ASSIGN_OR_RETURN(std::string id, CaIdOf(ctx, arn));
  ASSIGN_OR_RETURN(std::optional<Json> ca, iam::Load(txn, CaKey(ctx, id)));
  if (!ca || (ca->value("Status", "") == "DELETED" &&
              ca->value("RestorableUntil", int64_t{0}) <= iam::Now(ctx))) {
    return Error("ResourceNotFoundException",
                 "Could not find certificate authority with ARN " + std::string(arn) + ".");
  }
  return *std::move(ca);
}

std::string CaChain(const Json& ca) {
  return ca.value("Certificate", "") + ca.value("CertificateChain", "");
}

Result<Json> CreateCertificateAuthority(RequestContext& ctx, const Json& input) {
  const Json config = input["CertificateAuthorityConfiguration"];
  const std::string key_algorithm = config.value("KeyAlgorithm", "");
  const std::optional<crypto::KeySpec> spec = KeySpecOf(key_algorithm);
  if (!spec) {
    return Error("InvalidArgsException",
                 "The key algorithm " + key_algorithm + " is not supported by Bulwark.");
  }
  const auto alg = crypto::CertSigningAlgorithmFromName(config.value("SigningAlgorithm", ""));
  if (!alg || !crypto::CertSigningAlgorithmFits(*alg, *spec)) {
    return Error("InvalidArgsException",
                 "The signing algorithm " + config.value("SigningAlgorithm", "") +
                     " does not fit the key algorithm " + key_algorithm + ".");
  }
  ASSIGN_OR_RETURN(crypto::DistinguishedName subject,
                   SubjectOf(config.value("Subject", Json::object())));
  RETURN_IF_ERROR(CheckRevocationConfiguration(input));
  const Json tags = input.value("Tags", Json::array());
  RETURN_IF_ERROR(CheckTags(tags));
  const int64_t now = iam::Now(ctx);

  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  const std::string token = input.value("IdempotencyToken", "");
  const std::string token_key =
      "acm-pca/token/" + ctx.caller.account_id + "/" + ctx.region + "/" + crypto::Sha256Hex(token);
  if (!token.empty()) {
    ASSIGN_OR_RETURN(std::optional<Json> seen, iam::Load(*txn, token_key));
    if (seen && seen->value("At", int64_t{0}) + kIdempotencySeconds > now) {
      return Json{{"CertificateAuthorityArn", seen->value("Arn", "")}};
    }
  }
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> existing, txn->Scan(CaKey(ctx, "")));
  if (existing.size() >= kMaxAuthorities) {
    return Error("LimitExceededException", "You have reached the limit of " +
                                               std::to_string(kMaxAuthorities) +
                                               " certificate authorities in this Region.");
  }
  ASSIGN_OR_RETURN(crypto::KeyPair key, crypto::GenerateKeyPair(*spec));
  auto csr = crypto::MakeCsr(key.private_key, subject, *alg);
  if (!csr.ok()) {
    // A subject OpenSSL refuses (an attribute too long for its type, a bad OID).
    if (csr.status().kind() == ErrorKind::kValidation) {
      return Error("InvalidArgsException", csr.status().message());
    }
    return csr.status();
  }
  const std::string id = ids::NewUuid();
  const std::string material_key = CaKeyMaterialKey(ctx, id);
  ASSIGN_OR_RETURN(std::string sealed, ctx.env->sealer->Seal(material_key, key.private_key.view()));
  Json ca = {{"Arn", ArnOf(ctx, id)},
             {"OwnerAccount", ctx.caller.account_id},
             {"CreatedAt", now},
             {"LastStateChangeAt", now},
             {"Type", input.value("CertificateAuthorityType", "")},
             {"Status", "PENDING_CERTIFICATE"},
             {"CertificateAuthorityConfiguration", config},
             {"KeyStorageSecurityStandard",
              input.value("KeyStorageSecurityStandard", "FIPS_140_2_LEVEL_3_OR_HIGHER")},
             {"UsageMode", input.value("UsageMode", "GENERAL_PURPOSE")},
             {"Tags", UpsertTags(Json::array(), tags)},
             {"Csr", *csr},
             {"PublicKey", crypto::Base64Encode(key.public_key)}};
  if (input.contains("RevocationConfiguration")) {
    ca["RevocationConfiguration"] = input["RevocationConfiguration"];
  }
  if (ca["Tags"].size() > kMaxTags) {
    return Error("TooManyTagsException", "A certificate authority can have at most 50 tags.");
  }
  RETURN_IF_ERROR(txn->Put(material_key, sealed));
  RETURN_IF_ERROR(iam::Save(*txn, CaKey(ctx, id), ca));
  if (!token.empty()) {
    RETURN_IF_ERROR(iam::Save(*txn, token_key, Json{{"Arn", ca["Arn"]}, {"At", now}}));
  }
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"CertificateAuthorityArn", ca["Arn"]}};
}

Result<Json> DescribeCertificateAuthority(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json ca, LoadCa(*txn, ctx, input.value("CertificateAuthorityArn", "")));
  return Json{{"CertificateAuthority", View(ca)}};
}

Result<Json> ListCertificateAuthorities(RequestContext& ctx, const Json& input) {
  if (input.value("ResourceOwner", "SELF") != "SELF") {
    return Error("InvalidRequestException",
                 "Bulwark has no Resource Access Manager: only ResourceOwner SELF is listed.");
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(CaKey(ctx, "")));
  std::vector<Json> all;
  const int64_t now = iam::Now(ctx);
  for (const storage::KeyValue& row : rows) {
    Json ca = Json::parse(row.value);
    if (ca.value("Status", "") == "DELETED" && ca.value("RestorableUntil", int64_t{0}) <= now) {
      continue;
    }
    all.push_back(View(ca));
  }
  std::stable_sort(all.begin(), all.end(), [](const Json& a, const Json& b) {
    return a.value("CreatedAt", int64_t{0}) < b.value("CreatedAt", int64_t{0});
  });
  return Page(all, input, "CertificateAuthorities", 1000);
}

Result<Json> GetCertificateAuthorityCsr(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json ca, LoadCa(*txn, ctx, input.value("CertificateAuthorityArn", "")));
  if (ca.value("Status", "") == "DELETED") return InvalidState(ca);
  return Json{{"Csr", ca.value("Csr", "")}};
}

Result<Json> ImportCertificateAuthorityCertificate(RequestContext& ctx, const Json& input) {
  const std::string pem = BlobOf(input, "Certificate");
  const std::string chain = BlobOf(input, "CertificateChain");
  return Change(
      ctx, input, [&](Json& ca, storage::Transaction& txn, const std::string& id) -> Status {
        if (ca.value("Status", "") == "DELETED") return InvalidState(ca);
        auto cert = crypto::ParseCertificate(pem);
        if (!cert.ok()) return Error("MalformedCertificateException", cert.status().message());
        if (crypto::Base64Encode(cert->public_key) != ca.value("PublicKey", "")) {
          return Error("CertificateMismatchException",
                       "The certificate's public key does not match the certificate authority's "
                       "key.");
        }
        if (!cert->ca) {
          return Error("InvalidRequestException",
                       "The certificate is not a CA certificate (basicConstraints CA:TRUE).");
        }
        const int64_t now = iam::Now(ctx);
        std::string chain_pem;
        if (ca.value("Type", "") == "ROOT") {
          if (!cert->self_signed) {
            return Error("InvalidRequestException",
                         "A root certificate authority's certificate must be self-signed.");
          }
          if (!chain.empty()) {
            return Error("InvalidRequestException",
                         "A root certificate authority's certificate takes no chain.");
          }
        } else {
          if (chain.empty()) {
            return Error("InvalidRequestException",
                         "A subordinate certificate authority's certificate needs its chain.");
          }
          auto certs = crypto::SplitCertificateChain(chain);
          if (!certs.ok()) return Error("MalformedCertificateException", certs.status().message());
          std::string intermediates;
          for (size_t i = 0; i + 1 < certs->size(); ++i) intermediates += (*certs)[i];
          Status verified = crypto::VerifyCertificateChain(pem, intermediates, certs->back(), now);
          if (!verified.ok()) return Error("InvalidRequestException", verified.message());
          for (const std::string& c : *certs) chain_pem += c;
        }
        ASSIGN_OR_RETURN(auto own, crypto::SplitCertificateChain(pem));
        ca["Certificate"] = own.front();
        if (chain_pem.empty()) {
          ca.erase("CertificateChain");
        } else {
          ca["CertificateChain"] = chain_pem;
        }
        ca["NotBefore"] = cert->not_before;
        ca["NotAfter"] = cert->not_after;
        ca["Serial"] = cert->serial_hex;
        if (ca.value("Status", "") == "PENDING_CERTIFICATE" ||
            ca.value("Status", "") == "EXPIRED") {
          ca["Status"] = "ACTIVE";
          ca["LastStateChangeAt"] = now;
        }
        return PublishCrl(*ctx.env, txn, CaKeyMaterialKey(ctx, id), ca, now);
      });
}

Result<Json> GetCertificateAuthorityCertificate(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json ca, LoadCa(*txn, ctx, input.value("CertificateAuthorityArn", "")));
  if (!ca.contains("Certificate") || ca.value("Status", "") == "DELETED") return InvalidState(ca);
  Json out = {{"Certificate", ca["Certificate"]}};
  if (ca.contains("CertificateChain")) out["CertificateChain"] = ca["CertificateChain"];
  return out;
}

Result<Json> UpdateCertificateAuthority(RequestContext& ctx, const Json& input) {
  RETURN_IF_ERROR(CheckRevocationConfiguration(input));
  return Change(ctx, input,
                [&](Json& ca, storage::Transaction& txn, const std::string& id) -> Status {
                  const std::string status = ca.value("Status", "");
                  if (status == "DELETED") return InvalidState(ca);
                  if (input.contains("Status")) {
                    const std::string wanted = input.value("Status", "");
                    if (wanted != "ACTIVE" && wanted != "DISABLED") {
                      return Error("InvalidArgsException",
                                   "The status can be changed to ACTIVE or DISABLED only.");
                    }
                    if (!ca.contains("Certificate")) return InvalidState(ca);
                    if (wanted != status) {
                      ca["Status"] = wanted;
                      ca["LastStateChangeAt"] = iam::Now(ctx);
                    }
                  }
                  if (input.contains("RevocationConfiguration")) {
                    ca["RevocationConfiguration"] = input["RevocationConfiguration"];
                    return PublishCrl(*ctx.env, txn, CaKeyMaterialKey(ctx, id), ca, iam::Now(ctx));
                  }
                  return Status::Ok();
                });
}

Result<Json> DeleteCertificateAuthority(RequestContext& ctx, const Json& input) {
  return Change(ctx, input, [&](Json& ca, storage::Transaction&, const std::string&) -> Status {
    const std::string status = ca.value("Status", "");
    if (status == "ACTIVE" || status == "DELETED") return InvalidState(ca);
    const int64_t now = iam::Now(ctx);
    ca["PreviousStatus"] = status;
    ca["Status"] = "DELETED";
    ca["LastStateChangeAt"] = now;
    ca["RestorableUntil"] = now + input.value("PermanentDeletionTimeInDays", 30) * 86400;
    return Status::Ok();
  });
}

Result<Json> RestoreCertificateAuthority(RequestContext& ctx, const Json& input) {
  return Change(ctx, input, [&](Json& ca, storage::Transaction&, const std::string&) -> Status {
    if (ca.value("Status", "") != "DELETED") return InvalidState(ca);
    // An activated CA comes back disabled; one never activated, pending its certificate.
    ca["Status"] = ca.contains("Certificate") ? "DISABLED" : "PENDING_CERTIFICATE";
    ca["LastStateChangeAt"] = iam::Now(ctx);
    ca.erase("RestorableUntil");
    ca.erase("PreviousStatus");
    return Status::Ok();
  });
}

Result<Json> TagCertificateAuthority(RequestContext& ctx, const Json& input) {
  const Json tags = input.value("Tags", Json::array());
  RETURN_IF_ERROR(CheckTags(tags));
  return Change(ctx, input, [&](Json& ca, storage::Transaction&, const std::string&) -> Status {
    Json merged = UpsertTags(ca.value("Tags", Json::array()), tags);
    if (merged.size() > kMaxTags) {
      return Error("TooManyTagsException", "A certificate authority can have at most 50 tags.");
    }
    ca["Tags"] = std::move(merged);
    return Status::Ok();
  });
}

Result<Json> UntagCertificateAuthority(RequestContext& ctx, const Json& input) {
  const Json tags = input.value("Tags", Json::array());
  return Change(ctx, input, [&](Json& ca, storage::Transaction&, const std::string&) -> Status {
    Json kept = Json::array();
    for (const Json& tag : ca.value("Tags", Json::array())) {
      const bool removed = std::any_of(tags.begin(), tags.end(), [&](const Json& t) {
        return t.value("Key", "") == tag.value("Key", "") &&
               (!t.contains("Value") || t["Value"] == tag.value("Value", ""));
      });
      if (!removed) kept.push_back(tag);
    }
    ca["Tags"] = std::move(kept);
    return Status::Ok();
  });
}

Result<Json> ListTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json ca, LoadCa(*txn, ctx, input.value("CertificateAuthorityArn", "")));
  const Json tags = ca.value("Tags", Json::array());
  return Page(std::vector<Json>(tags.begin(), tags.end()), input, "Tags", 50);
}

}  // namespace bulwark::acmpca
