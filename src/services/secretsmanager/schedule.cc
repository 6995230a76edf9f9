// Rotation schedules (schedule.h).
#include "services/secretsmanager/schedule.h"

#include <array>
#include <bitset>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "services/secretsmanager/common.h"

namespace bulwark::secretsmanager {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::optional<int> Number(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// A field value: a number, or a month/day name.
std::optional<int> Value(std::string_view s, int field) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  static constexpr std::array<std::string_view, 7> kDays = {"SUN", "MON", "TUE", "WED",
                                                            "THU", "FRI", "SAT"};
  if (field == 3) {
    for (size_t i = 0; i < kMonths.size(); ++i) {
      if (s == kMonths[i]) return static_cast<int>(i + 1);
    }
  }
  if (field == 4) {
    for (size_t i = 0; i < kDays.size(); ++i) {
      if (s == kDays[i]) return static_cast<int>(i + 1);
    }
  }
  return Number(s);
}

// The six fields, each as the set of values it allows (indexes are the values).
struct Cron {
  std::array<std::bitset<2200>, 6> allowed;  // minutes, hours, dom, month, dow, year
  bool dom_any = false;                      // "?" or "*"
  bool dow_any = false;
  bool last_dom = false;  // "L" in day-of-month
};

constexpr int kMin[6] = {0, 0, 1, 1, 1, 1970};
constexpr int kMax[6] = {59, 23, 31, 12, 7, 2199};
constexpr const char* kNames[6] = {"Minutes", "Hours",       "Day-of-month",
                                   "Month",   "Day-of-week", "Year"};

Status BadCron(std::string_view why) {
  return InvalidParameter("Invalid ScheduleExpression: " + std::string(why) + ".");
}

Status ParseField(std::string_view text, int field, Cron& cron) {
  auto& bits = cron.allowed[field];
  if (text == "?") {
    if (field != 2 && field != 4) return BadCron("? is allowed only for the day fields");
    (field == 2 ? cron.dom_any : cron.dow_any) = true;
    for (int v = kMin[field]; v <= kMax[field]; ++v) bits.set(v);
    return Status::Ok();
  }
  if (text == "L" && field == 2) {
    cron.last_dom = true;
    return Status::Ok();
  }
  if (text == "*" && (field == 2 || field == 4)) (field == 2 ? cron.dom_any : cron.dow_any) = true;
  for (const std::string& part : Split(text, ',')) {
    std::string range = part;
    int step = 1;
    if (size_t slash = part.find('/'); slash != std::string::npos) {
      std::optional<int> s = Number(std::string_view(part).substr(slash + 1));
      if (!s || *s < 1) return BadCron(std::string("a bad step in ") + kNames[field]);
      step = *s;
      range = part.substr(0, slash);
    }
    int lo = kMin[field], hi = kMax[field];
    if (range != "*") {
      std::vector<std::string> ends = Split(range, '-');
      if (ends.size() > 2) return BadCron(std::string("a bad range in ") + kNames[field]);
      std::optional<int> a = Value(ends[0], field);
      std::optional<int> b = ends.size() == 2 ? Value(ends[1], field) : a;
      if (!a || !b) {
        return BadCron(std::string("the value ") + part + " is not valid for " + kNames[field]);
      }
      lo = *a;
      hi = ends.size() == 2 || part.find('/') != std::string::npos ? *b : *a;
      if (part.find('/') != std::string::npos && ends.size() == 1) hi = kMax[field];
    }
    if (lo < kMin[field] || hi > kMax[field] || lo > hi) {
      return BadCron(std::string("a value out of range in ") + kNames[field]);
    }
    for (int v = lo; v <= hi; v += step) bits.set(v);
  }
  return Status::Ok();
}

Result<Cron> ParseCron(std::string_view fields) {
  std::vector<std::string> parts;
  for (const std::string& p : Split(fields, ' ')) {
    if (!p.empty()) parts.push_back(p);
  }
  if (parts.size() != 6) return BadCron("a cron expression has six fields");
  Cron cron;
  for (int f = 0; f < 6; ++f) RETURN_IF_ERROR(ParseField(parts[f], f, cron));
  if (parts[2] != "?" && parts[4] != "?") {
    return BadCron("one of Day-of-month and Day-of-week must be ?");
  }
  return cron;
}

bool DayMatches(const Cron& c, const std::tm& day) {
  if (!c.allowed[5].test(day.tm_year + 1900) || !c.allowed[3].test(day.tm_mon + 1)) return false;
  bool dom;
  if (c.last_dom) {
    std::tm next = day;
    next.tm_mday += 1;
    time_t t = timegm(&next);
    std::tm n{};
    gmtime_r(&t, &n);
    dom = n.tm_mon != day.tm_mon;
  } else {
    dom = c.allowed[2].test(day.tm_mday);
  }
  const bool dow = c.allowed[4].test(day.tm_wday + 1);
  if (c.dom_any && !c.last_dom) return dow;
  return dom && (c.dow_any || dow);
}

std::optional<int64_t> NextCron(const Cron& c, int64_t after) {
  int64_t t = (after / 60 + 1) * 60;  // the next whole minute
  for (int days = 0; days < 5 * 366 + 1; ++days) {
    const time_t at = static_cast<time_t>(t);
    std::tm tm{};
    gmtime_r(&at, &tm);
    if (DayMatches(c, tm)) {
      for (int h = tm.tm_hour; h < 24; ++h) {
        if (!c.allowed[1].test(h)) continue;
        for (int m = h == tm.tm_hour ? tm.tm_min : 0; m < 60; ++m) {
          if (c.allowed[0].test(m))
            return t - tm.tm_hour * kHour - tm.tm_min * 60 + h * kHour + m * 60;
        }
      }
    }
    t = (t / kDay + 1) * kDay;  // midnight of the next day
  }
  return std::nullopt;
}

}  // namespace

