// The HTTP/1.1 listener. Boost.Beast/Asio stay inside src/http/*.cc; this header is
// plain C++ so that the rest of the tree never compiles Boost.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/message.h"

namespace bulwark::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4566;  // 0 = pick a free port
  int io_threads = 0;    // 0 = one per core
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_connections = 4096;
  std::chrono::seconds header_timeout{30};  // idle keep-alive and request head
  std::chrono::seconds body_timeout{60};    // request body and response write
  std::chrono::seconds drain_timeout{10};   // graceful shutdown: in-flight requests
};

// What the listener calls. Both run on an I/O thread and must be thread-safe.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual Response Handle(Request& request) = 0;
  // A request refused by the listener before it reached Handle (body too large,
  // malformed head): `request` has the head only; `why` says which limit.
  virtual Response Reject(const Request& request, const Status& why) = 0;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Create(const ServerOptions& options, Handler* handler);
  virtual ~Server() = default;
  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;
  // Runs the I/O threads; returns after Shutdown() has drained.
  virtual void Run() = 0;
  // Thread- and signal-context-safe request to stop: stop accepting, let in-flight
  // requests finish (up to drain_timeout), then close every connection.
  virtual void Shutdown() = 0;
  virtual size_t open_connections() const = 0;
};

}  // namespace bulwark::http
