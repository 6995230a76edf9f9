// Trails: CreateTrail, UpdateTrail, DeleteTrail, GetTrail, DescribeTrails, ListTrails,
// StartLogging, StopLogging, GetTrailStatus, PutEventSelectors, GetEventSelectors and
// tags. Delivery of what a trail logs is delivery.cc's.
#include <algorithm>
#include <chrono>

#include "core/json_text.h"
#include "services/cloudtrail/common.h"
#include "services/cloudtrail/event_log.h"
#include "services/cloudtrail/handlers.h"
#include "services/cloudtrail/selectors.h"
#include "services/service_util.h"

namespace bulwark::cloudtrail {
namespace {

bool BucketChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// S3's bucket naming rules (the bucket is a directory under the trail bucket root, so a
// name can never leave it).
Status CheckBucketName(std::string_view name) {
  const auto invalid = [&] {
    return Error("InvalidS3BucketNameException",
                 "Bucket name " + std::string(name) + " is not valid.");
  };
  if (name.size() < 3 || name.size() > 63) return invalid();
  if (!std::all_of(name.begin(), name.end(), BucketChar)) return invalid();
  const auto alnum = [](char c) { return c != '.' && c != '-'; };
  if (!alnum(name.front()) || !alnum(name.back())) return invalid();
  if (name.find("..") != std::string_view::npos || name.find(".-") != std::string_view::npos ||
      name.find("-.") != std::string_view::npos) {
    return invalid();
  }
  if (std::all_of(name.begin(), name.end(),
                  [](char c) { return c == '.' || (c >= '0' && c <= '9'); })) {
    return invalid();  // an IP address
  }
  return Status::Ok();
}

// At most 200 characters, and a path that stays inside the bucket: no empty, "." or ".."
// segment, no control characters.
Status CheckKeyPrefix(std::string_view prefix) {
  const auto invalid = [&] {
    return Error("InvalidS3PrefixException",
                 "The S3 key prefix " + std::string(prefix) + " is not valid.");
  };
  if (prefix.size() > 200) return invalid();
  if (prefix.empty()) return Status::Ok();
  if (std::any_of(prefix.begin(), prefix.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\\'; })) {
    return invalid();
  }
  std::string_view rest = prefix;
  if (rest.ends_with('/')) rest.remove_suffix(1);
  while (true) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") return invalid();
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return Status::Ok();
}

Status Unsupported(std::string what) {
  return Error("UnsupportedOperationException", std::move(what));
}

// What CreateTrail and UpdateTrail share: the settings of `input` applied to `trail`.
Status ApplySettings(const Json& input, Json& trail) {
  for (const char* member :
       {"SnsTopicName", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn"}) {
    if (input.contains(member) && !input[member].get<std::string>().empty()) {
      return Unsupported(std::string(member) +
                         ": Bulwark delivers log files to a local directory only (no SNS "
                         "notifications, no CloudWatch Logs).");
    }
  }
  if (input.contains("KmsKeyId") && !input["KmsKeyId"].get<std::string>().empty()) {
    return Unsupported(
        "KmsKeyId: Bulwark writes log files unencrypted (mode 0600) to a local directory; "
        "SSE-KMS is not supported.");
  }
  if (input.value("IsOrganizationTrail", false)) {
    return Unsupported("IsOrganizationTrail: organization trails are not supported by Bulwark.");
  }
  if (auto it = input.find("S3BucketName"); it != input.end()) {
    RETURN_IF_ERROR(CheckBucketName(it->get<std::string>()));
    trail["S3BucketName"] = *it;
  }
  if (auto it = input.find("S3KeyPrefix"); it != input.end()) {
    RETURN_IF_ERROR(CheckKeyPrefix(it->get<std::string>()));
    if (it->get<std::string>().empty()) {
      trail.erase("S3KeyPrefix");
    } else {
      trail["S3KeyPrefix"] = *it;
    }
  }
  for (const char* member : {"IncludeGlobalServiceEvents", "IsMultiRegionTrail"}) {
    if (input.contains(member)) trail[member] = input[member];
  }
  if (input.contains("EnableLogFileValidation")) {
    trail["LogFileValidationEnabled"] = input["EnableLogFileValidation"];
  }
  if (trail.value("IsMultiRegionTrail", false) &&
      !trail.value("IncludeGlobalServiceEvents", true)) {
    return Error("InvalidParameterCombinationException",
                 "Multi-Region trail must include global service events.");
  }
  return Status::Ok();
}

// CreateTrail's and UpdateTrail's answer.
Json SettingsOf(const Json& trail) {
  Json out = {{"Name", trail["Name"]},
              {"S3BucketName", trail["S3BucketName"]},
              {"IncludeGlobalServiceEvents", trail.value("IncludeGlobalServiceEvents", true)},
              {"IsMultiRegionTrail", trail.value("IsMultiRegionTrail", false)},
              {"TrailARN", trail["TrailARN"]},
              {"LogFileValidationEnabled", trail.value("LogFileValidationEnabled", false)},
              {"IsOrganizationTrail", false}};
  if (trail.contains("S3KeyPrefix")) out["S3KeyPrefix"] = trail["S3KeyPrefix"];
  return out;
}

// GetTrail's and DescribeTrails' Trail.
Json TrailOf(const Json& trail) {
  Json out = SettingsOf(trail);
  out["HomeRegion"] = trail["HomeRegion"];
  out["HasCustomEventSelectors"] =
      trail.contains("EventSelectors") || trail.contains("AdvancedEventSelectors");
  out["HasInsightSelectors"] = false;
  return out;
}

// The trails a Region sees: its own, and the multi-Region trails of other home Regions.
Result<std::vector<Json>> TrailsSeenIn(storage::Transaction& txn, const RequestContext& ctx,
                                       bool shadows) {
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                   txn.Scan(std::string(kTrailPrefix) + ctx.caller.account_id + "/"));
  std::vector<Json> out;
  for (const storage::KeyValue& row : rows) {
    Json trail = Json::parse(row.value);
    const bool home = trail.value("HomeRegion", "") == ctx.region;
    if (home || (shadows && trail.value("IsMultiRegionTrail", false)))
      out.push_back(std::move(trail));
  }
  return out;
}

// Reads, changes and writes back the trail `name` names, in its home Region.
template <typename Fn>
Result<Json> ChangeTrail(RequestContext& ctx, std::string_view name, Fn&& change) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->Begin());
  ASSIGN_OR_RETURN(FoundTrail found, FindTrail(*txn, ctx, name));
  RETURN_IF_ERROR(RequireHomeRegion(ctx, found.record));
  ASSIGN_OR_RETURN(Json out, change(found.record, *txn));
  RETURN_IF_ERROR(txn->Put(found.key, found.record.dump()));
  RETURN_IF_ERROR(txn->Commit());
  return out;
}

// A name is taken in a Region by its trails and by the multi-Region trails of other
// Regions; a multi-Region trail needs it free in every Region.
// `trail` itself, when it is stored already (UpdateTrail), does not count.
Status CheckNameFree(storage::Transaction& txn, const RequestContext& ctx, const Json& trail,
                     bool stored) {
  const std::string name = trail["Name"].get<std::string>();
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> all,
                   txn.Scan(std::string(kTrailPrefix) + account + "/"));
  for (const storage::KeyValue& row : all) {
    Json other = Json::parse(row.value);
    if (other.value("Name", "") != name) continue;
    if (stored && other["TrailARN"] == trail["TrailARN"]) continue;
    if (other.value("HomeRegion", "") == ctx.region || other.value("IsMultiRegionTrail", false) ||
        trail.value("IsMultiRegionTrail", false)) {
      return Error("TrailAlreadyExistsException",
                   "Trail " + name + " already exists for customer: " + account);
    }
  }
  return Status::Ok();
}

