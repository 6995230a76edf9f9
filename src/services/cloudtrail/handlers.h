// CloudTrail's operation handlers, by file.
#pragma once

#include "services/service.h"

namespace bulwark::cloudtrail {

// lookup.cc
Result<Json> LookupEvents(RequestContext& ctx, const Json& input);
// lookup.cc: event history keeps 90 days.
inline constexpr int64_t kHistoryDays = 90;
Status PruneHistory(ServiceEnvironment& env);

}  // namespace bulwark::cloudtrail
