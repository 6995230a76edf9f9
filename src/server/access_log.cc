#include "server/access_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <memory>

#include "core/json_text.h"

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
    lock.unlock();
    Flush();
    lock.lock();
  }
}

void AccessLog::Flush() {
  if (!file_) return;
  // spare_ keeps its capacity between flushes, so steady logging does not allocate.
  std::lock_guard file_lock(file_mu_);
  {
    std::lock_guard lock(mu_);
    buffer_.swap(spare_);
  }
  if (spare_.empty()) return;
  std::fwrite(spare_.data(), 1, spare_.size(), file_);
  std::fflush(file_);
  spare_.clear();
}

namespace {

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(",\"").append(name).append("\":");
  AppendJsonString(out, value);
}

}  // namespace

void AccessLog::Write(const AccessRecord& r) {
  if (!file_) return;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::string line;
  line.reserve(512);
  // {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","status":N,"latency_ms":N.NNN
  line.append("{\"time\":\"");
  AppendIsoTime(line, ms / 1000, static_cast<int>(ms % 1000));
  line.append("\",\"status\":");
  AppendDecimal(line, r.status);
  line.append(",\"latency_ms\":");
  const int64_t micros = std::llround(std::max(r.latency_ms, 0.0) * 1000.0);
  AppendDecimal(line, micros / 1000);
  line.push_back('.');
  AppendDecimal(line, micros % 1000, 3);
  AppendField(line, "request_id", r.request_id);
  AppendField(line, "remote_addr", r.remote_addr);
  AppendField(line, "method", r.method);
  AppendField(line, "path", r.path);
  AppendField(line, "service", r.service);
  AppendField(line, "operation", r.operation);
  if (!r.error_code.empty()) AppendField(line, "error_code", r.error_code);
  if (!r.access_key_id.empty()) AppendField(line, "access_key_id", r.access_key_id);
  if (!r.account_id.empty()) AppendField(line, "account_id", r.account_id);
  if (!r.user_agent.empty()) AppendField(line, "user_agent", r.user_agent);
  line.append("}\n");
  bool full = false;
  {
    std::lock_guard lock(mu_);
    buffer_.append(line);
    full = buffer_.size() >= kFlushBytes;
  }
  if (full) Flush();
}

}  // namespace bulwark::server