Status CheckTags(const Json& tags) {
  for (const Json& tag : tags) {
    const std::string key = tag.value("Key", "");
    if (key.empty() || key.size() > 128 || tag.value("Value", "").size() > 256 ||
        key.starts_with("aws:")) {
      return Error("InvalidTagParameterException", "Tag key or value is not valid: " + key + ".");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Json> CreateTrail(RequestContext& ctx, const Json& input) {
  const std::string name = input["Name"].get<std::string>();
  RETURN_IF_ERROR(CheckTrailName(name));
  const std::string& account = ctx.caller.account_id;
  Json trail = {{"Name", name},
                {"HomeRegion", ctx.region},
                {"TrailARN", TrailArn(ctx.region, account, name)},
                {"IncludeGlobalServiceEvents", true},
                {"IsMultiRegionTrail", false},
                {"LogFileValidationEnabled", false},
                {"Logging", false},
                {"Tags", Json::array()},
                {"Status", Json::object()}};
  RETURN_IF_ERROR(ApplySettings(input, trail));
  if (auto it = input.find("TagsList"); it != input.end()) {
    RETURN_IF_ERROR(CheckTags(*it));
    trail["Tags"] = UpsertTags(Json::array(), *it);
    if (trail["Tags"].size() > kMaxTags) {
      return Error("TagsLimitExceededException", "The number of tags exceeds the limit of 50.");
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->Begin());
  ASSIGN_OR_RETURN(std::vector<Json> seen, TrailsSeenIn(*txn, ctx, /*shadows=*/true));
  RETURN_IF_ERROR(CheckNameFree(*txn, ctx, trail, /*stored=*/false));
  if (seen.size() >= kMaxTrailsPerRegion) {
    return Error("MaximumNumberOfTrailsExceededException", "User: " + account + " already has " +
                                                               std::to_string(kMaxTrailsPerRegion) +
                                                               " trails in " + ctx.region + ".");
  }
  RETURN_IF_ERROR(txn->Put(TrailKey(account, ctx.region, name), trail.dump()));
  RETURN_IF_ERROR(txn->Commit());
  return SettingsOf(trail);
}

Result<Json> UpdateTrail(RequestContext& ctx, const Json& input) {
  return ChangeTrail(ctx, input["Name"].get<std::string>(),
                     [&](Json& trail, storage::Transaction& txn) -> Result<Json> {
                       const bool was_multi = trail.value("IsMultiRegionTrail", false);
                       RETURN_IF_ERROR(ApplySettings(input, trail));
                       if (!was_multi && trail.value("IsMultiRegionTrail", false)) {
                         // Its name must now be free in every Region.
                         RETURN_IF_ERROR(CheckNameFree(txn, ctx, trail, /*stored=*/true));
                       }
                       return SettingsOf(trail);
                     });
}

Result<Json> DeleteTrail(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->Begin());
  ASSIGN_OR_RETURN(FoundTrail found, FindTrail(*txn, ctx, input["Name"].get<std::string>()));
  RETURN_IF_ERROR(RequireHomeRegion(ctx, found.record));
  RETURN_IF_ERROR(txn->Delete(found.key));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> GetTrail(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->BeginReadOnly());
  ASSIGN_OR_RETURN(FoundTrail found, FindTrail(*txn, ctx, input["Name"].get<std::string>()));
  return Json{{"Trail", TrailOf(found.record)}};
}

Result<Json> DescribeTrails(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->BeginReadOnly());
  const bool shadows = input.value("includeShadowTrails", true);
  Json list = Json::array();
  if (auto names = input.find("trailNameList"); names != input.end() && !names->empty()) {
    // The trails named that exist; the others are left out, as AWS does.
    for (const Json& name : *names) {
      Result<FoundTrail> found = FindTrail(*txn, ctx, name.get<std::string>());
      if (found.ok()) {
        const bool home = found->record.value("HomeRegion", "") == ctx.region;
        if (home || shadows) list.push_back(TrailOf(found->record));
      } else if (found.status().kind() != ErrorKind::kService ||
                 found.status().code() != "TrailNotFoundException") {
        return found.status();
      }
    }
  } else {
    ASSIGN_OR_RETURN(std::vector<Json> seen, TrailsSeenIn(*txn, ctx, shadows));
    for (const Json& trail : seen) list.push_back(TrailOf(trail));
  }
  return Json{{"trailList", std::move(list)}};
}

Result<Json> ListTrails(RequestContext& ctx, const Json& input) {
  constexpr size_t kPage = 50;
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->BeginReadOnly());
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                   txn->Scan(std::string(kTrailPrefix) + ctx.caller.account_id + "/"));
  size_t start = 0;
  if (auto it = input.find("NextToken"); it != input.end()) {
    std::optional<size_t> at = OffsetOf(it->get<std::string>(), rows.size());
    if (!at) return Error("InvalidTokenException", "Invalid token.");
    start = *at;
  }
  Json trails = Json::array();
  for (size_t i = start; i < rows.size() && i < start + kPage; ++i) {
    Json t = Json::parse(rows[i].value);
    trails.push_back(
        {{"TrailARN", t["TrailARN"]}, {"Name", t["Name"]}, {"HomeRegion", t["HomeRegion"]}});
  }
  Json out = {{"Trails", std::move(trails)}};
  if (start + kPage < rows.size()) out["NextToken"] = OffsetToken(start + kPage);
  return out;
}

