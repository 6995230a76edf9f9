// Plain HTTP request/response values passed between the listener and the pipeline.
// No Boost here: Beast stays inside src/http/*.cc.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive ASCII comparison of header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request-target as received: path[?query]
  HeaderList headers;  // in arrival order, names as received
  std::string body;
  std::string remote_addr;  // peer IP address
  bool tls = false;

  // First header with this name (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // Raw (still percent-encoded) path and query of the target.
  std::string_view Path() const;
  std::string_view RawQuery() const;
};

struct Response;
// Called with what to send once deferred work has finished: nothing (the response as
// the handler made it) or a response to send instead. May be called on any thread.
using SendCallback = std::function<void(std::optional<Response> instead)>;

struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;
  // Set when the response may be sent only after work the handler started has finished
  // (a mutating call's audit record reaching the disk). The listener calls it once with
  // a SendCallback, and in the meantime serves its other connections.
  std::function<void(SendCallback send)> defer;

  void SetHeader(std::string name, std::string value);
  std::string_view Header(std::string_view name) const;
};

}  // namespace bulwark::http
