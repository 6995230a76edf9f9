#include "services/cloudtrail/service_event.h"

#include "auth/ids.h"
#include "core/json_text.h"
#include "services/cloudtrail/common.h"

namespace bulwark::cloudtrail {

Status RecordServiceEvent(EventLog* log, const ServiceEvent& se) {
  if (!log) return Status::Ok();
  const int64_t now_ms = NowMs();
  Event e;
  e.index.time_ms = now_ms;
  e.index.account = se.account;
  e.index.region = se.region;
  e.index.event_id = ids::NewUuid();
  e.index.event_name = se.event_name;
  e.index.event_source = se.event_source;
  e.index.resources = se.resources;
  std::string time;
  AppendIsoTime(time, now_ms / 1000);
  Json resources = Json::array();
  for (const EventResource& r : se.resources) {
    resources.push_back({{"accountId", se.account}, {"type", r.type}, {"ARN", r.name}});
  }
  nlohmann::ordered_json record = {
      {"eventVersion", "1.11"},
      {"userIdentity", {{"accountId", se.account}, {"invokedBy", se.event_source}}},
      {"eventTime", time},
      {"eventSource", se.event_source},
      {"eventName", se.event_name},
      {"awsRegion", se.region},
      {"sourceIPAddress", se.event_source},
      {"userAgent", se.event_source},
      {"requestParameters", nullptr},
      {"responseElements", nullptr},
      {"additionalEventData", se.additional_event_data},
      {"eventID", e.index.event_id},
      {"readOnly", false},
      {"resources", resources},
      {"eventType", "AwsServiceEvent"},
      {"managementEvent", true},
      {"recipientAccountId", se.account}};
  if (!se.service_event_details.is_null()) {
    record["serviceEventDetails"] = se.service_event_details;
  }
  record["eventCategory"] = "Management";
  e.record = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return log->Append(std::move(e), /*durable=*/true);
}

}  // namespace bulwark::cloudtrail
