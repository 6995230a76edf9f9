#include "server/access_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

namespace bulwark::server {

Result<std::unique_ptr<AccessLog>> AccessLog::Open(const std::string& destination) {
  auto log = std::unique_ptr<AccessLog>(new AccessLog());
  if (destination.empty() || destination == "off") return log;
  if (destination == "-") {
    log->file_ = stderr;
    log->flusher_ = std::thread([l = log.get()] { l->FlushLoop(); });
    return log;
  }
  int fd = ::open(destination.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(ErrorKind::kInternalFailure, "cannot open access log " + destination);
  }
  log->file_ = ::fdopen(fd, "a");
  if (!log->file_) {
    ::close(fd);
    return Status(ErrorKind::kInternalFailure, "cannot open access log " + destination);
  }
  log->owned_ = true;
  log->flusher_ = std::thread([l = log.get()] { l->FlushLoop(); });
  return log;
}

AccessLog::~AccessLog() {
  if (flusher_.joinable()) {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_one();
    flusher_.join();
  }
  Flush();
  if (owned_ && file_) std::fclose(file_);
}

void AccessLog::FlushLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::seconds(1));
    std::string lines;
    lines.swap(buffer_);
    lock.unlock();
    WriteOut(lines);
    lock.lock();
  }
}

void AccessLog::Flush() {
  std::string lines;
  {
    std::lock_guard lock(mu_);
    lines.swap(buffer_);
  }
  WriteOut(lines);
}

void AccessLog::WriteOut(std::string& lines) {
  if (lines.empty() || !file_) return;
  std::lock_guard lock(file_mu_);
  std::fwrite(lines.data(), 1, lines.size(), file_);
  std::fflush(file_);
}

void AccessLog::Write(const AccessRecord& r) {
  if (!file_) return;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[40];
  std::snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  nlohmann::json line = {
      {"time", ts},
      {"request_id", r.request_id},
      {"remote_addr", r.remote_addr},
      {"method", r.method},
      {"path", r.path},
      {"service", r.service},
      {"operation", r.operation},
      {"status", r.status},
      {"latency_ms", r.latency_ms},
  };
  if (!r.error_code.empty()) line["error_code"] = r.error_code;
  if (!r.access_key_id.empty()) line["access_key_id"] = r.access_key_id;
  if (!r.account_id.empty()) line["account_id"] = r.account_id;
  if (!r.user_agent.empty()) line["user_agent"] = r.user_agent;
  // Invalid UTF-8 from the network is replaced, never thrown on.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::string full;
  {
    std::lock_guard lock(mu_);
    buffer_.append(text);
    if (buffer_.size() >= kFlushBytes) full.swap(buffer_);
  }
  WriteOut(full);
}

}  // namespace bulwark::server
