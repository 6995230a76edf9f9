#include "server/metrics.h"

#include <cstdio>

namespace bulwark::server {

Metrics::Metrics(const Registry& registry) {
  auto add = [this](std::string service, std::string operation) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->service = std::move(service);
    slots_.back()->operation = std::move(operation);
    return slots_.back().get();
  };
  for (const ServiceSpec* svc : registry.services()) {
    for (const OperationSpec& op : svc->operations) {
      by_op_[&op] = add(std::string(svc->model_name), std::string(op.name));
    }
    unmatched_by_service_[std::string(svc->model_name)] =
        add(std::string(svc->model_name), "(unmatched)");
  }
  unmatched_ = add("(none)", "(unmatched)");
}

Metrics::Slot* Metrics::SlotFor(std::string_view service, const OperationSpec* op) {
  if (op) {
    auto it = by_op_.find(op);
    if (it != by_op_.end()) return it->second;
  }
  auto it = unmatched_by_service_.find(std::string(service));
  return it == unmatched_by_service_.end() ? unmatched_ : it->second;
}

void Metrics::Record(std::string_view service, const OperationSpec* op, int http_status,
                     std::chrono::nanoseconds latency) {
  Slot* slot = SlotFor(service, op);
  int cls = http_status / 100 - 2;
  if (cls < 0) cls = 0;
  if (cls > 3) cls = 3;
  slot->by_class[cls].fetch_add(1, std::memory_order_relaxed);
  slot->count.fetch_add(1, std::memory_order_relaxed);
  slot->sum_ns.fetch_add(static_cast<uint64_t>(latency.count()), std::memory_order_relaxed);
  double seconds = static_cast<double>(latency.count()) / 1e9;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      slot->buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
}

std::string Metrics::Render() const {
  static constexpr const char* kClass[] = {"2xx", "3xx", "4xx", "5xx"};
  std::string out;
  out.reserve(4096);
  char line[512];
  out +=
      "# HELP bulwark_requests_total API requests by service, operation and status class.\n"
      "# TYPE bulwark_requests_total counter\n";
  for (const auto& s : slots_) {
    for (int c = 0; c < 4; ++c) {
      uint64_t v = s->by_class[c].load(std::memory_order_relaxed);
      if (v == 0) continue;
      std::snprintf(line, sizeof(line),
                    "bulwark_requests_total{service=\"%s\",operation=\"%s\",code=\"%s\"} %llu\n",
                    s->service.c_str(), s->operation.c_str(), kClass[c],
                    static_cast<unsigned long long>(v));
      out += line;
    }
  }
  out +=
      "# HELP bulwark_request_errors_total API requests answered with an error status.\n"
      "# TYPE bulwark_request_errors_total counter\n";
  for (const auto& s : slots_) {
    uint64_t v = s->by_class[2].load(std::memory_order_relaxed) +
                 s->by_class[3].load(std::memory_order_relaxed);
    if (v == 0) continue;
    std::snprintf(line, sizeof(line),
                  "bulwark_request_errors_total{service=\"%s\",operation=\"%s\"} %llu\n",
                  s->service.c_str(), s->operation.c_str(), static_cast<unsigned long long>(v));
    out += line;
  }
  out +=
      "# HELP bulwark_request_duration_seconds API request latency, from decode to encode.\n"
      "# TYPE bulwark_request_duration_seconds histogram\n";
  for (const auto& s : slots_) {
    uint64_t count = s->count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += s->buckets[i].load(std::memory_order_relaxed);
      std::snprintf(line, sizeof(line),
                    "bulwark_request_duration_seconds_bucket{service=\"%s\",operation=\"%s\","
                    "le=\"%g\"} %llu\n",
                    s->service.c_str(), s->operation.c_str(), kBuckets[i],
                    static_cast<unsigned long long>(cumulative));
      out += line;
    }
    std::snprintf(line, sizeof(line),
                  "bulwark_request_duration_seconds_bucket{service=\"%s\",operation=\"%s\","
                  "le=\"+Inf\"} %llu\n"
                  "bulwark_request_duration_seconds_sum{service=\"%s\",operation=\"%s\"} %.9f\n"
                  "bulwark_request_duration_seconds_count{service=\"%s\",operation=\"%s\"} %llu\n",
                  s->service.c_str(), s->operation.c_str(), static_cast<unsigned long long>(count),
                  s->service.c_str(), s->operation.c_str(),
                  static_cast<double>(s->sum_ns.load(std::memory_order_relaxed)) / 1e9,
                  s->service.c_str(), s->operation.c_str(), static_cast<unsigned long long>(count));
    out += line;
  }
  return out;
}

}  // namespace bulwark::server
