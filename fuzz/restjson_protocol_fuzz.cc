// Fuzzes the rest-json decoder: input is "<METHOD> <target>\n<header: value lines>\n\n<body>"
// against GuardDuty (and Security Hub when the first byte is odd, for greedy labels).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/protocol.h"

namespace bp = bulwark::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bp::ServiceModel* const guardduty = bp::ModelRegistry::Instance().Find("guardduty");
  static const bp::ServiceModel* const securityhub =
      bp::ModelRegistry::Instance().Find("securityhub");
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const bp::ServiceModel* service = (size > 0 && (data[0] & 1)) ? securityhub : guardduty;
  bulwark::http::Request request;
  size_t nl = in.find('\n');
  std::string_view first = in.substr(0, nl);
  size_t sp = first.find(' ');
  request.method = std::string(first.substr(0, sp));
  request.target = sp == std::string_view::npos ? "/" : std::string(first.substr(sp + 1));
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(rest);
  auto decoded = bp::DecodeRequest(*service, request);
  bulwark::http::Response response;
  if (!decoded.ok()) {
    bp::EncodeError(service, bp::Protocol::kRestJson, decoded.status(), "fuzz", &response);
    return 0;
  }
  bulwark::Status st = bp::ValidateInput(*service, *decoded->operation, decoded->input);
  if (!st.ok()) bp::EncodeError(service, bp::Protocol::kRestJson, st, "fuzz", &response);
  bp::EncodeResult(*service, *decoded->operation, decoded->input, "fuzz", &response);
  return 0;
}
