// Secrets Manager: the secret itself — CreateSecret, DescribeSecret, UpdateSecret,
// DeleteSecret and RestoreSecret with the recovery window the maintenance sweep ends,
// ListSecrets with its filters and sorting, and tags.
#include <algorithm>

#include "auth/ids.h"
#include "services/iam/common.h"
#include "services/kms/envelope.h"
#include "services/secretsmanager/common.h"
#include "services/secretsmanager/handlers.h"
#include "services/service_util.h"

namespace bulwark::secretsmanager {
namespace {

constexpr int64_t kDay = 86400;

// Secret names: letters, digits and /_+=.@-.
Status CheckName(std::string_view name) {
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("/_+=.@-").find(c) != std::string_view::npos;
    if (!ok) {
      return InvalidParameter(
          "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
          "following: -/_+=.@!");
    }
  }
  return Status::Ok();
}

Status RefuseReplication(const Json& input) {
  if (input.contains("AddReplicaRegions")) {
    return Status(ErrorKind::kUnsupportedOperation,
                  "Replication of secrets to other Regions is not supported by Bulwark.");
  }
  return Status::Ok();
}

// Tags of a request merged into `existing` by key (case-sensitive, as Secrets Manager's).
Result<Json> MergeTags(const Json& existing, const Json& tags) {
  for (const Json& tag : tags) {
    const std::string key = tag.value("Key", "");
    if (key.empty() || key.size() > 128 || tag.value("Value", "").size() > 256) {
      return InvalidParameter(
          "Invalid tag: tag keys must be 1 to 128 characters and tag values "
          "at most 256 characters.");
    }
    if (key.starts_with("aws:")) {
      return InvalidParameter("Invalid tag key: the prefix aws: is reserved for AWS use.");
    }
  }
  Json out = UpsertTags(existing, tags);
  if (out.size() > kMaxTags) {
    return InvalidRequest("The number of tags for the secret exceeds the limit of 50.");
  }
  return out;
}

// The metadata of a secret, as DescribeSecret and ListSecrets give it.
Json Metadata(const Json& secret, bool list_entry) {
  Json out = Brief(secret);
  for (const char* member :
       {"Description", "KmsKeyId", "Type", "RotationLambdaARN", "RotationRules", "LastRotatedDate",
        "LastChangedDate", "LastAccessedDate", "DeletedDate", "NextRotationDate", "CreatedDate",
        "OwningService"}) {
    if (auto it = secret.find(member); it != secret.end()) out[member] = *it;
  }
  if (secret.contains("RotationEnabled")) out["RotationEnabled"] = secret["RotationEnabled"];
  if (auto tags = secret.find("Tags"); tags != secret.end() && !tags->empty()) out["Tags"] = *tags;
  Json stages = VersionIdsToStages(secret);
  if (!stages.empty()) out[list_entry ? "SecretVersionsToStages" : "VersionIdsToStages"] = stages;
  return out;
}

Status DeleteValues(storage::Transaction& txn, const Json& secret) {
  for (const auto& [id, version] : VersionsOf(secret).items()) {
    RETURN_IF_ERROR(txn.Delete(ValueKey(secret, id)));
  }
  return Status::Ok();
}

Status Purge(storage::Transaction& txn, const Json& secret) {
  RETURN_IF_ERROR(DeleteValues(txn, secret));
  return txn.Delete(
      SecretKey(secret.value("Account", ""), secret.value("Region", ""), secret.value("Name", "")));
}

// --- ListSecrets filters -------------------------------------------------------------

std::string LowerAscii(std::string_view s) { return iam::Lower(s); }

// Whether `text` starts with `prefix`, case-insensitively or not.
bool HasPrefix(std::string_view text, std::string_view prefix, bool ignore_case) {
  if (!ignore_case) return text.starts_with(prefix);
  return LowerAscii(text).starts_with(LowerAscii(prefix));
}

// The values a filter key looks at in a secret.
std::vector<std::string> FieldsOf(const Json& secret, std::string_view key) {
  std::vector<std::string> out;
  auto tags = [&](const char* member) {
    for (const Json& tag : secret.value("Tags", Json::array()))
      out.push_back(tag.value(member, ""));
  };
  if (key == "name") {
    out.push_back(secret.value("Name", ""));
  } else if (key == "description") {
    out.push_back(secret.value("Description", ""));
  } else if (key == "tag-key") {
    tags("Key");
  } else if (key == "tag-value") {
    tags("Value");
  } else if (key == "primary-region") {
    out.push_back(secret.value("Region", ""));
  } else if (key == "owning-service") {
    out.push_back(secret.value("OwningService", ""));
  } else if (key == "all") {
    for (const char* k :
         {"name", "description", "tag-key", "tag-value", "primary-region", "owning-service"}) {
      for (std::string& v : FieldsOf(secret, k)) out.push_back(std::move(v));
    }
  }
  return out;
}

// One filter: any of its values matches (a value starting with "!" matches when no field
// starts with the rest). Name, tag and Region values are case-sensitive; description
// and "all" are not. "all" matches the words of every field.
bool Matches(const Json& secret, const Json& filter) {
  const std::string key = filter.value("Key", "");
  const bool ignore_case = key == "description" || key == "all";
  const std::vector<std::string> fields = FieldsOf(secret, key);
  for (const Json& v : filter.value("Values", Json::array())) {
    std::string value = v.is_string() ? v.get<std::string>() : "";
    const bool negate = value.starts_with("!");
    if (negate) value.erase(0, 1);
    bool found = false;
    for (const std::string& field : fields) {
      if (key == "all") {
        // Word by word (words split on spaces and the name's separators).
        size_t start = 0;
        for (size_t i = 0; i <= field.size() && !found; ++i) {
          if (i == field.size() || field[i] == ' ' || field[i] == '/' || field[i] == '_' ||
              field[i] == '-' || field[i] == '.') {
            if (HasPrefix(std::string_view(field).substr(start, i - start), value, true)) {
              found = true;
            }
            start = i + 1;
          }
        }
        if (HasPrefix(field, value, true)) found = true;
      } else if (HasPrefix(field, value, ignore_case)) {
        found = true;
      }
      if (found) break;
    }
    if (found != negate) return true;
  }
  return false;
}

Status CheckFilters(const Json& filters) {
  static constexpr std::string_view kKeys[] = {
      "description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"};
  for (const Json& filter : filters) {
    const std::string key = filter.value("Key", "");
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return InvalidParameter("Invalid filter key: " + key + ".");
    }
    if (filter.value("Values", Json::array()).empty()) {
      return InvalidParameter("Invalid filter values for key: " + key + ". Values can't be empty.");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Json> CreateSecret(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("Name", "");
  RETURN_IF_ERROR(CheckName(name));
  RETURN_IF_ERROR(RefuseReplication(input));
  ASSIGN_OR_RETURN(std::optional<SecretValue> value, ValueOf(input));
  const std::string version_id = VersionIdOf(input);
  const int64_t now = iam::Now(ctx);
  Json secret;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(std::optional<Json> existing,
                     iam::Load(*txn, SecretKey(ctx.caller.account_id, ctx.region, name)));
    if (existing) {
      if (IsDeleted(*existing)) {
        return InvalidRequest(
            "You can't create this secret because a secret with this name is already scheduled "
            "for deletion.");
      }
      if (value && input.contains("ClientRequestToken")) {
        ASSIGN_OR_RETURN(bool repeat, IsRepeatedWrite(ctx, *txn, *existing, version_id, *value));
        if (repeat) {
          Json out = Brief(*existing);
          out["VersionId"] = version_id;
          return out;
        }
      }
      return ResourceExists("The operation failed because the secret " + name + " already exists.");
    }
  }
  secret = {
      {"ARN", NewSecretArn(ctx, name)}, {"Name", name},       {"Account", ctx.caller.account_id},
      {"Region", ctx.region},           {"CreatedDate", now}, {"LastChangedDate", now},
      {"Versions", Json::object()}};
  if (input.contains("Description")) secret["Description"] = input["Description"];
  if (!input.value("KmsKeyId", "").empty()) secret["KmsKeyId"] = input["KmsKeyId"];
  if (!input.value("Type", "").empty()) secret["Type"] = input["Type"];
  ASSIGN_OR_RETURN(secret["Tags"], MergeTags(Json::array(), input.value("Tags", Json::array())));
  std::string sealed;
  if (value) {
    ASSIGN_OR_RETURN(sealed, SealValue(ctx, secret, version_id, *value, nullptr));
    AddVersion(secret, version_id, Json(), now);
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<std::string> raced,
                   txn->Get(SecretKey(ctx.caller.account_id, ctx.region, name)));
  if (raced) {
    return ResourceExists("The operation failed because the secret " + name + " already exists.");
  }
  if (value) RETURN_IF_ERROR(txn->Put(ValueKey(secret, version_id), sealed));
  RETURN_IF_ERROR(SaveSecret(*txn, secret));
  RETURN_IF_ERROR(txn->Commit());
  Json out = Brief(secret);
  if (value) out["VersionId"] = version_id;
  return out;
}

Result<Json> DescribeSecret(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadSecret(*txn, ctx, input.value("SecretId", "")));
  return Metadata(secret, /*list_entry=*/false);
}

Result<Json> UpdateSecret(RequestContext& ctx, const Json& input) {
  RETURN_IF_ERROR(RefuseReplication(input));
  ASSIGN_OR_RETURN(std::optional<SecretValue> value, ValueOf(input));
  const std::string version_id = VersionIdOf(input);
  const int64_t now = iam::Now(ctx);
  Json secret;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
    if (value) {
      ASSIGN_OR_RETURN(bool repeat, IsRepeatedWrite(ctx, *txn, secret, version_id, *value));
      if (repeat) {
        Json out = Brief(secret);
        out["VersionId"] = version_id;
        return out;
      }
    }
  }
  const std::string arn = secret.value("ARN", "");
  const std::string old_key = secret.value("KmsKeyId", "");
  if (input.contains("Description")) secret["Description"] = input["Description"];
  if (input.contains("Type")) secret["Type"] = input["Type"];
  if (input.contains("KmsKeyId")) {
    if (input.value("KmsKeyId", "").empty()) {
      secret.erase("KmsKeyId");
    } else {
      secret["KmsKeyId"] = input["KmsKeyId"];
    }
  }
  // What to write: a new version, or, when only the key changes, the labeled versions
  // encrypted again under the new key.
  std::vector<std::pair<std::string, std::string>> values;
  if (value) {
    std::string sealed;
    ASSIGN_OR_RETURN(sealed, SealValue(ctx, secret, version_id, *value, nullptr));
    values.emplace_back(ValueKey(secret, version_id), std::move(sealed));
    AddVersion(secret, version_id, Json(), now);
  } else if (secret.value("KmsKeyId", "") != old_key) {
    Json labeled = VersionIdsToStages(secret);
    for (const auto& [id, stages] : labeled.items()) {
      std::optional<std::string> stored;
      {
        ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
        ASSIGN_OR_RETURN(stored, txn->Get(ValueKey(secret, id)));
      }
      if (!stored) continue;
      ASSIGN_OR_RETURN(SecretValue old, OpenValue(ctx, secret, id, *stored));
      std::string sealed;
      ASSIGN_OR_RETURN(sealed, SealValue(ctx, secret, id, old, nullptr));
      values.emplace_back(ValueKey(secret, id), std::move(sealed));
    }
  }
  secret["LastChangedDate"] = now;
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  // The secret as it is now, with this request's changes (another request may have
  // changed it since it was read).
  ASSIGN_OR_RETURN(Json current, LoadLiveSecret(*txn, ctx, arn));
  if (current.value("ARN", "") != arn) return SecretNotFound();
  for (const char* member : {"Description", "Type", "KmsKeyId"}) {
    if (secret.contains(member)) {
      current[member] = secret[member];
    } else {
      current.erase(member);
    }
  }
  current["LastChangedDate"] = now;
  if (value) {
    if (current["Versions"].contains(version_id)) {
      return TokenInUse(version_id, arn);
    }
    AddVersion(current, version_id, Json(), now);
    RETURN_IF_ERROR(PruneVersions(*txn, current, now));
  }
  for (const auto& [key, record] : values) RETURN_IF_ERROR(txn->Put(key, record));
  RETURN_IF_ERROR(SaveSecret(*txn, current));
  RETURN_IF_ERROR(txn->Commit());
  Json out = Brief(current);
  if (value) out["VersionId"] = version_id;
  return out;
}