Result<Json> StartLogging(RequestContext& ctx, const Json& input) {
  // Delivery starts at the journal's end: what happens from now on.
  Position end;
  if (EventLog* log = ctx.env->audit_log) {
    RETURN_IF_ERROR(log->Flush());
    ASSIGN_OR_RETURN(end, log->End());
  }
  const int64_t now = NowMs() / 1000;
  return ChangeTrail(ctx, input["Name"].get<std::string>(),
                     [&](Json& trail, storage::Transaction&) -> Result<Json> {
                       if (!trail.value("Logging", false)) {
                         trail["Logging"] = true;
                         trail["Status"]["StartLoggingTime"] = now;
                         Json& delivery = trail["Delivery"];
                         if (!delivery.contains("Segment")) {
                           delivery["Segment"] = end.segment;
                           delivery["Offset"] = end.offset;
                         }
                       }
                       return Json::object();
                     });
}

Result<Json> StopLogging(RequestContext& ctx, const Json& input) {
  const int64_t now = NowMs() / 1000;
  return ChangeTrail(ctx, input["Name"].get<std::string>(),
                     [&](Json& trail, storage::Transaction&) -> Result<Json> {
                       if (trail.value("Logging", false)) {
                         trail["Logging"] = false;
                         trail["Status"]["StopLoggingTime"] = now;
                       }
                       return Json::object();
                     });
}

