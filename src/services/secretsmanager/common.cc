// Secrets Manager's shared pieces (common.h).
#include "services/secretsmanager/common.h"

#include <algorithm>
#include <cstdio>

#include "auth/ids.h"
#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/envelope.h"
#include "services/service_util.h"

namespace bulwark::secretsmanager {
namespace {

constexpr std::string_view kSuffixAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr size_t kSuffixLength = 6;

Status ServiceError(std::string code, std::string message) {
  return Status::Service(std::move(code), 400, std::move(message));
}

Json EncryptionContext(const Json& secret, std::string_view version_id) {
  return Json{{"SecretARN", secret.value("ARN", "")}, {"SecretVersionId", version_id}};
}

std::string Aad(const Json& secret, std::string_view version_id) {
  std::string aad = secret.value("ARN", "");
  aad.push_back('\n');
  aad.append(version_id);
  return aad;
}

// What KMS answered, as Secrets Manager reports it: the caller's denial as AWS words
// it, anything else as the failure of the encryption or decryption.
Status KmsFailure(const Status& kms, bool encrypting) {
  if (kms.kind() == ErrorKind::kAccessDenied) {
    return Status(ErrorKind::kAccessDenied, "Access to KMS is not allowed");
  }
  if (kms.kind() != ErrorKind::kService) return kms;
  if (encrypting) {
    return ServiceError("EncryptionFailure",
                        "Secrets Manager can't encrypt the protected secret text using the "
                        "provided KMS key. Check that the KMS key is available, enabled, and not "
                        "in an invalid state. (" +
                            kms.code() + ": " + kms.message() + ")");
  }
  return ServiceError("DecryptionFailure",
                      "Secrets Manager can't decrypt the protected secret text using the "
                      "provided KMS key. (" +
                          kms.code() + (kms.message().empty() ? "" : ": ") + kms.message() + ")");
}

// The name a partial ARN's last part stands for when it ends in what looks like the
// random suffix ("-XXXXXX").
std::optional<std::string> WithoutSuffix(std::string_view resource) {
  if (resource.size() <= kSuffixLength + 1) return std::nullopt;
  if (resource[resource.size() - kSuffixLength - 1] != '-') return std::nullopt;
  return std::string(resource.substr(0, resource.size() - kSuffixLength - 1));
}

}  // namespace

Status NotFound(std::string message) {
  return ServiceError("ResourceNotFoundException", std::move(message));
}
Status InvalidRequest(std::string message) {
  return ServiceError("InvalidRequestException", std::move(message));
}
Status InvalidParameter(std::string message) {
  return ServiceError("InvalidParameterException", std::move(message));
}
Status ResourceExists(std::string message) {
  return ServiceError("ResourceExistsException", std::move(message));
}
Status LimitExceeded(std::string message) {
  return ServiceError("LimitExceededException", std::move(message));
}
Status MalformedPolicy(std::string message) {
  return ServiceError("MalformedPolicyDocumentException", std::move(message));
}
Status PublicPolicy() {
  return ServiceError("PublicPolicyException",
                      "The BlockPublicPolicy parameter is set to true, and the resource policy "
                      "did not prevent broad access to the secret.");
}
Status InvalidNextToken() {
  return ServiceError("InvalidNextTokenException", "The NextToken value is not valid.");
}
Status SecretNotFound() { return NotFound("Secrets Manager can't find the specified secret."); }
Status MarkedForDeletion() {
  return InvalidRequest(
      "You can't perform this operation on the secret because it was marked for deletion.");
}

std::string SecretPrefix(std::string_view account, std::string_view region) {
  std::string key = "secretsmanager/";
  key.append(account).push_back('/');
  key.append(region).append("/secret/");
  return key;
}

std::string SecretKey(std::string_view account, std::string_view region, std::string_view name) {
  return SecretPrefix(account, region).append(name);
}

std::string ValueKey(const Json& secret, std::string_view version_id) {
  std::string key = "secretsmanager/";
  key.append(secret.value("Account", "")).push_back('/');
  key.append(secret.value("Region", "")).append("/value/");
  key.append(secret.value("Name", "")).push_back('/');
  key.append(version_id);
  return key;
}

std::string DueKey(int64_t when, const Json& secret) {
  return bulwark::DueKey(kDuePrefix, when, secret.value("Account", ""), secret.value("Region", ""),
                         secret.value("Name", ""));
}

std::string RotationDueKey(int64_t when, const Json& secret) {
  return bulwark::DueKey(kRotationDuePrefix, when, secret.value("Account", ""),
                         secret.value("Region", ""), secret.value("Name", ""));
}

std::string NewSecretArn(const RequestContext& ctx, std::string_view name) {
  return "arn:aws:secretsmanager:" + ctx.region + ":" + ctx.caller.account_id +
         ":secret:" + std::string(name) + "-" +
         crypto::RandomString(kSuffixAlphabet, kSuffixLength);
}

Result<std::optional<Json>> FindSecret(storage::Transaction& txn, const RequestContext& ctx,
                                       std::string_view secret_id) {
  const std::string& account = ctx.caller.account_id;
  if (!secret_id.starts_with("arn:")) {
    return iam::Load(txn, SecretKey(account, ctx.region, secret_id));
  }
  // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[-XXXXXX]
  const std::string prefix = "arn:aws:secretsmanager:" + ctx.region + ":" + account + ":secret:";
  if (!secret_id.starts_with(prefix)) return std::optional<Json>();
  const std::string_view resource = secret_id.substr(prefix.size());
  auto matches = [&](const std::optional<Json>& secret, bool full) {
    if (!secret) return false;
    const std::string arn = secret->value("ARN", "");
    return full ? arn == secret_id
                : arn.size() == secret_id.size() + kSuffixLength + 1 && arn.starts_with(secret_id);
  };
  // A full ARN: its name is the resource without the suffix.
  if (std::optional<std::string> name = WithoutSuffix(resource)) {
    ASSIGN_OR_RETURN(std::optional<Json> secret,
                     iam::Load(txn, SecretKey(account, ctx.region, *name)));
    if (matches(secret, true)) return secret;
  }
  // A partial ARN: the resource is the whole name.
  ASSIGN_OR_RETURN(std::optional<Json> secret,
                   iam::Load(txn, SecretKey(account, ctx.region, resource)));
  if (matches(secret, false)) return secret;
  return std::optional<Json>();
}

Result<Json> LoadSecret(storage::Transaction& txn, const RequestContext& ctx,
                        std::string_view secret_id) {
  ASSIGN_OR_RETURN(std::optional<Json> secret, FindSecret(txn, ctx, secret_id));
  if (!secret) return SecretNotFound();
  return std::move(*secret);
}

Result<Json> LoadLiveSecret(storage::Transaction& txn, const RequestContext& ctx,
                            std::string_view secret_id) {
  ASSIGN_OR_RETURN(Json secret, LoadSecret(txn, ctx, secret_id));
  if (IsDeleted(secret)) return MarkedForDeletion();
  return secret;
}

Status SaveSecret(storage::Transaction& txn, const Json& secret) {
  return iam::Save(
      txn,
      SecretKey(secret.value("Account", ""), secret.value("Region", ""), secret.value("Name", "")),
      secret);
}

bool IsDeleted(const Json& secret) { return secret.contains("DeletedDate"); }

Json Brief(const Json& secret) {
  return Json{{"ARN", secret.value("ARN", "")}, {"Name", secret.value("Name", "")}};
}

const Json& VersionsOf(const Json& secret) {
  static const Json* const kEmpty = new Json(Json::object());
  auto it = secret.find("Versions");
  return it != secret.end() && it->is_object() ? *it : *kEmpty;
}

std::string VersionWithStage(const Json& secret, std::string_view stage) {
  auto versions = secret.find("Versions");
  if (versions == secret.end()) return "";
  for (const auto& [id, version] : versions->items()) {
    for (const Json& s : version.value("Stages", Json::array())) {
      if (s.is_string() && s.get_ref<const std::string&>() == stage) return id;
    }
  }
  return "";
}

void RemoveStage(Json& secret, std::string_view stage, std::string_view version_id) {
  auto versions = secret.find("Versions");
  if (versions == secret.end()) return;
  auto version = versions->find(version_id);
  if (version == versions->end()) return;
  Json& stages = (*version)["Stages"];
  Json kept = Json::array();
  for (Json& s : stages) {
    if (s != stage) kept.push_back(std::move(s));
  }
  stages = std::move(kept);
}

void MoveStage(Json& secret, std::string_view stage, std::string_view version_id) {
  const std::string from = VersionWithStage(secret, stage);
  if (from == version_id) return;
  if (!from.empty()) RemoveStage(secret, stage, from);
  if (stage == kCurrent && !from.empty()) {
    // The version that was current becomes the previous one.
    const std::string previous = VersionWithStage(secret, kPrevious);
    if (!previous.empty()) RemoveStage(secret, kPrevious, previous);
    secret["Versions"][from]["Stages"].push_back(kPrevious);
  }
  Json& stages = secret["Versions"][std::string(version_id)]["Stages"];
  if (stage == kCurrent) {
    // The new current version is no longer the previous one.
    Json kept = Json::array();
    for (Json& s : stages) {
      if (s != kPrevious) kept.push_back(std::move(s));
    }
    stages = std::move(kept);
  }
  stages.push_back(stage);
}

Json VersionIdsToStages(const Json& secret) {
  Json out = Json::object();
  for (const auto& [id, version] : VersionsOf(secret).items()) {
    const Json& stages = version["Stages"];
    if (!stages.empty()) out[id] = stages;
  }
  return out;
}

Status PruneVersions(storage::Transaction& txn, Json& secret, int64_t now) {
  Json& versions = secret["Versions"];
  if (versions.size() <= kMaxVersions) return Status::Ok();
  // Versions without labels, oldest first.
  std::vector<std::pair<int64_t, std::string>> deprecated;
  for (const auto& [id, version] : versions.items()) {
    if (version["Stages"].empty()) deprecated.emplace_back(version.value("Seq", int64_t{0}), id);
  }
  std::sort(deprecated.begin(), deprecated.end());
  constexpr int64_t kDay = 86400;
  for (const auto& [seq, id] : deprecated) {
    if (versions.size() <= kMaxVersions) break;
    if (now - versions[id].value("Created", now) < kDay) continue;
    RETURN_IF_ERROR(txn.Delete(ValueKey(secret, id)));
    versions.erase(id);
  }
  if (versions.size() > kMaxVersions) {
    return LimitExceeded(
        "You have exceeded the maximum number of versions for this secret. The limit is 100 "
        "versions per secret, and versions without staging labels are removed only when they "
        "are more than 24 hours old.");
  }
  return Status::Ok();
}

Result<std::optional<SecretValue>> ValueOf(const Json& input) {
  auto str = input.find("SecretString");
  auto bin = input.find("SecretBinary");
  const bool has_string = str != input.end() && !str->is_null();
  const bool has_binary = bin != input.end() && !bin->is_null();
  if (has_string && has_binary) {
    return InvalidParameter(
        "You can't specify both a binary secret value and a string secret value in the same "
        "secret.");
  }
  if (has_string && str->is_string()) {
    return std::optional<SecretValue>(
        SecretValue{SecretBytes::FromView(str->get_ref<const std::string&>()), false});
  }
  if (has_binary && bin->is_binary()) {
    const auto& bytes = bin->get_binary();
    return std::optional<SecretValue>(SecretValue{SecretBytes(bytes.data(), bytes.size()), true});
  }
  return std::optional<SecretValue>();
}

Result<std::string> SealValue(RequestContext& ctx, const Json& secret, std::string_view version_id,
                              const SecretValue& value, std::string* key_arn) {
  Result<kms::DataKey> key =
      kms::GenerateDataKeyFor(ctx, kService, secret.value("KmsKeyId", ""), kManagedAlias,
                              EncryptionContext(secret, version_id));
  if (!key.ok()) return KmsFailure(key.status(), /*encrypting=*/true);
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::AesGcmSeal(key->plaintext, value.bytes.view(), Aad(secret, version_id)));
  if (key_arn) *key_arn = key->key_arn;
  Json record = {{"DataKey", crypto::Base64Encode(key->ciphertext)},
                 {"Sealed", crypto::Base64Encode(sealed)},
                 {"Binary", value.binary}};
  return record.dump();
}

