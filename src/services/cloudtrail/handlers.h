// CloudTrail's operation handlers, by file.
#pragma once

#include "services/service.h"

namespace bulwark::cloudtrail {

// lookup.cc
Result<Json> LookupEvents(RequestContext& ctx, const Json& input);
// lookup.cc: event history keeps 90 days.
inline constexpr int64_t kHistoryDays = 90;
Status PruneHistory(ServiceEnvironment& env);

// trails.cc
Result<Json> CreateTrail(RequestContext& ctx, const Json& input);
Result<Json> UpdateTrail(RequestContext& ctx, const Json& input);
Result<Json> DeleteTrail(RequestContext& ctx, const Json& input);
Result<Json> GetTrail(RequestContext& ctx, const Json& input);
Result<Json> DescribeTrails(RequestContext& ctx, const Json& input);
Result<Json> ListTrails(RequestContext& ctx, const Json& input);
Result<Json> StartLogging(RequestContext& ctx, const Json& input);
Result<Json> StopLogging(RequestContext& ctx, const Json& input);
Result<Json> GetTrailStatus(RequestContext& ctx, const Json& input);
Result<Json> PutEventSelectors(RequestContext& ctx, const Json& input);
Result<Json> GetEventSelectors(RequestContext& ctx, const Json& input);
Result<Json> AddTags(RequestContext& ctx, const Json& input);
Result<Json> RemoveTags(RequestContext& ctx, const Json& input);
Result<Json> ListTags(RequestContext& ctx, const Json& input);

}  // namespace bulwark::cloudtrail
