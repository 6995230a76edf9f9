// The structured access log: one JSON object per line per request. Never holds
// secrets: the query string (which may carry a presigned signature or session token)
// and bodies are not logged.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"

namespace bulwark::server {

struct AccessRecord {
  std::string_view request_id;
  std::string_view remote_addr;
  std::string_view method;
  std::string_view path;
  std::string_view service;
  std::string_view operation;
  int status = 0;
  std::string_view error_code;
  std::string_view access_key_id;
  std::string_view account_id;
  std::string_view user_agent;
  double latency_ms = 0;
};

class AccessLog {
 public:
  // "-" = standard error; "" or "off" = disabled; otherwise a file (appended, 0600).
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& destination);
  ~AccessLog();
  void Write(const AccessRecord& record);

 private:
  std::mutex mu_;
  FILE* file_ = nullptr;
  bool owned_ = false;
};

}  // namespace bulwark::server
