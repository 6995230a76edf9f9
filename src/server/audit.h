// Step 10 of a request: its CloudTrail record (eventVersion 1.11), written to the event
// journal (services/cloudtrail/event_log.h) for every API request — successful, failed,
// denied or unauthenticated. A call to an operation that mutates is recorded durably
// before its response is sent; if the record cannot be written, the call answers
// InternalFailure.
//
// Secrets never reach a record: request parameters and response elements are written
// from the service model, where blobs (plaintexts, ciphertexts, key material) are left
// out and sensitive members — the model's `sensitive` shapes and the members named in
// audit.cc — are recorded as HIDDEN_DUE_TO_SECURITY_REASONS. Response elements are
// recorded for mutating calls only, as AWS does.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "services/service.h"

namespace bulwark::protocol {
class Shape;
}
namespace bulwark::cloudtrail {
class EventLog;
}

namespace bulwark::server {

// A value as CloudTrail records it: structure members lowerCamelCased, map keys as
// they are, timestamps in ISO 8601, blobs left out, sensitive members hidden. Records
// larger than the cap are recorded as null.
void AppendAuditValue(const protocol::Shape* shape, const Json& value, std::string* out);
inline constexpr size_t kMaxAuditValueBytes = 100 * 1024;

// The userIdentity element of a successful call to one of the STS operations that need
// no signature, from its input and output: WebIdentityUser (AssumeRoleWithWebIdentity)
// or SAMLUser (AssumeRoleWithSAML). JSON text; empty for other operations.
std::string UnsignedCallerIdentity(std::string_view operation, const Json& output);

// The account field of an ARN (empty when it has none).
std::string_view AccountOfArn(std::string_view arn);

// What the pipeline learns of a request for its record, beyond its RequestContext.
struct AuditFacts {
  std::string event_source;        // kms.amazonaws.com; empty when no service was found
  std::string access_key_id;       // as the request named it, authenticated or not
  bool authenticated = false;      // ctx.caller is the verified caller
  bool mutates = false;            // the operation's row says so
  bool known_operation = false;    // a row was found
  std::string request_parameters;  // JSON text; empty: null
  std::string response_elements;   // JSON text; empty: null
  // userIdentity for the operations that need no signature (AssumeRoleWithWebIdentity:
  // WebIdentityUser; AssumeRoleWithSAML: SAMLUser), JSON text.
  std::string unsigned_identity;
  // The account whose record it is when not the caller's (those operations: the
  // role's account).
  std::string account;
  std::string_view error_code;
  std::string error_message;
};

class Auditor {
 public:
  explicit Auditor(cloudtrail::EventLog* log) : log_(log) {}
  bool enabled() const { return log_ != nullptr; }

  // Writes the request's record: one for the caller's account and, when the request
  // acted on resources of other accounts, one for each of them (userIdentity
  // AWSAccount, sharing the event's sharedEventID). Durable for mutating operations:
  // Record returns once the caller's copy is on disk or, given `durable` (used only for
  // mutating operations), at once, and `durable` is called when it is on disk (or with
  // the error that kept it off).
  Status Record(const RequestContext& ctx, const AuditFacts& facts, int64_t now_ms,
                std::function<void(const Status&)> durable = nullptr);

 private:
  cloudtrail::EventLog* log_;
};

}  // namespace bulwark::server
