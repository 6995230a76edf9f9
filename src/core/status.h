// Status and Result<T>: the error channel of every Bulwark module.
//
// A Status is either OK or an error of one ErrorKind from the catalogue
// (error_catalog.h). Service-specific AWS errors (NoSuchEntity, NotFoundException…)
// use ErrorKind::kService with their own wire code and HTTP status. Only protocol/
// turns a Status into a wire format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace bulwark {

enum class ErrorKind : uint16_t {
  kOk = 0,
  // Protocol and validation.
  kValidation,            // input failed the model's constraints
  kSerialization,         // malformed body (JSON, form, XML)
  kUnknownOperation,      // no such operation for the service
  kInvalidAction,         // query protocol: unknown Action
  kMissingAction,         // query protocol: no Action at all
  kUnsupportedOperation,  // an operation Bulwark does not implement yet
  kRequestEntityTooLarge,
  kNotFoundRoute,  // no service matches the request at all
  // Authentication (SigV4).
  kMissingAuthenticationToken,
  kIncompleteSignature,
  kInvalidClientTokenId,
  kSignatureDoesNotMatch,
  kRequestExpired,  // request time outside the ±15 minute window
  kExpiredToken,    // session token expired
  kInvalidToken,    // malformed session token
  // Authorization.
  kAccessDenied,
  // Throttling and server faults.
  kThrottling,
  kServiceUnavailable,
  kInternalFailure,
  // A service's own error: wire code and status are carried by the Status.
  kService,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  // A service-specific AWS error, e.g. Service("NoSuchEntity", 404, "...").
  static Status Service(std::string code, int http_status, std::string message,
                        bool sender_fault = true) {
    Status s(ErrorKind::kService, std::move(message));
    s.code_ = std::move(code);
    s.http_status_ = http_status;
    s.sender_fault_ = sender_fault;
    return s;
  }
  static Status Ok() { return Status(); }

  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // Only meaningful for kService.
  const std::string& code() const { return code_; }
  int http_status() const { return http_status_; }
  bool sender_fault() const { return sender_fault_; }

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
  std::string code_;
  int http_status_ = 400;
  bool sender_fault_ = true;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(implicit)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(implicit)
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace bulwark

#define BULWARK_CONCAT_INNER(a, b) a##b
#define BULWARK_CONCAT(a, b) BULWARK_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)       \
  do {                              \
    ::bulwark::Status _st = (expr); \
    if (!_st.ok()) return _st;      \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(BULWARK_CONCAT(_result_, __LINE__), lhs, expr)