Result<Json> GetTrailStatus(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->BeginReadOnly());
  ASSIGN_OR_RETURN(FoundTrail found, FindTrail(*txn, ctx, input["Name"].get<std::string>()));
  const Json& trail = found.record;
  const Json status = trail.value("Status", Json::object());
  Json out = {{"IsLogging", trail.value("Logging", false)}};
  for (const char* time :
       {"LatestDeliveryTime", "StartLoggingTime", "StopLoggingTime", "LatestDigestDeliveryTime"}) {
    if (status.contains(time)) out[time] = status[time];
  }
  for (const char* error : {"LatestDeliveryError", "LatestDigestDeliveryError"}) {
    if (status.contains(error)) out[error] = status[error];
  }
  // The fields AWS answers as strings.
  if (status.contains("LatestDeliveryAttemptTime")) {
    out["LatestDeliveryAttemptTime"] = IsoTime(status["LatestDeliveryAttemptTime"].get<int64_t>());
    out["LatestDeliveryAttemptSucceeded"] =
        status.contains("LatestDeliveryError") ? "" : out["LatestDeliveryAttemptTime"];
  }
  if (status.contains("StartLoggingTime")) {
    out["TimeLoggingStarted"] = IsoTime(status["StartLoggingTime"].get<int64_t>());
  }
  if (status.contains("StopLoggingTime")) {
    out["TimeLoggingStopped"] = IsoTime(status["StopLoggingTime"].get<int64_t>());
  }
  return out;
}

Result<Json> PutEventSelectors(RequestContext& ctx, const Json& input) {
  const bool basic = input.contains("EventSelectors");
  const bool advanced = input.contains("AdvancedEventSelectors");
  if (basic == advanced) {
    return Error("InvalidParameterCombinationException",
                 basic ? "You cannot apply EventSelectors and AdvancedEventSelectors to a trail "
                         "at the same time."
                       : "You must specify EventSelectors or AdvancedEventSelectors.");
  }
  if (basic) {
    RETURN_IF_ERROR(CheckEventSelectors(input["EventSelectors"]));
  } else {
    RETURN_IF_ERROR(CheckAdvancedEventSelectors(input["AdvancedEventSelectors"]));
  }
  return ChangeTrail(ctx, input["TrailName"].get<std::string>(),
                     [&](Json& trail, storage::Transaction&) -> Result<Json> {
                       trail.erase("EventSelectors");
                       trail.erase("AdvancedEventSelectors");
                       Json out = {{"TrailARN", trail["TrailARN"]}};
                       if (basic) {
                         trail["EventSelectors"] =
                             NormalizedEventSelectors(input["EventSelectors"]);
                         out["EventSelectors"] = trail["EventSelectors"];
                       } else {
                         trail["AdvancedEventSelectors"] = input["AdvancedEventSelectors"];
                         out["AdvancedEventSelectors"] = trail["AdvancedEventSelectors"];
                       }
                       return out;
                     });
}