Result<SecretValue> OpenValue(RequestContext& ctx, const Json& secret, std::string_view version_id,
                              std::string_view stored) {
  Json record = Json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) {
    return Status(ErrorKind::kInternalFailure, "corrupt secret value record");
  }
  std::optional<std::string> data_key = crypto::Base64Decode(record.value("DataKey", ""));
  std::optional<std::string> sealed = crypto::Base64Decode(record.value("Sealed", ""));
  if (!data_key || !sealed)
    return Status(ErrorKind::kInternalFailure, "corrupt secret value record");
  Result<SecretBytes> key =
      kms::DecryptFor(ctx, kService, *data_key, EncryptionContext(secret, version_id));
  if (!key.ok()) return KmsFailure(key.status(), /*encrypting=*/false);
  Result<SecretBytes> plaintext = crypto::AesGcmOpen(*key, *sealed, Aad(secret, version_id));
  if (!plaintext.ok()) {
    return ServiceError("DecryptionFailure",
                        "Secrets Manager can't decrypt the protected secret text using the "
                        "provided KMS key.");
  }
  return SecretValue{std::move(*plaintext), record.value("Binary", false)};
}

Result<bool> SameValue(RequestContext& ctx, const Json& secret, std::string_view version_id,
                       std::string_view record, const SecretValue& value) {
  ASSIGN_OR_RETURN(SecretValue old, OpenValue(ctx, secret, version_id, record));
  return old.binary == value.binary && old.bytes.size() == value.bytes.size() &&
         crypto::ConstantTimeEquals(old.bytes.view(), value.bytes.view());
}

