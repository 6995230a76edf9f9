#include "services/iam/common.h"

#include <algorithm>
#include <cctype>

#include "crypto/crypto.h"

namespace bulwark::iam {

Status NoSuchEntity(std::string message) {
  return Status::Service("NoSuchEntity", 404, std::move(message));
}
Status EntityAlreadyExists(std::string message) {
  return Status::Service("EntityAlreadyExists", 409, std::move(message));
}
Status LimitExceeded(std::string message) {
  return Status::Service("LimitExceeded", 409, std::move(message));
}
Status DeleteConflict(std::string message) {
  return Status::Service("DeleteConflict", 409, std::move(message));
}
Status InvalidInput(std::string message) {
  return Status::Service("InvalidInput", 400, std::move(message));
}
Status MalformedPolicyDocument(std::string message) {
  return Status::Service("MalformedPolicyDocument", 400, std::move(message));
}
Status Unmodifiable(std::string message) {
  return Status::Service("UnmodifiableEntity", 400, std::move(message));
}
Status PolicyNotAttachable(std::string message) {
  return Status::Service("PolicyNotAttachable", 400, std::move(message));
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kUser:
      return "user";
    case Kind::kGroup:
      return "group";
    case Kind::kRole:
      return "role";
    case Kind::kPolicy:
      return "policy";
  }
  return "user";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string KindPrefix(std::string_view account, Kind kind) {
  std::string key = "iam/";
  key.append(account).append("/").append(KindName(kind)).append("/");
  return key;
}

std::string EntityKey(std::string_view account, Kind kind, std::string_view name) {
  return KindPrefix(account, kind) + Lower(name);
}

std::string UserKeyPrefix(std::string_view account, std::string_view user_name) {
  std::string key = "iam/";
  key.append(account).append("/user-key/").append(Lower(user_name)).append("/");
  return key;
}

std::string MfaDevicePrefix(std::string_view account) {
  std::string key = "iam/";
  key.append(account).append("/mfa/");
  return key;
}

std::string MfaDeviceKey(std::string_view account, std::string_view device_name) {
  return MfaDevicePrefix(account) + Lower(device_name);
}

std::string PasswordPolicyKey(std::string_view account) {
  std::string key = "iam/";
  key.append(account).append("/password-policy");
  return key;
}

std::string Arn(std::string_view account, Kind kind, std::string_view path, std::string_view name) {
  std::string arn = "arn:aws:iam::";
  arn.append(account).append(":").append(KindName(kind)).append(path).append(name);
  return arn;
}

Result<std::string> PathOf(const Json& input, std::string_view member) {
  auto it = input.find(member);
  if (it == input.end() || !it->is_string()) return std::string("/");
  std::string path = it->get<std::string>();
  // The model's pattern already limits the characters; IAM also wants both slashes.
  if (path.empty() || path.front() != '/' || path.back() != '/' || path.size() > 512) {
    return InvalidInput(
        "The specified value for path is invalid. It must begin and end with / "
        "and contain only alphanumeric characters and/or / characters.");
  }
  return path;
}

Result<std::optional<Json>> Load(storage::Transaction& txn, std::string_view key) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn.Get(key));
  if (!raw) return std::optional<Json>();
  Json record = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) {
    return Status(ErrorKind::kInternalFailure, "corrupt IAM record " + std::string(key));
  }
  return std::optional<Json>(std::move(record));
}

Status Save(storage::Transaction& txn, std::string_view key, const Json& record) {
  return txn.Put(key, record.dump());
}

Status Commit(RequestContext& ctx, storage::Transaction& txn) {
  RETURN_IF_ERROR(txn.Commit());
  ctx.env->iam_generation.fetch_add(1, std::memory_order_acq_rel);
  return Status::Ok();
}

Result<Json> LoadEntity(storage::Transaction& txn, std::string_view account, Kind kind,
                        std::string_view name) {
  ASSIGN_OR_RETURN(std::optional<Json> record, Load(txn, EntityKey(account, kind, name)));
  if (!record) {
    return NoSuchEntity("The " + std::string(KindName(kind)) + " with name " + std::string(name) +
                        " cannot be found.");
  }
  return std::move(*record);
}

Result<size_t> Count(storage::Transaction& txn, std::string_view prefix) {
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(prefix));
  return rows.size();
}