Result<Json> DeleteSecret(RequestContext& ctx, const Json& input) {
  const bool force = Flag(input, "ForceDeleteWithoutRecovery");
  const bool has_window = input.contains("RecoveryWindowInDays");
  if (force && has_window) {
    return InvalidParameter(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  }
  const int64_t days = has_window ? input["RecoveryWindowInDays"].get<int64_t>() : 30;
  if (days < 7 || days > 30) {
    return InvalidParameter(
        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
  }
  const std::string secret_id = input.value("SecretId", "");
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> found, FindSecret(*txn, ctx, secret_id));
  if (!found) {
    if (!force) return SecretNotFound();
    // As AWS: forcing the deletion of a secret that does not exist succeeds.
    std::string name =
        secret_id.starts_with("arn:") ? secret_id.substr(secret_id.rfind(':') + 1) : secret_id;
    return Json{{"ARN", NewSecretArn(ctx, name)}, {"Name", name}, {"DeletionDate", now}};
  }
  Json secret = std::move(*found);
  if (IsDeleted(secret) && !force) return MarkedForDeletion();
  if (secret.contains("DeletionDate")) {
    RETURN_IF_ERROR(txn->Delete(DueKey(secret["DeletionDate"].get<int64_t>(), secret)));
  }
  Json out = Brief(secret);
  if (force) {
    RETURN_IF_ERROR(Purge(*txn, secret));
    out["DeletionDate"] = now;
  } else {
    const int64_t when = now + days * kDay;
    secret["DeletedDate"] = now;
    secret["DeletionDate"] = when;
    RETURN_IF_ERROR(txn->Put(DueKey(when, secret), ""));
    RETURN_IF_ERROR(SaveSecret(*txn, secret));
    out["DeletionDate"] = when;
  }
  RETURN_IF_ERROR(txn->Commit());
  return out;
}

Result<Json> RestoreSecret(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadSecret(*txn, ctx, input.value("SecretId", "")));
  if (IsDeleted(secret)) {
    if (secret.contains("DeletionDate")) {
      RETURN_IF_ERROR(txn->Delete(DueKey(secret["DeletionDate"].get<int64_t>(), secret)));
    }
    secret.erase("DeletedDate");
    secret.erase("DeletionDate");
    secret["LastChangedDate"] = iam::Now(ctx);
    RETURN_IF_ERROR(SaveSecret(*txn, secret));
    RETURN_IF_ERROR(txn->Commit());
  }
  return Brief(secret);
}

