#include "services/kms/common.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

#include "crypto/crypto.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "storage/sealer.h"

namespace bulwark::kms {
namespace {

constexpr std::string_view kBlobMagic = "KB\x01";
constexpr size_t kKeyIdSize = 36;  // a UUID, or "mrk-" and 32 hex digits
constexpr size_t kHeaderSize = 3 + kKeyIdSize + 4;

bool IsUuid(std::string_view s) {
  if (s.size() != kKeyIdSize) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A key id as KMS makes them: a UUID, or a multi-Region key's "mrk-" and 32 hex digits.
bool IsKeyId(std::string_view s) {
  if (IsMultiRegionKeyId(s)) {
    return s.size() == kKeyIdSize &&
           s.substr(4).find_first_not_of("0123456789abcdef") == std::string_view::npos;
  }
  return IsUuid(s);
}

// arn:aws:kms:REGION:ACCOUNT:RESOURCE → (region, account, resource).
struct ParsedArn {
  std::string region, account, resource;
};
std::optional<ParsedArn> ParseKmsArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:kms:";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = arn.substr(kPrefix.size());
  const size_t c1 = rest.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  const size_t c2 = rest.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  ParsedArn out{std::string(rest.substr(0, c1)), std::string(rest.substr(c1 + 1, c2 - c1 - 1)),
                std::string(rest.substr(c2 + 1))};
  if (out.region.empty() || out.account.size() != 12) return std::nullopt;
  return out;
}

std::string AliasKey(std::string_view account, std::string_view region, std::string_view name) {
  return "kms/" + std::string(account) + "/" + std::string(region) + "/alias/" + std::string(name);
}

std::string SealPath(std::string_view record_id, uint32_t version) {
  return "kms/key/" + std::string(record_id) + "/" + std::to_string(version);
}

// The encryption context as associated data: pairs sorted by key, each string
// length-prefixed (4 bytes, big-endian), so that no two contexts serialize alike.
std::string ContextBytes(const Json& context) {
  std::map<std::string, std::string> sorted;
  if (context.is_object()) {
    for (const auto& [k, v] : context.items()) {
      sorted[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  std::string out;
  auto put = [&](const std::string& s) {
    const uint32_t n = static_cast<uint32_t>(s.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
    out += s;
  };
  for (const auto& [k, v] : sorted) {
    put(k);
    put(v);
  }
  return out;
}

}  // namespace

Status NotFound(std::string message) {
  return Status::Service("NotFoundException", 400, std::move(message));
}
Status Disabled(std::string message) {
  return Status::Service("DisabledException", 400, std::move(message));
}
Status InvalidState(std::string message) {
  return Status::Service("KMSInvalidStateException", 400, std::move(message));
}
Status InvalidCiphertext() { return Status::Service("InvalidCiphertextException", 400, ""); }
Status IncorrectKey() {
  return Status::Service("IncorrectKeyException", 400,
                         "The key ID in the request does not identify a CMK that can perform "
                         "this operation.");
}
Status InvalidKeyUsage(std::string message) {
  return Status::Service("InvalidKeyUsageException", 400, std::move(message));
}
Status Validation(std::string message) {
  return Status(ErrorKind::kValidation, std::move(message));
}
Status AlreadyExists(std::string message) {
  return Status::Service("AlreadyExistsException", 400, std::move(message));
}
Status LimitExceeded(std::string message) {
  return Status::Service("LimitExceededException", 400, std::move(message));
}
Status MalformedPolicy(std::string message) {
  return Status::Service("MalformedPolicyDocumentException", 400, std::move(message));
}
Status Unsupported(std::string message) {
  return Status::Service("UnsupportedOperationException", 400, std::move(message));
}
Status InvalidSignature() { return Status::Service("KMSInvalidSignatureException", 400, ""); }
Status InvalidMac() { return Status::Service("KMSInvalidMacException", 400, ""); }

Status CheckDryRun(const Json& input) {
  if (auto it = input.find("DryRun"); it != input.end() && it->is_boolean() && it->get<bool>()) {
    return Status::Service("DryRunOperationException", 412,
                           "The request would have succeeded, but the DryRun option is set.");
  }
  return Status::Ok();
}

Status RefuseRecipient(const Json& input) {
  if (input.contains("Recipient")) {
    return Unsupported("Recipient (a Nitro Enclaves attestation document) is not supported.");
  }
  return Status::Ok();
}

Status WrongKeyUsage(const Json& key, std::string_view operation) {
  return InvalidKeyUsage(key.value("Arn", "") + " key usage is " + key.value("KeyUsage", "") +
                         " which is not valid for " + std::string(operation) + ".");
}

Status IncompatibleAlgorithm(std::string_view algorithm, const Json& key) {
  return InvalidKeyUsage("Algorithm " + std::string(algorithm) + " is incompatible with key spec " +
                         key.value("KeySpec", "") + ".");
}

std::string KeyRecordKey(std::string_view record_id) { return "kms/key/" + std::string(record_id); }

bool IsMultiRegionKeyId(std::string_view key_id) { return key_id.starts_with("mrk-"); }

bool IsMultiRegionPrimary(const Json& key) {
  return IsMultiRegionKeyId(key.value("KeyId", "")) &&
         key.value("PrimaryRegion", "") == key.value("Region", "");
}

bool IsMultiRegionReplica(const Json& key) {
  return IsMultiRegionKeyId(key.value("KeyId", "")) &&
         key.value("PrimaryRegion", "") != key.value("Region", "");
}

std::string RecordIdFor(std::string_view key_id, std::string_view region) {
  if (!IsMultiRegionKeyId(key_id)) return std::string(key_id);
  return std::string(key_id) + "@" + std::string(region);
}

std::string RecordIdOf(const Json& key) {
  return RecordIdFor(key.value("KeyId", ""), key.value("Region", ""));
}

std::string KeyListPrefix(std::string_view account, std::string_view region) {
  return "kms/" + std::string(account) + "/" + std::string(region) + "/keys/";
}

std::string KeyArn(std::string_view region, std::string_view account, std::string_view key_id) {
  return "arn:aws:kms:" + std::string(region) + ":" + std::string(account) + ":key/" +
         std::string(key_id);
}

Result<std::optional<KeyRef>> ResolveKeyId(storage::Transaction& txn, const RequestContext& ctx,
                                           std::string_view key_id) {
  std::string region = ctx.region;
  std::string account = ctx.caller.account_id;
  std::string resource(key_id);
  if (key_id.starts_with("arn:")) {
    std::optional<ParsedArn> arn = ParseKmsArn(key_id);
    if (!arn) return std::optional<KeyRef>();
    region = arn->region;
    account = arn->account;
    resource = arn->resource;
  }
  if (resource.starts_with("alias/")) {
    ASSIGN_OR_RETURN(std::optional<Json> alias,
                     iam::Load(txn, AliasKey(account, region, resource.substr(6))));
    if (!alias) return std::optional<KeyRef>();
    return std::optional<KeyRef>(
        KeyRef{RecordIdFor(alias->value("TargetKeyId", ""), region), alias->value("AliasArn", "")});
  }
  if (key_id.starts_with("arn:")) {
    if (!resource.starts_with("key/")) return std::optional<KeyRef>();
    resource = resource.substr(4);
  }
  if (!IsKeyId(resource)) return std::optional<KeyRef>();
  const std::string record_id = RecordIdFor(resource, region);
  ASSIGN_OR_RETURN(KeyPtr key, LoadKeyRecord(txn, record_id));
  if (!key || key->value("AWSAccountId", "") != account || key->value("Region", "") != region) {
    return std::optional<KeyRef>();
  }
  return std::optional<KeyRef>(KeyRef{record_id, "", std::move(key)});
}

namespace {

// Values parsed once per content: key records and key policies are read by every
// request on a key and change rarely, and parsing them (nlohmann::json, the policy
// parser) costs more than the rest of an Encrypt. An entry is used only while the stored
// text is byte for byte the one it was parsed from, so no write can leave it stale.
// Bounded: the whole memo is dropped when it grows past kMaxEntries.
template <typename T>
class ParseMemo {
 public:
  static constexpr size_t kMaxEntries = 4096;

  // The value parsed from `text` under `name`, parsing (outside the lock) on a miss.
  template <typename Parse>
  std::shared_ptr<const T> Get(const std::string& name, const std::string& text, Parse parse) {
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(name);
      if (it != entries_.end() && it->second.text == text) return it->second.value;
    }
    std::shared_ptr<const T> value = parse(text);
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_[name] = Entry{text, value};
    return value;
  }

 private:
  struct Entry {
    std::string text;
    std::shared_ptr<const T> value;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

ParseMemo<Json>& KeyRecords() {
  static auto* memo = new ParseMemo<Json>();
  return *memo;
}

ParseMemo<policy::Policy>& KeyPolicies() {
  static auto* memo = new ParseMemo<policy::Policy>();
  return *memo;
}

}  // namespace

Result<KeyPtr> LoadKeyRecord(storage::Transaction& txn, std::string_view record_id) {
  const std::string path = KeyRecordKey(record_id);
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn.Get(path));
  if (!raw) return KeyPtr();
  KeyPtr record = KeyRecords().Get(path, *raw, [](const std::string& text) {
    return std::make_shared<const Json>(Json::parse(text, nullptr, /*allow_exceptions=*/false));
  });
  if (!record->is_object()) {
    return Status(ErrorKind::kInternalFailure, "corrupt KMS key record " + path);
  }
  return record;
}

Result<std::optional<Json>> LoadKeyById(storage::Transaction& txn, std::string_view record_id) {
  ASSIGN_OR_RETURN(KeyPtr record, LoadKeyRecord(txn, record_id));
  if (!record) return std::optional<Json>();
  return std::optional<Json>(*record);
}

Result<KeyPtr> FindKey(storage::Transaction& txn, const RequestContext& ctx,
                       std::string_view key_id) {
  ASSIGN_OR_RETURN(std::optional<KeyRef> ref, ResolveKeyId(txn, ctx, key_id));
  if (!ref) {
    if (key_id.starts_with("alias/") || key_id.find(":alias/") != std::string_view::npos) {
      const std::string arn = key_id.starts_with("arn:")
                                  ? std::string(key_id)
                                  : "arn:aws:kms:" + ctx.region + ":" + ctx.caller.account_id +
                                        ":" + std::string(key_id);
      return NotFound("Alias " + arn + " is not found.");
    }
    if (key_id.starts_with("arn:aws:kms:") || IsKeyId(key_id)) {
      const std::string arn = key_id.starts_with("arn:")
                                  ? std::string(key_id)
                                  : KeyArn(ctx.region, ctx.caller.account_id, key_id);
      return NotFound("Key '" + arn + "' does not exist");
    }
    return NotFound("Invalid keyId '" + std::string(key_id) + "'");
  }
  if (ref->record) return std::move(ref->record);
  ASSIGN_OR_RETURN(KeyPtr key, LoadKeyRecord(txn, ref->record_id));
  if (!key)
    return NotFound("Key '" + ref->record_id.substr(0, ref->record_id.find('@')) +
                    "' does not exist");
  return key;
}

Result<Json> LoadKey(storage::Transaction& txn, const RequestContext& ctx,
                     std::string_view key_id) {
  ASSIGN_OR_RETURN(KeyPtr key, FindKey(txn, ctx, key_id));
  return Json(*key);
}

Status SaveKey(storage::Transaction& txn, const Json& key) {
  return iam::Save(txn, KeyRecordKey(RecordIdOf(key)), key);
}

Status CheckUsable(const Json& key) {
  const std::string state = key.value("KeyState", "");
  const std::string arn = key.value("Arn", "");
  if (state == "Enabled") return Status::Ok();
  if (state == "Disabled") return Disabled(arn + " is disabled.");
  if (state == "PendingDeletion") return InvalidState(arn + " is pending deletion.");
  if (state == "PendingReplicaDeletion") {
    return InvalidState(arn + " is pending replica deletion.");
  }
  if (state == "PendingImport") return InvalidState(arn + " is pending import.");
  return InvalidState(arn + " is in state " + state + ".");
}

Result<KeyPtr> KeyForUse(storage::Transaction& txn, const RequestContext& ctx,
                         std::string_view key_id, std::string_view usage,
                         std::string_view operation) {
  ASSIGN_OR_RETURN(KeyPtr key, FindKey(txn, ctx, key_id));
  RETURN_IF_ERROR(CheckUsable(*key));
  if (key->value("KeyUsage", "") != usage) return WrongKeyUsage(*key, operation);
  return key;
}

bool IsPendingDeletion(const Json& key) {
  const std::string state = key.value("KeyState", "");
  return state == "PendingDeletion" || state == "PendingReplicaDeletion";
}

bool IsSymmetricKey(const Json& key) { return key.value("KeySpec", "") == "SYMMETRIC_DEFAULT"; }
bool IsHmacKey(const Json& key) { return key.value("KeySpec", "").starts_with("HMAC_"); }
bool IsAsymmetricKey(const Json& key) {
  const std::string spec = key.value("KeySpec", "");
  return spec.starts_with("RSA_") || spec.starts_with("ECC_");
}

Json KeyMetadata(const Json& key) {
  Json out = {{"AWSAccountId", key["AWSAccountId"]},
              {"KeyId", key["KeyId"]},
              {"Arn", key["Arn"]},
              {"CreationDate", key["CreationDate"]},
              {"Enabled", key["KeyState"] == "Enabled"},
              {"Description", key.value("Description", "")},
              {"KeyUsage", key["KeyUsage"]},
              {"KeyState", key["KeyState"]},
              {"Origin", key["Origin"]},
              {"KeyManager", key.value("KeyManager", "CUSTOMER")},
              {"CustomerMasterKeySpec", key["KeySpec"]},
              {"KeySpec", key["KeySpec"]},
              {"MultiRegion", IsMultiRegionKeyId(key.value("KeyId", ""))}};
  for (const char* list :
       {"EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms"}) {
    if (key.contains(list)) out[list] = key[list];
  }
  if (IsSymmetricKey(key) && !CurrentMaterialId(key).empty()) {
    out["CurrentKeyMaterialId"] = CurrentMaterialId(key);
  }
  for (const char* member : {"ExpirationModel", "ValidTo"}) {
    if (key.contains(member)) out[member] = key[member];
  }
  if (key.contains("DeletionDate")) out["DeletionDate"] = key["DeletionDate"];
  if (key.contains("PendingDeletionWindowInDays")) {
    out["PendingDeletionWindowInDays"] = key["PendingDeletionWindowInDays"];
  }
  if (out["MultiRegion"].get<bool>())
    out["MultiRegionConfiguration"] = MultiRegionConfiguration(key);
  return out;
}

std::string KeyArnIn(const Json& key, std::string_view region) {
  return KeyArn(region, key.value("AWSAccountId", ""), key.value("KeyId", ""));
}

Json MultiRegionConfiguration(const Json& key) {
  const std::string primary = key.value("PrimaryRegion", "");
  Json replicas = Json::array();
  for (const Json& region : ArrayMember(key, "Regions")) {
    if (region != primary) {
      replicas.push_back({{"Arn", KeyArnIn(key, region.get<std::string>())}, {"Region", region}});
    }
  }
  return {{"MultiRegionKeyType", key.value("Region", "") == primary ? "PRIMARY" : "REPLICA"},
          {"PrimaryKey", {{"Arn", KeyArnIn(key, primary)}, {"Region", primary}}},
          {"ReplicaKeys", std::move(replicas)}};
}

uint32_t CurrentVersion(const Json& key) {
  const Json& versions = ArrayMember(key, "Material");
  return versions.empty() ? 0 : versions.back().value("Version", 0u);
}

Result<std::string> SealMaterial(const RequestContext& ctx, const Json& key, uint32_t version,
                                 const SecretBytes& material) {
  ASSIGN_OR_RETURN(std::string sealed,
                   ctx.env->sealer->Seal(SealPath(RecordIdOf(key), version), material.view()));
  return crypto::Base64Encode(sealed);
}

Result<SecretBytes> OpenMaterial(const RequestContext& ctx, const Json& key, uint32_t version,
                                 const Json& entry) {
  std::optional<std::string> sealed = crypto::Base64Decode(entry.value("Sealed", ""));
  if (!sealed) return Status(ErrorKind::kInternalFailure, "kms: damaged key material record");
  return ctx.env->sealer->Open(SealPath(RecordIdOf(key), version), *sealed);
}

std::string NewMaterialId() {
  uint8_t id[32];
  crypto::RandomBytes(id, sizeof(id));
  return crypto::HexEncode(id, sizeof(id));
}

Result<SecretBytes> Material(const RequestContext& ctx, const Json& key, uint32_t version) {
  if (version == 0) version = CurrentVersion(key);
  for (const Json& v : ArrayMember(key, "Material")) {
    if (v.value("Version", 0u) != version) continue;
    // Deleted imported material (the key is PendingImport until it comes back).
    if (!v.contains("Sealed")) return InvalidState(key.value("Arn", "") + " is pending import.");
    return OpenMaterial(ctx, key, version, v);
  }
  return InvalidCiphertext();  // a version this key never had
}

Status AddMaterialVersion(const RequestContext& ctx, Json& key, const SecretBytes& material,
                          int64_t now, std::string_view rotation_type) {
  const uint32_t version = CurrentVersion(key) + 1;
  ASSIGN_OR_RETURN(std::string sealed, SealMaterial(ctx, key, version, material));
  if (!key.contains("Material")) key["Material"] = Json::array();
  Json entry = {{"Version", version},
                {"Sealed", std::move(sealed)},
                {"Created", now},
                {"MaterialId", NewMaterialId()}};
  if (!rotation_type.empty()) entry["RotationType"] = std::string(rotation_type);
  key["Material"].push_back(std::move(entry));
  return Status::Ok();
}

std::string CurrentMaterialId(const Json& key) {
  const Json& versions = ArrayMember(key, "Material");
  return versions.empty() ? std::string() : versions.back().value("MaterialId", "");
}

std::string MaterialIdOf(const Json& key, uint32_t version) {
  for (const Json& v : ArrayMember(key, "Material")) {
    if (v.value("Version", 0u) == version) return v.value("MaterialId", "");
  }
  return std::string();
}

std::string PublicKeyOf(const Json& key) {
  return crypto::Base64Decode(key.value("PublicKey", "")).value_or(std::string());
}

std::string DueKey(std::string_view kind, int64_t when, std::string_view key_id) {
  std::string date = std::to_string(std::max<int64_t>(when, 0));
  return "kms/due/" + std::string(kind) + "/" + std::string(20 - date.size(), '0') + date + "/" +
         std::string(key_id);
}

Result<std::vector<std::string>> TakeDue(storage::Transaction& txn, std::string_view kind,
                                         int64_t now, size_t batch) {
  const std::string prefix = "kms/due/" + std::string(kind) + "/";
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(prefix, "", batch));
  std::vector<std::string> due;
  for (const storage::KeyValue& row : rows) {
    const std::string_view rest = std::string_view(row.key).substr(prefix.size());
    if (rest.size() < 22 || std::stoll(std::string(rest.substr(0, 20))) > now) break;
    due.emplace_back(rest.substr(21));
    RETURN_IF_ERROR(txn.Delete(row.key));
  }
  return due;
}

std::optional<BlobHeader> ParseBlobHeader(std::string_view blob) {
  if (blob.size() < kHeaderSize || !blob.starts_with(kBlobMagic)) return std::nullopt;
  BlobHeader h;
  h.key_id = std::string(blob.substr(3, kKeyIdSize));
  if (!IsKeyId(h.key_id)) return std::nullopt;
  for (size_t i = 0; i < 4; ++i) {
    h.version = (h.version << 8) | static_cast<uint8_t>(blob[3 + kKeyIdSize + i]);
  }
  return h;
}

Result<KeyPtr> KeyOfCiphertext(storage::Transaction& txn, const RequestContext& ctx,
                               const BlobHeader& header) {
  ASSIGN_OR_RETURN(KeyPtr key, LoadKeyRecord(txn, RecordIdFor(header.key_id, ctx.region)));
  if (key && key->value("Region", "") != ctx.region) return KeyPtr();
  return key;
}

Result<std::string> SealBlob(const RequestContext& ctx, const Json& key, std::string_view plaintext,
                             const Json& encryption_context) {
  const uint32_t version = CurrentVersion(key);
  std::string header(kBlobMagic);
  header += key["KeyId"].get<std::string>();
  for (int shift = 24; shift >= 0; shift -= 8)
    header.push_back(static_cast<char>(version >> shift));
  ASSIGN_OR_RETURN(SecretBytes material, Material(ctx, key, version));
  ASSIGN_OR_RETURN(
      std::string sealed,
      crypto::AesGcmSeal(material, plaintext, header + ContextBytes(encryption_context)));
  return header + sealed;
}

Result<SecretBytes> OpenBlob(const RequestContext& ctx, const Json& key, std::string_view blob,
                             const Json& encryption_context) {
  std::optional<BlobHeader> header = ParseBlobHeader(blob);
  if (!header || header->key_id != key.value("KeyId", "")) return InvalidCiphertext();
  Result<SecretBytes> material = Material(ctx, key, header->version);
  if (!material.ok()) return InvalidCiphertext();
  Result<SecretBytes> plaintext = crypto::AesGcmOpen(
      *material, blob.substr(kHeaderSize),
      std::string(blob.substr(0, kHeaderSize)) + ContextBytes(encryption_context));
  if (!plaintext.ok()) return InvalidCiphertext();
  return plaintext;
}

const Json& ArrayMember(const Json& object, std::string_view name) {
  static const Json* const kEmpty = new Json(Json::array());
  if (!object.is_object()) return *kEmpty;
  auto it = object.find(name);
  return it != object.end() && it->is_array() ? *it : *kEmpty;
}

const Json& ObjectMember(const Json& object, std::string_view name) {
  static const Json* const kEmpty = new Json(Json::object());
  if (!object.is_object()) return *kEmpty;
  auto it = object.find(name);
  return it != object.end() && it->is_object() ? *it : *kEmpty;
}

Json BinaryOf(std::string_view bytes) {
  return Json::binary(Json::binary_t::container_type(bytes.begin(), bytes.end()));
}

void KeyConditionKeys(const Json& key, std::vector<std::pair<std::string, std::string>>* out) {
  out->emplace_back("kms:KeySpec", key.value("KeySpec", ""));
  out->emplace_back("kms:KeyUsage", key.value("KeyUsage", ""));
  out->emplace_back("kms:KeyOrigin", key.value("Origin", ""));
  for (const Json& tag : ArrayMember(key, "Tags")) {
    out->emplace_back("aws:ResourceTag/" + tag.value("TagKey", ""), tag.value("TagValue", ""));
  }
}

std::shared_ptr<const policy::Policy> KeyPolicyOf(const Json& key) {
  return KeyPolicies().Get(RecordIdOf(key), key.value("Policy", ""), [](const std::string& text) {
    policy::ParseOptions options;
    options.kind = policy::PolicyKind::kResource;
    Result<policy::Policy> parsed = policy::ParsePolicy(text, options);
    return std::make_shared<const policy::Policy>(parsed.ok() ? std::move(parsed).value()
                                                              : policy::Policy());
  });
}

AuthorizationRequest::OtherResource KeyResource(std::string_view action, const Json& key) {
  AuthorizationRequest::OtherResource other;
  other.action = std::string(action);
  other.resource = key.value("Arn", "");
  other.resource_account = key.value("AWSAccountId", "");
  other.resource_policy = KeyPolicyOf(key);
  KeyConditionKeys(key, &other.keys);
  return other;
}

SecretBytes RandomSecret(size_t size) {
  SecretBytes out(size);
  crypto::RandomBytes(out.data(), size);
  return out;
}

std::string DefaultKeyPolicy(std::string_view account) {
  const Json doc = {{"Version", "2012-10-17"},
                    {"Id", "key-default-1"},
                    {"Statement",
                     {{{"Sid", "Enable IAM User Permissions"},
                       {"Effect", "Allow"},
                       {"Principal", {{"AWS", "arn:aws:iam::" + std::string(account) + ":root"}}},
                       {"Action", "kms:*"},
                       {"Resource", "*"}}}}};
  return doc.dump(2);
}

}  // namespace bulwark::kms