Result<Json> MergeTags(const Json& existing, const Json& tags) {
  Json merged = existing.is_array() ? existing : Json::array();
  std::vector<std::string> seen;
  for (const Json& tag : tags) {
    std::string key = Lower(tag.value("Key", ""));
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return InvalidInput(
          "Duplicate tag keys found. Please note that Tag keys are case "
          "insensitive.");
    }
    seen.push_back(key);
    Json entry = {{"Key", tag.value("Key", "")}, {"Value", tag.value("Value", "")}};
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&](const Json& t) { return Lower(t.value("Key", "")) == key; });
    if (same != merged.end()) {
      *same = std::move(entry);
    } else {
      merged.push_back(std::move(entry));
    }
  }
  if (merged.size() > kMaxTagsPerEntity) {
    return LimitExceeded("The number of tags has reached the maximum limit.");
  }
  return merged;
}

Json RemoveTags(const Json& existing, const Json& tag_keys) {
  Json out = Json::array();
  if (!existing.is_array()) return out;
  for (const Json& t : existing) {
    std::string key = Lower(t.value("Key", ""));
    bool drop = std::any_of(tag_keys.begin(), tag_keys.end(), [&](const Json& k) {
      return k.is_string() && Lower(k.get<std::string>()) == key;
    });
    if (!drop) out.push_back(t);
  }
  return out;
}

namespace {

constexpr size_t kDefaultMaxItems = 100;

size_t MaxItemsOf(const Json& input) {
  auto it = input.find("MaxItems");
  if (it == input.end() || !it->is_number_integer()) return kDefaultMaxItems;
  return static_cast<size_t>(std::clamp<int64_t>(it->get<int64_t>(), 1, 1000));
}

// Markers are the base64 of the last key (or index) returned: opaque to clients, and a
// forged one can only move the start of a scan within the caller's own prefix.
std::string EncodeMarker(std::string_view position) { return crypto::Base64Encode(position); }

Result<std::string> DecodeMarker(const Json& input) {
  auto it = input.find("Marker");
  if (it == input.end() || !it->is_string()) return std::string();
  auto raw = crypto::Base64Decode(it->get<std::string>());
  if (!raw || raw->empty()) return InvalidInput("Invalid Marker.");
  return std::string(raw->begin(), raw->end());
}

}  // namespace

Result<Page> ListRecords(storage::Transaction& txn, std::string_view prefix, const Json& input,
                         const std::function<bool(const Json&)>& keep,
                         const std::function<Json(const Json&)>& shape) {
  const size_t max_items = MaxItemsOf(input);
  ASSIGN_OR_RETURN(std::string after, DecodeMarker(input));
  std::string start_after = after.empty() ? std::string() : std::string(prefix) + after;
  Page page;
  // Filtered listings may need several batches to fill a page.
  constexpr size_t kBatch = 256;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(prefix, start_after, kBatch));
    for (const storage::KeyValue& row : rows) {
      Json record = Json::parse(row.value, nullptr, false);
      if (!record.is_object()) continue;
      if (keep && !keep(record)) continue;
      if (page.items.size() == max_items) {
        page.truncated = true;
        return page;
      }
      page.items.push_back(shape(record));
      page.marker = EncodeMarker(std::string_view(row.key).substr(prefix.size()));
    }
    if (rows.size() < kBatch) break;
    start_after = rows.back().key;
  }
  page.marker.clear();
  return page;
}

Result<Page> PageOf(const Json& all, const Json& input) {
  const size_t max_items = MaxItemsOf(input);
  ASSIGN_OR_RETURN(std::string after, DecodeMarker(input));
  size_t start = 0;
  if (!after.empty()) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(after.c_str(), &end, 10);
    if (*end != '\0' || v > all.size()) return InvalidInput("Invalid Marker.");
    start = static_cast<size_t>(v);
  }
  Page page;
  size_t i = start;
  for (; i < all.size() && page.items.size() < max_items; ++i) page.items.push_back(all[i]);
  if (i < all.size()) {
    page.truncated = true;
    page.marker = EncodeMarker(std::to_string(i));
  }
  return page;
}

Json PageOutput(Page page, std::string_view list_member) {
  Json out = {{std::string(list_member), std::move(page.items)}, {"IsTruncated", page.truncated}};
  if (page.truncated) out["Marker"] = page.marker;
  return out;
}

Result<std::unique_ptr<storage::Transaction>> BeginWrite(RequestContext& ctx) {
  return ctx.env->store->Begin();
}

Result<std::unique_ptr<storage::Transaction>> BeginRead(RequestContext& ctx) {
  return ctx.env->store->BeginReadOnly();
}

int64_t Now(const RequestContext& ctx) { return ctx.env->now_unix(); }

}  // namespace bulwark::iam