Result<Json> ListSecrets(RequestContext& ctx, const Json& input) {
  const Json filters = input.value("Filters", Json::array());
  RETURN_IF_ERROR(CheckFilters(filters));
  const std::string sort_by = input.value("SortBy", "created-date");
  const std::string order = input.value("SortOrder", "desc");
  static constexpr std::string_view kSorts[] = {"created-date", "last-accessed-date",
                                                "last-changed-date", "name"};
  if (std::find(std::begin(kSorts), std::end(kSorts), sort_by) == std::end(kSorts)) {
    return InvalidParameter("Invalid SortBy value: " + sort_by + ".");
  }
  const bool include_deleted = Flag(input, "IncludePlannedDeletion");
  std::vector<Json> secrets;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                     txn->Scan(SecretPrefix(ctx.caller.account_id, ctx.region)));
    for (const storage::KeyValue& row : rows) {
      Json secret = Json::parse(row.value, nullptr, /*allow_exceptions=*/false);
      if (!secret.is_object()) continue;
      if (IsDeleted(secret) && !include_deleted) continue;
      bool keep = true;
      for (const Json& filter : filters) keep = keep && Matches(secret, filter);
      if (keep) secrets.push_back(std::move(secret));
    }
  }
  auto field = [&](const Json& s) -> Json {
    if (sort_by == "name") return s.value("Name", "");
    if (sort_by == "last-accessed-date") return s.value("LastAccessedDate", int64_t{0});
    if (sort_by == "last-changed-date") return s.value("LastChangedDate", int64_t{0});
    return s.value("CreatedDate", int64_t{0});
  };
  std::stable_sort(secrets.begin(), secrets.end(), [&](const Json& a, const Json& b) {
    const Json fa = field(a), fb = field(b);
    if (fa != fb) return order == "asc" ? fa < fb : fb < fa;
    return a.value("Name", "") < b.value("Name", "");
  });
  const size_t max = input.value("MaxResults", 100);
  ASSIGN_OR_RETURN(size_t start, StartOf(input, secrets.size()));
  Json list = Json::array();
  size_t i = start;
  for (; i < secrets.size() && list.size() < max; ++i) {
    list.push_back(Metadata(secrets[i], /*list_entry=*/true));
  }
  Json out = {{"SecretList", std::move(list)}};
  if (i < secrets.size()) out["NextToken"] = OffsetToken(i);
  return out;
}

