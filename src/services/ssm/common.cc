// Parameter Store's shared pieces (common.h).
#include "services/ssm/common.h"

#include <cstdio>

#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/envelope.h"
#include "services/service_util.h"

namespace bulwark::ssm {
namespace {

constexpr size_t kMaxNameWithArn = 1011;

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '/';
}

bool ReservedPrefix(std::string_view segment) {
  const std::string lower = iam::Lower(segment.substr(0, 3));
  return lower == "aws" || lower == "ssm";
}

Json Context(std::string_view arn) { return Json{{"PARAMETER_ARN", arn}}; }

// KMS's answer as SSM gives it.
Status KmsFailure(const Status& kms) {
  if (kms.kind() == ErrorKind::kAccessDenied) {
    return Status(ErrorKind::kAccessDenied,
                  "The ciphertext refers to a customer master key that does not exist, does not "
                  "exist in this region, or you are not allowed to access.");
  }
  if (kms.kind() != ErrorKind::kService) return kms;
  if (kms.code() == "InvalidCiphertextException") {
    return Status(ErrorKind::kInternalFailure, "a stored SecureString does not decrypt");
  }
  return Error("InvalidKeyId", kms.message().empty() ? kms.code() : kms.message());
}

std::string Stamp(int64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%0*lld", width, static_cast<long long>(v));
  return buf;
}

}  // namespace

Status Error(std::string code, std::string message) {
  return Status::Service(std::move(code), 400, std::move(message));
}
Status Validation(std::string message) { return Error("ValidationException", std::move(message)); }
Status ParameterNotFound(std::string_view name) {
  return Error("ParameterNotFound", "Parameter " + std::string(name) + " not found.");
}
Status VersionNotFound(std::string_view name, int64_t version) {
  return Error("ParameterVersionNotFound",
               "Systems Manager could not find version " + std::to_string(version) + " of " +
                   std::string(name) + ". Verify the version and try again.");
}

