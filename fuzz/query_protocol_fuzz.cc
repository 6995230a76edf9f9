// Fuzzes the awsQuery decoder: input is a form body (POST) for STS, or after a leading
// '?' a query string (GET) for IAM. Validates and encodes whatever decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/protocol.h"

namespace bp = bulwark::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bp::ServiceModel* const sts = bp::ModelRegistry::Instance().Find("sts");
  static const bp::ServiceModel* const iam = bp::ModelRegistry::Instance().Find("iam");
  std::string_view in(reinterpret_cast<const char*>(data), size);
  bulwark::http::Request request;
  const bp::ServiceModel* service = sts;
  if (!in.empty() && in[0] == '?') {
    service = iam;
    request.method = "GET";
    request.target = "/" + std::string(in);
  } else {
    request.method = "POST";
    request.target = "/";
    request.body = std::string(in);
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  }
  auto decoded = bp::DecodeRequest(*service, request);
  bulwark::http::Response response;
  if (!decoded.ok()) {
    bp::EncodeError(service, bp::Protocol::kQuery, decoded.status(), "fuzz", &response);
    return 0;
  }
  bulwark::Status st = bp::ValidateInput(*service, *decoded->operation, decoded->input);
  if (!st.ok()) bp::EncodeError(service, bp::Protocol::kQuery, st, "fuzz", &response);
  bp::EncodeResult(*service, *decoded->operation, decoded->input, "fuzz", &response);
  return 0;
}