Result<Json> GetEventSelectors(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->BeginReadOnly());
  ASSIGN_OR_RETURN(FoundTrail found, FindTrail(*txn, ctx, input["TrailName"].get<std::string>()));
  const Json& trail = found.record;
  Json out = {{"TrailARN", trail["TrailARN"]}};
  if (trail.contains("AdvancedEventSelectors")) {
    out["AdvancedEventSelectors"] = trail["AdvancedEventSelectors"];
  } else {
    out["EventSelectors"] = trail.value("EventSelectors", DefaultEventSelectors());
  }
  return out;
}

namespace {

// The trail a tag operation's ResourceId names (an ARN).
template <typename Fn>
Result<Json> ChangeTags(RequestContext& ctx, const Json& input, Fn&& change) {
  const std::string id = input["ResourceId"].get<std::string>();
  if (!id.starts_with("arn:aws:cloudtrail:")) {
    return Error("CloudTrailARNInvalidException", "The ARN " + id + " is not valid.");
  }
  return ChangeTrail(ctx, id, [&](Json& trail, storage::Transaction&) -> Result<Json> {
    ASSIGN_OR_RETURN(trail["Tags"], change(trail.value("Tags", Json::array())));
    return Json::object();
  });
}

}  // namespace

Result<Json> AddTags(RequestContext& ctx, const Json& input) {
  const Json& tags = input["TagsList"];
  RETURN_IF_ERROR(CheckTags(tags));
  return ChangeTags(ctx, input, [&](const Json& existing) -> Result<Json> {
    Json out = UpsertTags(existing, tags);
    if (out.size() > kMaxTags) {
      return Error("TagsLimitExceededException", "The number of tags exceeds the limit of 50.");
    }
    return out;
  });
}

Result<Json> RemoveTags(RequestContext& ctx, const Json& input) {
  const Json& tags = input["TagsList"];
  return ChangeTags(ctx, input, [&](const Json& existing) -> Result<Json> {
    Json out = Json::array();
    for (const Json& tag : existing) {
      // A tag goes when its key is named, with the same value if one is given.
      const bool named = std::any_of(tags.begin(), tags.end(), [&](const Json& t) {
        return t.value("Key", "") == tag.value("Key", "") &&
               (!t.contains("Value") || t.value("Value", "") == tag.value("Value", ""));
      });
      if (!named) out.push_back(tag);
    }
    return out;
  });
}

Result<Json> ListTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, ctx.env->store->BeginReadOnly());
  const Json& ids = input["ResourceIdList"];
  if (ids.size() > 20) {
    return Error("InvalidParameterException", "ResourceIdList can hold at most 20 ARNs.");
  }
  Json list = Json::array();
  for (const Json& id : ids) {
    const std::string arn = id.get<std::string>();
    if (!arn.starts_with("arn:aws:cloudtrail:")) {
      return Error("CloudTrailARNInvalidException", "The ARN " + arn + " is not valid.");
    }
    Result<FoundTrail> found = FindTrail(*txn, ctx, arn);
    if (!found.ok()) {
      if (found.status().kind() == ErrorKind::kService &&
          found.status().code() == "TrailNotFoundException") {
        return Error("ResourceNotFoundException", "Resource not found: " + arn + ".");
      }
      return found.status();
    }
    list.push_back({{"ResourceId", arn}, {"TagsList", found->record.value("Tags", Json::array())}});
  }
  return Json{{"ResourceTagList", std::move(list)}};
}

}  // namespace bulwark::cloudtrail