Result<std::string> CanonicalName(const RequestContext& ctx, std::string_view name) {
  const std::string arn_prefix =
      "arn:aws:ssm:" + ctx.region + ":" + ctx.caller.account_id + ":parameter";
  std::string n(name);
  if (name.starts_with("arn:")) {
    if (!name.starts_with(arn_prefix + "/")) return ParameterNotFound(name);
    n = std::string(name.substr(arn_prefix.size()));
    // parameter/a is "a"; parameter/a/b is "/a/b".
    if (n.find('/', 1) == std::string::npos) n = n.substr(1);
  }
  const bool path = n.starts_with("/");
  std::string_view bare = path ? std::string_view(n).substr(1) : std::string_view(n);
  if (bare.empty() || n.size() + arn_prefix.size() + 1 > kMaxNameWithArn) {
    return Validation("Parameter name: must be 1 to " +
                      std::to_string(kMaxNameWithArn - arn_prefix.size() - 1) +
                      " characters long.");
  }
  for (char c : n) {
    if (!NameChar(c)) {
      return Validation(
          "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If "
          "formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path "
          "can be formed as a mix of letters, numbers and the following 3 symbols .-_");
    }
  }
  if (!path && bare.find('/') != std::string_view::npos) {
    return Validation(
        "Parameter name: a name with a slash must be fully qualified, starting "
        "with a slash (\"/" +
        n + "\").");
  }
  if (bare.find("//") != std::string_view::npos || bare.ends_with("/")) {
    return Validation("Parameter name: sub-paths can't be empty.");
  }
  if (ReservedPrefix(bare)) {
    return Validation(
        "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
  }
  size_t levels = 1;
  for (char c : bare) levels += c == '/';
  if (levels > kMaxHierarchyLevels) {
    return Error("HierarchyLevelLimitExceededException",
                 "A hierarchy can have a maximum of 15 levels. For more information, see "
                 "Requirements and constraints for parameter names in the AWS Systems Manager "
                 "User Guide.");
  }
  // "/a" is the root-level "a".
  if (path && bare.find('/') == std::string_view::npos) return std::string(bare);
  return n;
}

std::string ParameterArn(const RequestContext& ctx, std::string_view canonical) {
  return "arn:aws:ssm:" + ctx.region + ":" + ctx.caller.account_id + ":parameter" +
         PathName(canonical);
}

std::string PathName(std::string_view canonical) {
  return canonical.starts_with("/") ? std::string(canonical) : "/" + std::string(canonical);
}

std::string ParamPrefix(const RequestContext& ctx) {
  return "ssm/" + ctx.caller.account_id + "/" + ctx.region + "/param/";
}

std::string ParamKey(const RequestContext& ctx, std::string_view canonical) {
  return ParamPrefix(ctx) + std::string(canonical);
}

std::string HistoryPrefix(const RequestContext& ctx, std::string_view canonical) {
  return "ssm/" + ctx.caller.account_id + "/" + ctx.region + "/history/" + std::string(canonical) +
         "/";
}

std::string HistoryKey(const RequestContext& ctx, std::string_view canonical, int64_t version) {
  return HistoryPrefix(ctx, canonical) + Stamp(version, 10);
}

std::string DueKey(int64_t when, std::string_view account, std::string_view region,
                   std::string_view canonical) {
  return bulwark::DueKey(kDuePrefix, when, account, region, canonical);
}

Result<std::optional<Json>> LoadParameter(storage::Transaction& txn, const RequestContext& ctx,
                                          std::string_view canonical) {
  return iam::Load(txn, ParamKey(ctx, canonical));
}

Result<std::string> EncryptValue(RequestContext& ctx, std::string_view arn, std::string_view key_id,
                                 std::string_view value, std::string* key_arn) {
  Result<std::string> blob =
      kms::EncryptFor(ctx, kService, key_id, kManagedAlias, value, Context(arn), key_arn);
  if (!blob.ok()) return KmsFailure(blob.status());
  return crypto::Base64Encode(*blob);
}

Result<SecretBytes> DecryptValue(RequestContext& ctx, std::string_view arn, std::string_view blob) {
  std::optional<std::string> raw = crypto::Base64Decode(blob);
  if (!raw) return Status(ErrorKind::kInternalFailure, "a stored SecureString is corrupt");
  Result<SecretBytes> plain = kms::DecryptFor(ctx, kService, *raw, Context(arn));
  if (!plain.ok()) return KmsFailure(plain.status());
  return std::move(plain).value();
}

Result<Json> ParameterOf(RequestContext& ctx, const Json& version, bool decrypt) {
  Json out = {{"Name", version.value("Name", "")},
              {"Type", version.value("Type", "")},
              {"Version", version.value("Version", int64_t{0})},
              {"LastModifiedDate", version.value("LastModifiedDate", int64_t{0})},
              {"ARN", version.value("ARN", "")},
              {"DataType", version.value("DataType", "text")}};
  if (version.value("Type", "") == "SecureString") {
    if (decrypt) {
      ASSIGN_OR_RETURN(SecretBytes value,
                       DecryptValue(ctx, version.value("ARN", ""), version.value("Blob", "")));
      out["Value"] = value.view();  // straight into the tree the pipeline wipes
    } else {
      out["Value"] = version.value("Blob", "");
    }
  } else {
    out["Value"] = version.value("Value", "");
  }
  return out;
}

Json LabelsOf(const Json& parameter, int64_t version) {
  Json labels = Json::array();
  auto it = parameter.find("Labels");
  if (it == parameter.end()) return labels;
  for (const auto& [label, v] : it->items()) {
    if (v == version) labels.push_back(label);
  }
  return labels;
}

Result<size_t> StartOf(const Json& input, size_t size) {
  if (!input.contains("NextToken")) return size_t{0};
  std::optional<size_t> start = OffsetOf(input.value("NextToken", ""), size);
  if (!start) return Error("InvalidNextToken", "The specified token isn't valid.");
  return *start;
}

Json InlinePolicies(const Json& version) {
  Json out = Json::array();
  if (!version.contains("Policies")) return out;
  Json policies = Json::parse(version.value("Policies", ""), nullptr, /*allow_exceptions=*/false);
  for (const Json& p : policies.is_array() ? policies : Json::array()) {
    out.push_back({{"PolicyText", p.dump()},
                   {"PolicyType", p.value("Type", "")},
                   {"PolicyStatus", "Pending"}});
  }
  return out;
}

bool Flag(const Json& input, std::string_view member) {
  auto it = input.find(member);
  return it != input.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace bulwark::ssm
