// The life of a request, in one fixed order:
//   1. limits (the listener)  2. route to a service  3. SigV4 authentication
//   4. decode and find the operation's row  5. input validation  6. authorization
//   7. handler  8. encode  9. access log and metrics
// Nothing is decoded for a caller that has not authenticated.
#pragma once

#include <functional>
#include <memory>

#include "http/server.h"
#include "server/registry.h"
#include "services/service.h"

namespace bulwark::auth {
class CredentialStore;
}

namespace bulwark::server {

class AccessLog;
class Metrics;

// The response header that carries a denied request's encoded authorization message
// (AWS's services that return one put it in the error message instead; Bulwark's
// services, like AWS's security services, keep AWS's message text unchanged).
inline constexpr char kAuthorizationMessageHeader[] = "X-Bulwark-Authorization-Message";

class Pipeline : public http::Handler {
 public:
  Pipeline(const Registry& registry, ServiceEnvironment* env, auth::CredentialStore* credentials,
           Metrics* metrics, AccessLog* access_log);
  ~Pipeline() override;

  http::Response Handle(http::Request& request) override;
  http::Response Reject(const http::Request& request, const Status& why) override;

  // The health endpoint answers 200 only once this is set.
  void SetReady(bool ready);
  // Off (the default): Handle returns a mutating call's response once its audit record
  // is on disk. On: at once, with Response::defer set; the listener sends it when the
  // record is on disk (or an InternalFailure instead when it could not be written),
  // and serves other requests meanwhile.
  void SetAsyncDurability(bool on);

 private:
  struct Impl;
  struct Finished;
  struct DurableWait;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::server
