// AWS Private CA: the operation table, the authorization hook and maintenance (CRLs
// republished when due; CAs whose restore window ended destroyed, key material and
// certificates with them). The model's other operations (audit reports, permissions,
// policies) answer as unsupported. Actions and condition keys from the Service
// Authorization Reference.
#include "services/acmpca/acmpca.h"
#include "services/acmpca/handlers.h"
#include "services/iam/common.h"

namespace bulwark::acmpca {
namespace {

constexpr std::string_view kCa = "{CertificateAuthorityArn}";
constexpr std::string_view kRequestTagKeys[] = {"aws:RequestTag/${TagKey}", "aws:TagKeys"};
constexpr std::string_view kResourceTagKeys[] = {"aws:ResourceTag/${TagKey}"};
constexpr std::string_view kTagKeys[] = {"aws:RequestTag/${TagKey}", "aws:TagKeys",
                                         "aws:ResourceTag/${TagKey}"};
constexpr std::string_view kIssueKeys[] = {"acm-pca:TemplateArn", "aws:ResourceTag/${TagKey}"};

constexpr OperationSpec kOperations[] = {
    // authorities.cc
    {"CreateCertificateAuthority", "acm-pca:CreateCertificateAuthority", "*", kRequestTagKeys,
     Mutates::kYes, &CreateCertificateAuthority},
    {"DescribeCertificateAuthority", "acm-pca:DescribeCertificateAuthority", kCa, kResourceTagKeys,
     Mutates::kNo, &DescribeCertificateAuthority},
    {"ListCertificateAuthorities",
     "acm-pca:ListCertificateAuthorities",
     "*",
     {},
     Mutates::kNo,
     &ListCertificateAuthorities},
    {"GetCertificateAuthorityCsr", "acm-pca:GetCertificateAuthorityCsr", kCa, kResourceTagKeys,
     Mutates::kNo, &GetCertificateAuthorityCsr},
    {"ImportCertificateAuthorityCertificate", "acm-pca:ImportCertificateAuthorityCertificate", kCa,
     kResourceTagKeys, Mutates::kYes, &ImportCertificateAuthorityCertificate},
    {"GetCertificateAuthorityCertificate", "acm-pca:GetCertificateAuthorityCertificate", kCa,
     kResourceTagKeys, Mutates::kNo, &GetCertificateAuthorityCertificate},
    {"UpdateCertificateAuthority", "acm-pca:UpdateCertificateAuthority", kCa, kResourceTagKeys,
     Mutates::kYes, &UpdateCertificateAuthority},
    {"DeleteCertificateAuthority", "acm-pca:DeleteCertificateAuthority", kCa, kResourceTagKeys,
     Mutates::kYes, &DeleteCertificateAuthority},
    {"RestoreCertificateAuthority", "acm-pca:RestoreCertificateAuthority", kCa, kResourceTagKeys,
     Mutates::kYes, &RestoreCertificateAuthority},
    {"TagCertificateAuthority", "acm-pca:TagCertificateAuthority", kCa, kTagKeys, Mutates::kYes,
     &TagCertificateAuthority},
    {"UntagCertificateAuthority", "acm-pca:UntagCertificateAuthority", kCa, kTagKeys, Mutates::kYes,
     &UntagCertificateAuthority},
    {"ListTags", "acm-pca:ListTags", kCa, kResourceTagKeys, Mutates::kNo, &ListTags},
    // certificates.cc
    {"IssueCertificate", "acm-pca:IssueCertificate", kCa, kIssueKeys, Mutates::kYes,
     &IssueCertificate},
    {"GetCertificate", "acm-pca:GetCertificate", kCa, kResourceTagKeys, Mutates::kNo,
     &GetCertificate},
    // crl.cc
    {"RevokeCertificate", "acm-pca:RevokeCertificate", kCa, kResourceTagKeys, Mutates::kYes,
     &RevokeCertificate},
};

Status CompleteAuthorization(RequestContext& ctx, const OperationSpec& op, const Json& input,
                             AuthorizationRequest* authz) {
  policy::RequestContext& request = authz->context;
  std::vector<std::string> tag_keys;
  for (const Json& tag : input.value("Tags", Json::array())) {
    if (op.name == "UntagCertificateAuthority") {
      tag_keys.push_back(tag.value("Key", ""));
      continue;
    }
    request.SetKey("aws:RequestTag/" + tag.value("Key", ""), tag.value("Value", ""));
    tag_keys.push_back(tag.value("Key", ""));
  }
  if (!tag_keys.empty()) request.SetMultiValuedKey("aws:TagKeys", std::move(tag_keys));
  if (op.name == "IssueCertificate") {
    request.SetKey(
        "acm-pca:TemplateArn",
        input.value("TemplateArn", "arn:aws:acm-pca:::template/EndEntityCertificate/V1"));
  }
  if (op.resource_pattern == "*") return Status::Ok();
  // The CA's tags, when it exists (a malformed ARN is the handler's to answer).
  if (!CaIdOf(ctx, input.value("CertificateAuthorityArn", "")).ok()) return Status::Ok();
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  auto ca = LoadCa(*txn, ctx, input.value("CertificateAuthorityArn", ""));
  if (!ca.ok()) return Status::Ok();
  for (const Json& tag : ca->value("Tags", Json::array())) {
    request.SetKey("aws:ResourceTag/" + tag.value("Key", ""), tag.value("Value", ""));
  }
  return Status::Ok();
}

constexpr ServiceSpec kSpec{"acm-pca", kOperations, &CompleteAuthorization,
                            /*resource_policy_binds_root=*/false, &Maintain};

}  // namespace

// CRLs due again are published; CAs deleted longer ago than their restore window are
// gone, with their key material and every certificate they issued.
Status Maintain(ServiceEnvironment& env) {
  ASSIGN_OR_RETURN(auto txn, env.store->Begin());
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan("acm-pca/ca/"));
  const int64_t now = env.now_unix();
  bool changed = false;
  for (const storage::KeyValue& row : rows) {
    Json ca = Json::parse(row.value, nullptr, /*allow_exceptions=*/false);
    if (!ca.is_object()) continue;
    // acm-pca/ca/ACCOUNT/REGION/ID → the same suffix under key/ and cert/.
    const std::string suffix = row.key.substr(std::string_view("acm-pca/ca/").size());
    if (CrlDue(ca, now)) {
      RETURN_IF_ERROR(PublishCrl(env, *txn, "acm-pca/key/" + suffix, ca, now));
      RETURN_IF_ERROR(iam::Save(*txn, row.key, ca));
      changed = true;
      continue;
    }
    if (ca.value("Status", "") != "DELETED" || ca.value("RestorableUntil", int64_t{0}) > now) {
      continue;
    }
    RETURN_IF_ERROR(txn->Delete(row.key));
    RETURN_IF_ERROR(txn->Delete("acm-pca/key/" + suffix));
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> certs,
                     txn->Scan("acm-pca/cert/" + suffix + "/"));
    for (const storage::KeyValue& cert : certs) RETURN_IF_ERROR(txn->Delete(cert.key));
    changed = true;
  }
  if (!changed) return Status::Ok();
  return txn->Commit();
}

const ServiceSpec& Service() { return kSpec; }

}  // namespace bulwark::acmpca
