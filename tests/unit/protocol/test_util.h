// Helpers shared by the protocol tests.
#pragma once

#include <string>
#include <utility>

#include "protocol/protocol.h"

namespace bulwark::protocol::testing {

inline const ServiceModel& Service(std::string_view name) {
  const ServiceModel* s = ModelRegistry::Instance().Find(name);
  if (s == nullptr) std::abort();
  return *s;
}

inline http::Request JsonRequest(std::string_view target, std::string body) {
  http::Request r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", std::string(target)}};
  r.body = std::move(body);
  return r;
}

inline http::Request FormRequest(std::string body) {
  http::Request r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = std::move(body);
  return r;
}

inline http::Request RestRequest(std::string method, std::string target, std::string body = "") {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

}  // namespace bulwark::protocol::testing