Result<Schedule> ParseRotationRules(const Json& rules) {
  Schedule s;
  const bool days = rules.contains("AutomaticallyAfterDays");
  const std::string expression = rules.value("ScheduleExpression", "");
  if (days && !expression.empty()) {
    return InvalidParameter(
        "You can't use both AutomaticallyAfterDays and ScheduleExpression in RotationRules.");
  }
  if (days) {
    const int64_t n = rules["AutomaticallyAfterDays"].get<int64_t>();
    if (n < 1 || n > 1000) {
      return InvalidParameter("AutomaticallyAfterDays must be between 1 and 1000 days.");
    }
    s.every_seconds = n * kDay;
  } else if (expression.starts_with("rate(") && expression.ends_with(")")) {
    std::vector<std::string> parts = Split(expression.substr(5, expression.size() - 6), ' ');
    std::optional<int> n = parts.size() == 2 ? Number(parts[0]) : std::nullopt;
    const std::string unit = parts.size() == 2 ? parts[1] : "";
    if (n && (unit == "days" || (unit == "day" && *n == 1)) && *n >= 1 && *n <= 1000) {
      s.every_seconds = *n * kDay;
    } else if (n && unit == "hours" && *n >= 4 && *n <= 23) {
      s.every_seconds = *n * kHour;
    } else {
      return InvalidParameter(
          "Invalid ScheduleExpression: a rate is rate(N days) with N from 1 "
          "to 1000, or rate(N hours) with N from 4 to 23.");
    }
  } else if (expression.starts_with("cron(") && expression.ends_with(")")) {
    s.cron = expression.substr(5, expression.size() - 6);
    RETURN_IF_ERROR(ParseCron(s.cron).status());
  } else if (!expression.empty()) {
    return InvalidParameter("Invalid ScheduleExpression: use rate() or cron().");
  } else {
    return InvalidParameter(
        "RotationRules must have AutomaticallyAfterDays or a ScheduleExpression.");
  }
  if (rules.contains("Duration")) {
    const std::string d = rules.value("Duration", "");
    std::optional<int> hours =
        d.ends_with("h") ? Number(std::string_view(d).substr(0, d.size() - 1)) : std::nullopt;
    if (!hours || *hours < 1 || *hours > 24) {
      return InvalidParameter("Duration must be a whole number of hours from 1h to 24h.");
    }
    s.window_seconds = *hours * kHour;
    if (s.every_seconds && s.window_seconds >= s.every_seconds) {
      return InvalidParameter("The rotation window (Duration) must be shorter than the interval.");
    }
  }
  return s;
}

std::optional<int64_t> NextRotation(const Schedule& schedule, int64_t last, int64_t after) {
  if (schedule.every_seconds) {
    int64_t next = last + schedule.every_seconds;
    if (next <= after)
      next += ((after - next) / schedule.every_seconds + 1) * schedule.every_seconds;
    return next;
  }
  Result<Cron> cron = ParseCron(schedule.cron);
  if (!cron.ok()) return std::nullopt;
  return NextCron(*cron, after);
}

}  // namespace bulwark::secretsmanager
