// What CloudTrail's handlers share: its errors, trail names and ARNs, and the records of
// trails.
//
// Records (JSON):
// - "cloudtrail/trail/ACCOUNT/HOME_REGION/NAME": a trail — its settings as the API has
//   them (Name, S3BucketName, S3KeyPrefix, IncludeGlobalServiceEvents,
//   IsMultiRegionTrail, HomeRegion, TrailARN, LogFileValidationEnabled, EventSelectors or
//   AdvancedEventSelectors, Tags), "Logging", "Status" (GetTrailStatus's times and
//   errors, Unix seconds) and "Delivery": where in the journal delivery goes on
//   ("Segment", "Offset"), and for log file validation the log files delivered since the
//   last digest ("Pending") and the last digest ("Previous": its object, hash and
//   signature; "End": its end time).
// - "cloudtrail/digest-key/REGION": the Region's digest signing key (RSA 2048): the
//   private key sealed, the public key, its fingerprint and when it began to be used.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "services/service.h"
#include "storage/kv.h"

namespace bulwark::cloudtrail {

inline constexpr std::string_view kTrailPrefix = "cloudtrail/trail/";
inline constexpr std::string_view kDigestKeyPrefix = "cloudtrail/digest-key/";
inline constexpr size_t kMaxTrailsPerRegion = 5;
inline constexpr size_t kMaxTags = 50;

// A CloudTrail error (HTTP 400, the code as the model's shape name).
Status Error(std::string code, std::string message);
Status TrailNotFound(std::string_view account, std::string_view name);
// A StartTime after the EndTime (LookupEvents, ListPublicKeys).
Status InvalidTimeRange();

// The wall clock, in milliseconds since the epoch (audit events carry real time).
int64_t NowMs();

// AWS's rules for trail names (3-128 of letters, digits, '.', '_', '-', starting and
// ending with a letter or digit, no two of '.', '_', '-' together, not an IP address):
// InvalidTrailNameException.
Status CheckTrailName(std::string_view name);

std::string TrailKey(std::string_view account, std::string_view region, std::string_view name);
std::string TrailArn(std::string_view region, std::string_view account, std::string_view name);

// A trail a request names by name or ARN, in the caller's account: the caller's Region's,
// or a multi-Region trail of another home Region (a shadow trail).
struct FoundTrail {
  std::string key;
  Json record;
};
Result<FoundTrail> FindTrail(storage::Transaction& txn, const RequestContext& ctx,
                             std::string_view name_or_arn);
// Changes to a trail are made in its home Region (InvalidHomeRegionException).
Status RequireHomeRegion(const RequestContext& ctx, const Json& trail);
// The account in a trail's record (its TrailARN's).
std::string AccountOfTrail(const Json& trail);
// The Name a request's member holds: a name, or the name in a trail ARN.
std::string NameOf(std::string_view name_or_arn);

}  // namespace bulwark::cloudtrail