Result<Json> TagResource(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  ASSIGN_OR_RETURN(secret["Tags"], MergeTags(secret.value("Tags", Json::array()),
                                             input.value("Tags", Json::array())));
  secret["LastChangedDate"] = iam::Now(ctx);
  RETURN_IF_ERROR(SaveSecret(*txn, secret));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> UntagResource(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json secret, LoadLiveSecret(*txn, ctx, input.value("SecretId", "")));
  const Json keys = input.value("TagKeys", Json::array());
  Json kept = Json::array();
  for (const Json& tag : secret.value("Tags", Json::array())) {
    if (std::find(keys.begin(), keys.end(), tag["Key"]) == keys.end()) kept.push_back(tag);
  }
  secret["Tags"] = std::move(kept);
  secret["LastChangedDate"] = iam::Now(ctx);
  RETURN_IF_ERROR(SaveSecret(*txn, secret));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Status Maintain(ServiceEnvironment& env) {
  RequestContext ctx;
  ctx.env = &env;
  constexpr size_t kBatch = 32;
  constexpr int kMaxRounds = 64;
  for (int round = 0; round < kMaxRounds; ++round) {
    const int64_t now = iam::Now(ctx);
    ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
    ASSIGN_OR_RETURN(std::vector<DueEntry> due, TakeDue(*txn, kDuePrefix, now, kBatch));
    for (const DueEntry& entry : due) {
      ASSIGN_OR_RETURN(std::optional<Json> secret,
                       iam::Load(*txn, SecretKey(entry.account, entry.region, entry.name)));
      if (secret && IsDeleted(*secret) && secret->value("DeletionDate", now + 1) <= now) {
        RETURN_IF_ERROR(Purge(*txn, *secret));
      }
    }
    RETURN_IF_ERROR(txn->Commit());
    if (due.size() < kBatch) break;
  }
  return RotateDueSecrets(env);
}

}  // namespace bulwark::secretsmanager
