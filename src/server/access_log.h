// The structured access log: one JSON object per line per request. Never holds
// secrets: the query string (which may carry a presigned signature or session token)
// and bodies are not logged.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

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

// Lines are buffered in memory and written by a background thread once a second, or at
// once when the buffer passes 64 KiB, so the request path makes no system call for them.
class AccessLog {
 public:
  // "-" = standard error; "" or "off" = disabled; otherwise a file (appended, 0600).
  static Result<std::unique_ptr<AccessLog>> Open(const std::string& destination);
  ~AccessLog();  // flushes what is buffered
  void Write(const AccessRecord& record);
  void Flush();

 private:
  AccessLog() = default;
  void FlushLoop();

  static constexpr size_t kFlushBytes = 64 * 1024;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string buffer_;
  bool stop_ = false;
  std::mutex file_mu_;  // held while writing: orders writes, guards spare_
  std::string spare_;
  FILE* file_ = nullptr;
  bool owned_ = false;
  std::thread flusher_;
};

}  // namespace bulwark::server
