// Runs every service's maintenance hook (ServiceSpec::maintain) on its own thread: once
// at start, then every `interval` or when woken, and a last time when stopped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/registry.h"
#include "services/service.h"

namespace bulwark::server {

class Maintenance {
 public:
  Maintenance(const Registry& registry, ServiceEnvironment* env, std::chrono::seconds interval);
  ~Maintenance();  // stops
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  void Start();
  void Stop();
  // One pass over every service's hook; failures are logged to standard error and the
  // next pass tries again.
  void RunOnce();
  // A pass now rather than at the end of the interval (ServiceEnvironment::
  // wake_maintenance: work a request made due at once, such as a rotation).
  void Wake();

 private:
  const Registry& registry_;
  ServiceEnvironment* env_;
  std::chrono::seconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace bulwark::server
