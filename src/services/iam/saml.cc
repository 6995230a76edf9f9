// IAM SAML 2.0 identity providers.
//
// A provider is one record at "iam/ACCOUNT/saml-provider/" + the lowercased name. The
// metadata document is kept as given (GetSAMLProvider returns it) together with what
// AssumeRoleWithSAML needs from it, parsed once here: the IdP's entityID and signing
// certificates. Private keys for encrypted assertions are sealed with the root key.
#include "auth/saml.h"

#include <ctime>

#include "crypto/crypto.h"
#include "services/iam/handlers.h"
#include "storage/sealer.h"

namespace bulwark::iam {
namespace {

// IAM quotas: SAML providers per account, private keys per provider.
constexpr size_t kMaxProviders = 100;
constexpr size_t kMaxPrivateKeys = 2;
constexpr std::string_view kIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr size_t kIdLength = 26;  // privateKeyIdType: [A-Z0-9]{22,64}

std::string ProviderPrefix(std::string_view account) {
  return "iam/" + std::string(account) + "/saml-provider/";
}

std::string ProviderKey(std::string_view account, std::string_view name) {
  return ProviderPrefix(account) + Lower(name);
}

std::string ArnOf(std::string_view account, std::string_view name) {
  return "arn:aws:iam::" + std::string(account) + ":saml-provider/" + std::string(name);
}

// AWS sets a provider without validUntil in its metadata to expire in 100 years.
int64_t HundredYearsFrom(int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  tm.tm_year += 100;
  return static_cast<int64_t>(timegm(&tm));
}

// The metadata document parsed into the record's fields.
Status ApplyMetadata(const std::string& document, int64_t now, Json* record) {
  Result<saml::Metadata> metadata = saml::ParseMetadata(document);
  if (!metadata.ok()) {
    if (metadata.status().kind() == ErrorKind::kValidation) {
      return InvalidInput("Could not parse metadata.");
    }
    return metadata.status();
  }
  Json certificates = Json::array();
  for (const std::string& der : metadata->signing_certificates) {
    certificates.push_back(crypto::Base64Encode(der));
  }
  (*record)["SAMLMetadataDocument"] = document;
  (*record)["EntityId"] = metadata->entity_id;
  (*record)["Certificates"] = std::move(certificates);
  (*record)["ValidUntil"] = metadata->valid_until.value_or(HundredYearsFrom(now));
  return Status::Ok();
}

Result<std::string> NameOfArn(const RequestContext& ctx, std::string_view arn) {
  const std::string prefix = "arn:aws:iam::" + ctx.caller.account_id + ":saml-provider/";
  if (!arn.starts_with(prefix) || arn.size() == prefix.size() ||
      arn.find('/', prefix.size()) != std::string_view::npos) {
    return InvalidInput("ARN " + std::string(arn) + " is not valid.");
  }
  return std::string(arn.substr(prefix.size()));
}

// Loads the provider an input's SAMLProviderArn names; NoSuchEntity if none.
Result<std::pair<std::string, Json>> LoadByArn(RequestContext& ctx, storage::Transaction& txn,
                                               const Json& input) {
  const std::string arn = input.at("SAMLProviderArn").get<std::string>();
  ASSIGN_OR_RETURN(std::string name, NameOfArn(ctx, arn));
  std::string key = ProviderKey(ctx.caller.account_id, name);
  ASSIGN_OR_RETURN(std::optional<Json> record, Load(txn, key));
  if (!record) return NoSuchEntity("SAML provider not found for arn " + arn);
  return std::make_pair(std::move(key), std::move(*record));
}

std::string PrivateKeyPath(std::string_view record_key, std::string_view key_id) {
  return std::string(record_key) + "/private-key/" + std::string(key_id);
}

// Adds a private key (PEM) to the record, sealed at rest.
Status AddPrivateKey(RequestContext& ctx, const std::string& record_key, const std::string& pem,
                     Json* record) {
  if (!saml::IsUsablePrivateKey(pem)) return InvalidInput("Invalid private key.");
  Json& keys = (*record)["PrivateKeys"];
  if (!keys.is_array()) keys = Json::array();
  if (keys.size() >= kMaxPrivateKeys) {
    return LimitExceeded("Private key limit of " + std::to_string(kMaxPrivateKeys) +
                         " is reached.");
  }
  if (ctx.env->sealer == nullptr) {
    return Status(ErrorKind::kInternalFailure, "no sealer for SAML private keys");
  }
  const std::string key_id = crypto::RandomString(kIdAlphabet, kIdLength);
  ASSIGN_OR_RETURN(std::string sealed,
                   ctx.env->sealer->Seal(PrivateKeyPath(record_key, key_id), pem));
  keys.push_back(
      {{"KeyId", key_id}, {"Timestamp", Now(ctx)}, {"Sealed", crypto::Base64Encode(sealed)}});
  return Status::Ok();
}

Status CheckEncryptionMode(const Json& record) {
  if (record.value("AssertionEncryptionMode", "") == "Required" &&
      record.value("PrivateKeys", Json::array()).empty()) {
    return InvalidInput(
        "Unable to set assertion encryption mode to Required because no private key is "
        "provided.");
  }
  return Status::Ok();
}

Json PrivateKeyList(const Json& record) {
  Json out = Json::array();
  for (const Json& k : record.value("PrivateKeys", Json::array())) {
    out.push_back({{"KeyId", k["KeyId"]}, {"Timestamp", k["Timestamp"]}});
  }
  return out;
}

}  // namespace

Result<std::optional<Json>> LoadSamlProvider(storage::Transaction& txn, std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix) || arn.size() < kPrefix.size() + 12) return std::optional<Json>();
  const std::string_view account = arn.substr(kPrefix.size(), 12);
  const std::string_view rest = arn.substr(kPrefix.size() + 12);
  constexpr std::string_view kResource = ":saml-provider/";
  if (!rest.starts_with(kResource) || rest.size() == kResource.size()) return std::optional<Json>();
  const std::string_view name = rest.substr(kResource.size());
  ASSIGN_OR_RETURN(std::optional<Json> record, Load(txn, ProviderKey(account, name)));
  // The stored name keeps its case; the ARN must match it exactly.
  if (record && (*record)["Arn"].get<std::string>() != arn) return std::optional<Json>();
  return record;
}

