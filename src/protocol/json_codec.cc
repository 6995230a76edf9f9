// awsJson 1.0/1.1: POST /, X-Amz-Target: <targetPrefix>.<Operation>, JSON bodies.
#include "protocol/internal.h"

namespace bulwark::protocol {

using nlohmann::json;

Result<json> ParseJsonBody(std::string_view body) {
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return json::object();
  if (JsonNestingDepth(body, kMaxNestingDepth) > kMaxNestingDepth) {
    return Status(ErrorKind::kSerialization, "The request body is nested too deeply.");
  }
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Status(ErrorKind::kSerialization, "The request body is not valid JSON.");
  }
  if (!doc.is_object()) {
    return Status(ErrorKind::kSerialization,
                  "Start of structure or map expected at the top of the request body.");
  }
  return doc;
}

Result<DecodedRequest> DecodeJsonRequest(const ServiceModel& service,
                                         const http::Request& request) {
  std::string_view target = request.Header("X-Amz-Target");
  size_t dot = target.rfind('.');
  if (dot == std::string_view::npos || target.substr(0, dot) != service.target_prefix()) {
    return Status(ErrorKind::kUnknownOperation, "");
  }
  const OperationModel* op = service.FindOperation(target.substr(dot + 1));
  if (op == nullptr) return Status(ErrorKind::kUnknownOperation, "");
  ASSIGN_OR_RETURN(json body, ParseJsonBody(request.body));
  JsonWiper wipe_body(body);  // the wire form of what may be secret (plaintexts, values)
  DecodedRequest out;
  out.operation = op;
  if (op->input() != nullptr) {
    ASSIGN_OR_RETURN(out.input, DecodeJsonValue(*op->input(), body, "", 0));
  }
  return out;
}

void EncodeJsonResult(const ServiceModel& service, const OperationModel& operation,
                      const json& output, http::Response* response) {
  response->status = 200;
  response->SetHeader("Content-Type",
                      "application/x-amz-json-" + std::string(service.json_version()));
  if (operation.output() == nullptr) {
    response->body = "{}";
    return;
  }
  json encoded = EncodeJsonValue(*operation.output(), output, Protocol::kJson);
  JsonWiper wipe_encoded(encoded);
  response->body = DumpJson(encoded);
}

}  // namespace bulwark::protocol
