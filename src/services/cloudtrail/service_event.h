// Events a service records of its own work (eventType AwsServiceEvent), not of a request:
// Secrets Manager's RotationStarted, RotationSucceeded and RotationFailed.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "services/cloudtrail/event_log.h"
#include "services/service.h"

namespace bulwark::cloudtrail {

struct ServiceEvent {
  std::string account;
  std::string region;
  std::string event_source;  // secretsmanager.amazonaws.com
  std::string event_name;    // RotationFailed
  std::vector<EventResource> resources;
  Json additional_event_data = Json::object();
  Json service_event_details;  // null: left out
};

// Writes the event's record durably; nothing when auditing is off (`log` null).
Status RecordServiceEvent(EventLog* log, const ServiceEvent& event);

}  // namespace bulwark::cloudtrail