Result<Json> CreateSAMLProvider(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("Name").get<std::string>();
  const std::string arn = ArnOf(account, name);
  const int64_t now = Now(ctx);
  Json record = {{"Name", name},
                 {"Arn", arn},
                 {"CreateDate", now},
                 {"SAMLProviderUUID", crypto::RandomString(kIdAlphabet, kIdLength)},
                 {"PrivateKeys", Json::array()}};
  RETURN_IF_ERROR(ApplyMetadata(input.at("SAMLMetadataDocument").get<std::string>(), now, &record));
  ASSIGN_OR_RETURN(record["Tags"], MergeTags(Json::array(), input.value("Tags", Json::array())));
  if (auto it = input.find("AssertionEncryptionMode"); it != input.end()) {
    record["AssertionEncryptionMode"] = *it;
  }

  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  const std::string key = ProviderKey(account, name);
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (existing) return EntityAlreadyExists("Provider with name " + name + " already exists.");
  ASSIGN_OR_RETURN(size_t count, Count(*txn, ProviderPrefix(account)));
  if (count >= kMaxProviders) {
    return LimitExceeded("Cannot exceed quota for SAMLProvidersPerAccount: " +
                         std::to_string(kMaxProviders));
  }
  if (auto it = input.find("AddPrivateKey"); it != input.end()) {
    RETURN_IF_ERROR(AddPrivateKey(ctx, key, it->get<std::string>(), &record));
  }
  RETURN_IF_ERROR(CheckEncryptionMode(record));
  RETURN_IF_ERROR(Save(*txn, key, record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  Json out = {{"SAMLProviderArn", arn}};
  if (!record["Tags"].empty()) out["Tags"] = record["Tags"];
  return out;
}

Result<Json> GetSAMLProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  const Json& r = found.second;
  Json out = {{"SAMLProviderUUID", r["SAMLProviderUUID"]},
              {"SAMLMetadataDocument", r["SAMLMetadataDocument"]},
              {"CreateDate", r["CreateDate"]},
              {"ValidUntil", r["ValidUntil"]}};
  if (!r.value("Tags", Json::array()).empty()) out["Tags"] = r["Tags"];
  if (r.contains("AssertionEncryptionMode")) {
    out["AssertionEncryptionMode"] = r["AssertionEncryptionMode"];
  }
  Json keys = PrivateKeyList(r);
  if (!keys.empty()) out["PrivateKeyList"] = std::move(keys);
  return out;
}

Result<Json> ListSAMLProviders(RequestContext& ctx, const Json& /*input*/) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  // No pagination in this API: an account has at most 100 providers.
  ASSIGN_OR_RETURN(Page page, ListRecords(*txn, ProviderPrefix(ctx.caller.account_id),
                                          Json{{"MaxItems", 1000}}, nullptr, [](const Json& r) {
                                            return Json{{"Arn", r["Arn"]},
                                                        {"ValidUntil", r["ValidUntil"]},
                                                        {"CreateDate", r["CreateDate"]}};
                                          }));
  return Json{{"SAMLProviderList", std::move(page.items)}};
}

