// Event history: LookupEvents over the journal's last 90 days, newest first, for the
// caller's account and Region.
#include <chrono>
#include <cmath>

#include "crypto/crypto.h"
#include "services/cloudtrail/common.h"
#include "services/cloudtrail/event_log.h"
#include "services/cloudtrail/handlers.h"

namespace bulwark::cloudtrail {
namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000;
constexpr int64_t kHourMs = 3600 * 1000;
constexpr size_t kDefaultMaxResults = 50;

// The part of an ARN after its last '/' or ':' (a key id, a user name).
std::string_view ShortName(std::string_view arn) {
  size_t cut = arn.find_last_of("/:");
  return cut == std::string_view::npos ? arn : arn.substr(cut + 1);
}

struct Filter {
  std::string key;  // empty: none
  std::string value;

  bool Matches(const EventView& e) const {
    if (key.empty()) return true;
    if (key == "EventId") return e.event_id == value;
    if (key == "EventName") return e.event_name == value;
    if (key == "ReadOnly") return (e.read_only ? "true" : "false") == value;
    if (key == "Username") return e.username == value;
    if (key == "EventSource") return e.event_source == value;
    if (key == "AccessKeyId") return e.access_key_id == value;
    bool found = false;
    e.ForEachResource([&](std::string_view type, std::string_view name) {
      found = key == "ResourceType" ? type == value : (name == value || ShortName(name) == value);
      return !found;
    });
    return found;
  }
};

// The NextToken: where the next page starts, and a digest of the query it belongs to,
// so that a token is refused with different parameters.
std::string QueryDigest(const Filter& f, int64_t start_ms, int64_t end_ms, std::string_view account,
                        std::string_view region) {
  std::string text = f.key + '\0' + f.value + '\0' + std::to_string(start_ms) + '\0' +
                     std::to_string(end_ms) + '\0' + std::string(account) + '\0' +
                     std::string(region);
  return crypto::Sha256Hex(text).substr(0, 16);
}

std::string EncodeToken(const Position& at, std::string_view digest) {
  return crypto::Base64Encode(at.segment + ":" + std::to_string(at.offset) + ":" +
                              std::string(digest));
}

std::optional<Position> DecodeToken(std::string_view token, std::string_view digest) {
  std::optional<std::string> text = crypto::Base64Decode(token);
  if (!text) return std::nullopt;
  size_t a = text->find(':'), b = a == std::string::npos ? a : text->find(':', a + 1);
  if (b == std::string::npos || text->substr(b + 1) != digest) return std::nullopt;
  Position p;
  p.segment = text->substr(0, a);
  if (p.segment.size() != 10) return std::nullopt;
  const std::string offset = text->substr(a + 1, b - a - 1);
  if (offset.empty() || offset.size() > 19 ||
      offset.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  p.offset = std::stoull(offset);
  return p;
}

int64_t TimeMs(const Json& t) { return static_cast<int64_t>(std::floor(t.get<double>() * 1000.0)); }

}  // namespace

Result<Json> LookupEvents(RequestContext& ctx, const Json& input) {
  EventLog* log = ctx.env->audit_log;
  const int64_t now = NowMs();

  Filter filter;
  // AWS takes one attribute; like AWS, only the first of a longer list is applied.
  if (auto it = input.find("LookupAttributes"); it != input.end() && !it->empty()) {
    const Json& first = (*it)[0];
    filter.key = first.value("AttributeKey", "");
    filter.value = first.value("AttributeValue", "");
  }
  int64_t start_ms = now - kHistoryDays * kDayMs;
  int64_t end_ms = now;
  const bool has_start = input.contains("StartTime"), has_end = input.contains("EndTime");
  if (has_start) start_ms = TimeMs(input["StartTime"]);
  if (has_end) end_ms = TimeMs(input["EndTime"]);
  // Both given out of order is an error; a StartTime after the default EndTime (now)
  // finds nothing.
  if (has_start && has_end && start_ms > end_ms) {
    return InvalidTimeRange();
  }
  size_t max_results = kDefaultMaxResults;
  if (auto it = input.find("MaxResults"); it != input.end()) {
    max_results = it->get<size_t>();
  }
  // The defaults move with the clock: the digest covers only what the caller gave.
  const std::string digest = QueryDigest(filter, has_start ? start_ms : -1, has_end ? end_ms : -1,
                                         ctx.caller.account_id, ctx.region);
  Position before;
  if (auto it = input.find("NextToken"); it != input.end()) {
    std::optional<Position> p = DecodeToken(it->get<std::string>(), digest);
    if (!p) {
      return Error("InvalidNextTokenException",
                   "Invalid NextToken: it was not returned by a LookupEvents call with the "
                   "same parameters.");
    }
    before = *p;
  }

  Json events = Json::array();
  std::string next_token;
  // Insights events are not recorded: a lookup of them finds none.
  const bool insights = input.value("EventCategory", "") == "insight";
  if (log && !insights) {
    // Events acknowledged before this call are in the journal's files.
    RETURN_IF_ERROR(log->Flush());
    const int64_t oldest = std::max(start_ms, now - kHistoryDays * kDayMs);
    const std::string oldest_segment = EventLog::SegmentOf(std::max<int64_t>(oldest - kHourMs, 0));
    Position last;
    RETURN_IF_ERROR(
        log->ScanBackward(before, oldest_segment, [&](const EventView& e, const Position& at) {
          if (e.account != ctx.caller.account_id || e.region != ctx.region) return true;
          if (e.time_ms < start_ms || e.time_ms > end_ms || e.time_ms < oldest) return true;
          if (!filter.Matches(e)) return true;
          if (events.size() == max_results) {
            next_token = EncodeToken(last, digest);
            return false;
          }
          Json resources = Json::array();
          e.ForEachResource([&](std::string_view type, std::string_view name) {
            resources.push_back({{"ResourceType", type}, {"ResourceName", name}});
            return true;
          });
          Json event = {{"EventId", e.event_id},
                        {"EventName", e.event_name},
                        {"ReadOnly", e.read_only ? "true" : "false"},
                        {"EventTime", static_cast<double>(e.time_ms / 1000)},
                        {"EventSource", e.event_source},
                        {"Resources", std::move(resources)},
                        {"CloudTrailEvent", e.record}};
          if (!e.access_key_id.empty()) event["AccessKeyId"] = e.access_key_id;
          if (!e.username.empty()) event["Username"] = e.username;
          events.push_back(std::move(event));
          last = at;
          return true;
        }));
  }
  Json out = {{"Events", std::move(events)}};
  if (!next_token.empty()) out["NextToken"] = next_token;
  return out;
}

Status PruneHistory(ServiceEnvironment& env) {
  if (!env.audit_log) return Status::Ok();
  return env.audit_log->Prune(NowMs() - kHistoryDays * kDayMs);
}

}  // namespace bulwark::cloudtrail