Status TokenInUse(std::string_view token, std::string_view arn) {
  return ResourceExists("You can't use ClientRequestToken " + std::string(token) +
                        " because that value is already in use for a version of secret " +
                        std::string(arn) + ".");
}

std::string VersionIdOf(const Json& input) {
  std::string token = input.value("ClientRequestToken", "");
  return token.empty() ? ids::NewUuid() : token;
}

Result<bool> IsRepeatedWrite(RequestContext& ctx, storage::Transaction& txn, const Json& secret,
                             std::string_view version_id, const SecretValue& value) {
  if (!secret.contains("Versions") || !secret["Versions"].contains(version_id)) return false;
  ASSIGN_OR_RETURN(std::optional<std::string> record, txn.Get(ValueKey(secret, version_id)));
  bool same = false;
  if (record) {
    ASSIGN_OR_RETURN(same, SameValue(ctx, secret, version_id, *record, value));
  }
  if (!same) return TokenInUse(version_id, secret.value("ARN", ""));
  return true;
}

void PutValueInto(const SecretValue& value, Json& out) {
  if (value.binary) {
    out["SecretBinary"] = Json::binary(Json::binary_t::container_type(
        value.bytes.data(), value.bytes.data() + value.bytes.size()));
  } else {
    out["SecretString"] = std::string(value.bytes.view());
  }
}

void AddVersion(Json& secret, std::string_view version_id, const Json& stages, int64_t now) {
  Json& versions = secret["Versions"];
  int64_t seq = secret.value("NextSeq", int64_t{1});
  secret["NextSeq"] = seq + 1;
  versions[std::string(version_id)] = {{"Stages", Json::array()}, {"Created", now}, {"Seq", seq}};
  const bool has_current = !VersionWithStage(secret, kCurrent).empty();
  Json labels = stages.is_array() ? stages : Json::array({kCurrent});
  if (!has_current && std::find(labels.begin(), labels.end(), Json(kCurrent)) == labels.end()) {
    labels.push_back(kCurrent);
  }
  for (const Json& stage : labels) {
    if (stage.is_string()) MoveStage(secret, stage.get<std::string>(), version_id);
  }
}

Result<size_t> StartOf(const Json& input, size_t size) {
  if (!input.contains("NextToken")) return size_t{0};
  std::optional<size_t> start = OffsetOf(input.value("NextToken", ""), size);
  if (!start) return InvalidNextToken();
  return *start;
}

bool Flag(const Json& input, std::string_view member) {
  auto it = input.find(member);
  return it != input.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace bulwark::secretsmanager