Result<Json> UpdateSAMLProvider(RequestContext& ctx, const Json& input) {
  const bool has_metadata = input.contains("SAMLMetadataDocument");
  const bool has_mode = input.contains("AssertionEncryptionMode");
  const bool add_key = input.contains("AddPrivateKey");
  const bool remove_key = input.contains("RemovePrivateKey");
  if (!has_metadata && !has_mode && !add_key && !remove_key) {
    return InvalidInput(
        "Unable to update identity provider. No updates are defined for metadata or "
        "encryption assertion.");
  }
  if (add_key && remove_key) {
    return InvalidInput(
        "Unable to add and remove private keys in the same request. Set a value for only one "
        "of the two parameters.");
  }
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  Json& record = found.second;
  if (has_metadata) {
    RETURN_IF_ERROR(
        ApplyMetadata(input["SAMLMetadataDocument"].get<std::string>(), Now(ctx), &record));
  }
  if (has_mode) record["AssertionEncryptionMode"] = input["AssertionEncryptionMode"];
  if (add_key) {
    RETURN_IF_ERROR(
        AddPrivateKey(ctx, found.first, input["AddPrivateKey"].get<std::string>(), &record));
  }
  if (remove_key) {
    const std::string id = input["RemovePrivateKey"].get<std::string>();
    Json& keys = record["PrivateKeys"];
    auto it = std::find_if(keys.begin(), keys.end(),
                           [&](const Json& k) { return k.value("KeyId", "") == id; });
    if (it == keys.end()) {
      return InvalidInput(
          "Failed to remove private key because the Key ID does not match a private key.");
    }
    keys.erase(it);
  }
  RETURN_IF_ERROR(CheckEncryptionMode(record));
  RETURN_IF_ERROR(Save(*txn, found.first, record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json{{"SAMLProviderArn", record["Arn"]}};
}

Result<Json> DeleteSAMLProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  RETURN_IF_ERROR(txn->Delete(found.first));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> TagSAMLProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  ASSIGN_OR_RETURN(found.second["Tags"],
                   MergeTags(found.second.value("Tags", Json::array()), input.at("Tags")));
  RETURN_IF_ERROR(Save(*txn, found.first, found.second));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> UntagSAMLProvider(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  found.second["Tags"] = RemoveTags(found.second.value("Tags", Json::array()), input.at("TagKeys"));
  RETURN_IF_ERROR(Save(*txn, found.first, found.second));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListSAMLProviderTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(auto found, LoadByArn(ctx, *txn, input));
  ASSIGN_OR_RETURN(Page page, PageOf(found.second.value("Tags", Json::array()), input));
  return PageOutput(std::move(page), "Tags");
}

Result<std::vector<SecretBytes>> SamlProviderPrivateKeys(const RequestContext& ctx,
                                                         const Json& record) {
  std::vector<SecretBytes> out;
  const Json& keys = record.value("PrivateKeys", Json::array());
  if (keys.empty()) return out;
  if (ctx.env->sealer == nullptr) {
    return Status(ErrorKind::kInternalFailure, "no sealer for SAML private keys");
  }
  const std::string arn = record.value("Arn", "");
  const std::string account = arn.substr(13, 12);
  const std::string key = ProviderKey(account, record.value("Name", ""));
  for (const Json& k : keys) {
    std::optional<std::string> sealed = crypto::Base64Decode(k.value("Sealed", ""));
    if (!sealed) return Status(ErrorKind::kInternalFailure, "corrupt SAML provider record");
    ASSIGN_OR_RETURN(SecretBytes pem,
                     ctx.env->sealer->Open(PrivateKeyPath(key, k.value("KeyId", "")), *sealed));
    out.push_back(std::move(pem));
  }
  return out;
}

}  // namespace bulwark::iam
