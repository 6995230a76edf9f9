#include "services/cloudtrail/common.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>

namespace bulwark::cloudtrail {
namespace {

bool Alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsTrailArn(std::string_view s) { return s.starts_with("arn:"); }

// arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME → {region, account, name}.
std::optional<std::array<std::string, 3>> ParseTrailArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:cloudtrail:";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  arn.remove_prefix(kPrefix.size());
  size_t c1 = arn.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  size_t c2 = arn.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  std::string_view resource = arn.substr(c2 + 1);
  if (!resource.starts_with("trail/")) return std::nullopt;
  std::array<std::string, 3> out = {std::string(arn.substr(0, c1)),
                                    std::string(arn.substr(c1 + 1, c2 - c1 - 1)),
                                    std::string(resource.substr(6))};
  if (out[0].empty() || out[1].size() != 12 || out[2].empty()) return std::nullopt;
  return out;
}

}  // namespace

Status Error(std::string code, std::string message) {
  return Status::Service(std::move(code), 400, std::move(message));
}

Status TrailNotFound(std::string_view account, std::string_view name) {
  return Error("TrailNotFoundException",
               "Unknown trail: " + std::string(name) + " for the user: " + std::string(account));
}

Status InvalidTimeRange() {
  return Error("InvalidTimeRangeException",
               "Start time must be earlier than end time: specify a valid time range.");
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status CheckTrailName(std::string_view name) {
  const auto invalid = [](std::string message) {
    return Error("InvalidTrailNameException", std::move(message));
  };
  if (name.size() < 3) {
    return invalid(
        "Trail name too short. Minimum allowed length: 3 characters. Specified name length: " +
        std::to_string(name.size()) + " characters.");
  }
  if (name.size() > 128) {
    return invalid(
        "Trail name too long. Maximum allowed length: 128 characters. Specified name length: " +
        std::to_string(name.size()) + " characters.");
  }
  if (!Alnum(name.front())) return invalid("Trail name must starts with a letter or number.");
  if (!Alnum(name.back())) return invalid("Trail name must ends with a letter or number.");
  const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return Alnum(c) || c == '.' || c == '-' || c == '_';
  });
  if (!chars_ok) {
    return invalid(
        "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, "
        "periods (.), hyphens (-), and underscores (_).");
  }
  for (size_t i = 1; i < name.size(); ++i) {
    if (!Alnum(name[i]) && !Alnum(name[i - 1])) {
      return invalid("Trail name cannot have adjacent periods, underscores or dashes.");
    }
  }
  in_addr addr{};
  if (::inet_pton(AF_INET, std::string(name).c_str(), &addr) == 1) {
    return invalid("Trail name cannot be formatted as an IP address.");
  }
  return Status::Ok();
}

std::string TrailKey(std::string_view account, std::string_view region, std::string_view name) {
  std::string key(kTrailPrefix);
  key.append(account).push_back('/');
  key.append(region).push_back('/');
  key.append(name);
  return key;
}

std::string TrailArn(std::string_view region, std::string_view account, std::string_view name) {
  return "arn:aws:cloudtrail:" + std::string(region) + ":" + std::string(account) + ":trail/" +
         std::string(name);
}

std::string AccountOfTrail(const Json& trail) {
  auto parsed = ParseTrailArn(trail.value("TrailARN", ""));
  return parsed ? (*parsed)[1] : std::string();
}

std::string NameOf(std::string_view name_or_arn) {
  if (auto parsed = ParseTrailArn(name_or_arn)) return (*parsed)[2];
  return std::string(name_or_arn);
}

Result<FoundTrail> FindTrail(storage::Transaction& txn, const RequestContext& ctx,
                             std::string_view name_or_arn) {
  const std::string& account = ctx.caller.account_id;
  std::string name(name_or_arn);
  std::optional<std::string> region;
  if (IsTrailArn(name_or_arn)) {
    auto parsed = ParseTrailArn(name_or_arn);
    if (!parsed) {
      return Error("CloudTrailARNInvalidException",
                   "The ARN " + std::string(name_or_arn) + " is not valid.");
    }
    if ((*parsed)[1] != account) return TrailNotFound(account, name_or_arn);
    region = (*parsed)[0];
    name = (*parsed)[2];
  } else {
    RETURN_IF_ERROR(CheckTrailName(name));
  }
  // The caller's Region (or the ARN's) first, then the account's multi-Region trails.
  const std::string key = TrailKey(account, region.value_or(ctx.region), name);
  ASSIGN_OR_RETURN(std::optional<std::string> text, txn.Get(key));
  if (text) return FoundTrail{key, Json::parse(*text)};
  if (!region) {
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                     txn.Scan(std::string(kTrailPrefix) + account + "/"));
    for (storage::KeyValue& row : rows) {
      if (!row.key.ends_with("/" + name)) continue;
      Json record = Json::parse(row.value);
      if (record.value("Name", "") == name && record.value("IsMultiRegionTrail", false)) {
        return FoundTrail{std::move(row.key), std::move(record)};
      }
    }
  }
  return TrailNotFound(account, name_or_arn);
}

Status RequireHomeRegion(const RequestContext& ctx, const Json& trail) {
  const std::string home = trail.value("HomeRegion", "");
  if (home == ctx.region) return Status::Ok();
  return Error("InvalidHomeRegionException",
               "This operation can only be performed in the trail's home region: " + home + ".");
}

}  // namespace bulwark::cloudtrail
