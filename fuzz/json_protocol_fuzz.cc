// Fuzzes the awsJson decoder: input is "<X-Amz-Target>\n<body>". Decodes against KMS
// (json 1.1) and, when decoding succeeds, validates and re-encodes the value as an output
// and as an error. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/protocol.h"

namespace bp = bulwark::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bp::ServiceModel* const kms = bp::ModelRegistry::Instance().Find("kms");
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  bulwark::http::Request request;
  request.method = "POST";
  request.target = "/";
  std::string target =
      nl == std::string_view::npos ? std::string(in) : std::string(in.substr(0, nl));
  if (target.find('.') == std::string::npos) target = "TrentService." + target;
  request.headers = {{"X-Amz-Target", target}, {"Content-Type", "application/x-amz-json-1.1"}};
  request.body = nl == std::string_view::npos ? std::string() : std::string(in.substr(nl + 1));
  auto decoded = bp::DecodeRequest(*kms, request);
  bulwark::http::Response response;
  if (!decoded.ok()) {
    bp::EncodeError(kms, bp::Protocol::kJson, decoded.status(), "fuzz", &response);
    return 0;
  }
  bulwark::Status st = bp::ValidateInput(*kms, *decoded->operation, decoded->input);
  bp::EncodeError(kms, bp::Protocol::kJson, st.ok() ? bulwark::Status::Service("X", 400, "m") : st,
                  "fuzz", &response);
  bp::EncodeResult(*kms, *decoded->operation, decoded->input, "fuzz", &response);
  return 0;
}
