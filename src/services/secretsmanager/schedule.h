// Rotation schedules: RotationRules as Secrets Manager takes them (AutomaticallyAfterDays,
// or a ScheduleExpression "rate(N days)", "rate(N hours)" or "cron(MIN HOUR DOM MONTH DOW
// YEAR)" in EventBridge's syntax, and a Duration window "Nh"), and the next time a
// rotation is due.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "services/service.h"

namespace bulwark::secretsmanager {

struct Schedule {
  int64_t every_seconds = 0;   // AutomaticallyAfterDays or rate(): 0 for cron
  std::string cron;            // the six fields, for cron()
  int64_t window_seconds = 0;  // Duration (0: not given)
};

// The schedule of a RotationRules object; InvalidParameterException with AWS's reason
// when it is not one Secrets Manager accepts.
Result<Schedule> ParseRotationRules(const Json& rules);

// The first time after `after` (unix seconds, UTC) at which the schedule starts a
// rotation window, counting intervals from `last` (the last rotation or the time the
// schedule was set). nullopt when a cron expression matches nothing in the next five
// years.
std::optional<int64_t> NextRotation(const Schedule& schedule, int64_t last, int64_t after);

}  // namespace bulwark::secretsmanager
