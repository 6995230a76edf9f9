// KMS key tags: TagResource, UntagResource, ListResourceTags, the checks CreateKey's tags
// pass too, and the request's tag condition keys.
//
// Tags live in the key record ("Tags": [{"TagKey", "TagValue"}], see common.h).
#include <algorithm>
#include <cctype>
#include <set>

#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"

namespace bulwark::kms {
namespace {

constexpr size_t kMaxTags = 50;  // user tags per resource
constexpr size_t kDefaultListLimit = 50;
constexpr size_t kMaxListLimit = 50;

Status TagError(std::string message) {
  return Status::Service("TagException", 400, std::move(message));
}

// Keys beginning with "aws:", in any case, are AWS's own.
bool Reserved(std::string_view tag_key) {
  if (tag_key.size() < 4) return false;
  std::string head(tag_key.substr(0, 4));
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return head == "aws:";
}

// The key a tagging operation changes: the caller's own, not pending deletion.
Result<Json> KeyToTag(storage::Transaction& txn, RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(Json key, LoadOwnKey(txn, ctx, input.value("KeyId", "")));
  if (IsPendingDeletion(key)) {
    return InvalidState(key.value("Arn", "") + " is pending deletion.");
  }
  return key;
}

}  // namespace

Status CheckTags(const Json& tags) {
  if (!tags.is_array()) return Status::Ok();
  if (tags.size() > kMaxTags) return TagError("Too many tags");
  std::set<std::string> seen;
  for (const Json& tag : tags) {
    const std::string key = tag.value("TagKey", "");
    if (Reserved(key)) return TagError("Tags beginning with aws: are reserved");
    if (!seen.insert(key).second) return TagError("Duplicate tag keys");
  }
  return Status::Ok();
}

void SetTagRequestKeys(const OperationSpec& op, const Json& input,
                       policy::RequestContext* request) {
  // KMS names the members TagKey and TagValue, so the pipeline's reading of Key and Value
  // does not apply.
  std::vector<std::string> keys;
  if (op.name == "TagResource") {
    for (const Json& tag : ArrayMember(input, "Tags")) {
      request->SetKey("aws:RequestTag/" + tag.value("TagKey", ""), tag.value("TagValue", ""));
      keys.push_back(tag.value("TagKey", ""));
    }
  } else if (op.name == "UntagResource") {
    for (const Json& key : ArrayMember(input, "TagKeys")) {
      if (key.is_string()) keys.push_back(key.get<std::string>());
    }
  }
  if (!keys.empty()) request->SetMultiValuedKey("aws:TagKeys", std::move(keys));
}

Result<Json> TagResource(RequestContext& ctx, const Json& input) {
  const Json& tags = ArrayMember(input, "Tags");
  RETURN_IF_ERROR(CheckTags(tags));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyToTag(*txn, ctx, input));
  // A key already there takes the new value; new keys are added.
  Json merged = key.value("Tags", Json::array());
  for (const Json& tag : tags) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const Json& t) {
      return t.value("TagKey", "") == tag.value("TagKey", "");
    });
    const Json entry = {{"TagKey", tag.value("TagKey", "")},
                        {"TagValue", tag.value("TagValue", "")}};
    if (same != merged.end()) {
      *same = entry;
    } else {
      merged.push_back(entry);
    }
  }
  if (merged.size() > kMaxTags) return TagError("Too many tags");
  key["Tags"] = std::move(merged);
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> UntagResource(RequestContext& ctx, const Json& input) {
  const Json& tag_keys = ArrayMember(input, "TagKeys");
  std::set<std::string> removed;
  for (const Json& k : tag_keys) {
    const std::string name = k.is_string() ? k.get<std::string>() : "";
    if (Reserved(name)) return TagError("Tags beginning with aws: are reserved");
    removed.insert(name);
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, KeyToTag(*txn, ctx, input));
  // A key the KMS key does not have is no error.
  Json kept = Json::array();
  for (const Json& tag : ArrayMember(key, "Tags")) {
    if (!removed.contains(tag.value("TagKey", ""))) kept.push_back(tag);
  }
  key["Tags"] = std::move(kept);
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> ListResourceTags(RequestContext& ctx, const Json& input) {
  // AWS takes 1 to 50 and returns "fewer" for more.
  const size_t limit = std::min(input.value("Limit", kDefaultListLimit), kMaxListLimit);
  std::optional<std::string> after;
  if (auto it = input.find("Marker"); it != input.end()) {
    after = crypto::Base64Decode(it->get<std::string>());
    if (!after || after->empty()) {
      return Status::Service("InvalidMarkerException", 400, "Invalid marker.");
    }
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  // Any key state: a key pending deletion still shows its tags.
  ASSIGN_OR_RETURN(Json key, LoadOwnKey(*txn, ctx, input.value("KeyId", "")));
  // By tag key, so that a marker (the last key returned) stays valid while tags change.
  std::vector<Json> tags;
  for (const Json& tag : ArrayMember(key, "Tags")) {
    if (!after || tag.value("TagKey", "") > *after) tags.push_back(tag);
  }
  std::sort(tags.begin(), tags.end(), [](const Json& a, const Json& b) {
    return a.value("TagKey", "") < b.value("TagKey", "");
  });
  const bool truncated = tags.size() > limit;
  if (truncated) tags.resize(limit);
  Json out = {{"Tags", tags}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = crypto::Base64Encode(tags.back().value("TagKey", ""));
  return out;
}

}  // namespace bulwark::kms
