// What every service sees: the request context and the operation table types.
// Services depend on this header, storage, auth and core; never on protocol/ or http/.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "core/principal.h"
#include "core/status.h"

namespace bulwark {

namespace storage {
class KvStore;
class Sealer;
}  // namespace storage

// Process-wide services a handler may use. Owned by the server.
struct ServiceEnvironment {
  storage::KvStore* store = nullptr;
  const storage::Sealer* sealer = nullptr;
  std::function<int64_t()> now_unix;  // injected clock
};

struct RequestContext {
  std::string request_id;
  std::string region;     // from the SigV4 credential scope
  std::string service;    // model name, e.g. "sts"
  std::string operation;  // e.g. "GetCallerIdentity"
  std::string source_ip;
  std::string user_agent;
  Principal caller;
  ServiceEnvironment* env = nullptr;
};

using Json = nlohmann::json;
using OperationHandler = Result<Json> (*)(RequestContext& ctx, const Json& input);

enum class Mutates { kNo, kYes };

// One row of a service's operation table. Routing, authorization, audit and metrics
// all read it; adding an operation is adding a row.
struct OperationSpec {
  std::string_view name;              // the model's operation name, e.g. "CreateKey"
  std::string_view action;            // IAM action, e.g. "kms:CreateKey"
  std::string_view resource_pattern;  // ARN pattern, "*" when the action has no resource
  std::span<const std::string_view> condition_keys;  // service-specific keys the action supports
  Mutates mutates;
  OperationHandler handler;
};

struct ServiceSpec {
  std::string_view model_name;  // models/<name>.json
  std::span<const OperationSpec> operations;
};

}  // namespace bulwark
