// Request counters and latency histograms per operation, exported in the Prometheus
// text format at /metrics. Lock-free on the request path.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/registry.h"

namespace bulwark::server {

class Metrics {
 public:
  explicit Metrics(const Registry& registry);

  // `op` may be null (request matched no operation); `service` may then be empty.
  void Record(std::string_view service, const OperationSpec* op, int http_status,
              std::chrono::nanoseconds latency);
  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,   0.05,   0.1,   0.25,   1.0,   5.0};
  struct Slot {
    std::string service;
    std::string operation;
    std::array<std::atomic<uint64_t>, 4> by_class{};  // 2xx 3xx 4xx 5xx
    std::array<std::atomic<uint64_t>, kBuckets.size()> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };
  Slot* SlotFor(std::string_view service, const OperationSpec* op);

  std::vector<std::unique_ptr<Slot>> slots_;
  std::unordered_map<const OperationSpec*, Slot*> by_op_;
  std::unordered_map<std::string, Slot*> unmatched_by_service_;  // fixed at construction
  Slot* unmatched_ = nullptr;
};

}  // namespace bulwark::server
