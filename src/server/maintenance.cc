#include "server/maintenance.h"

#include <cstdio>
#include <string>

#include "storage/kv.h"

namespace bulwark::server {

Maintenance::Maintenance(const Registry& registry, ServiceEnvironment* env,
                         std::chrono::seconds interval)
    : registry_(registry), env_(env), interval_(interval) {
  env_->wake_maintenance = [this] { Wake(); };
}

void Maintenance::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

Maintenance::~Maintenance() {
  Stop();
  env_->wake_maintenance = nullptr;
}

void Maintenance::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      RunOnce();
      lock.lock();
      wake_.wait_for(lock, interval_, [this] { return stopping_ || woken_; });
      woken_ = false;
    }
  });
}

void Maintenance::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    // A last pass, so that what is held in memory until a pass (KMS key usage) is kept.
    RunOnce();
  }
}

void Maintenance::RunOnce() {
  if (env_->store) env_->store->ReleaseIdle();
  for (const ServiceSpec* service : registry_.services()) {
    if (!service->maintain) continue;
    Status st = service->maintain(*env_);
    if (!st.ok()) {
      std::fprintf(stderr, "bulwark: %s maintenance failed: %s\n",
                   std::string(service->model_name).c_str(), st.message().c_str());
    }
  }
}

}  // namespace bulwark::server
