// Entry points: protocol dispatch, and error shapes for all three protocols.
#include "protocol/protocol.h"

#include <exception>

#include "core/error_catalog.h"
#include "protocol/internal.h"

namespace bulwark::protocol {

using nlohmann::json;

Result<DecodedRequest> DecodeRequest(const ServiceModel& service, const http::Request& request) {
  try {
    switch (service.protocol()) {
      case Protocol::kJson:
        return DecodeJsonRequest(service, request);
      case Protocol::kQuery:
        return DecodeQueryRequest(service, request);
      case Protocol::kRestJson:
        return DecodeRestJsonRequest(service, request);
    }
  } catch (const json::exception&) {
    return Status(ErrorKind::kSerialization, "The request could not be parsed.");
  } catch (const std::exception&) {
    return Status(ErrorKind::kInternalFailure, "");
  }
  return Status(ErrorKind::kInternalFailure, "");
}

void EncodeResult(const ServiceModel& service, const OperationModel& operation, const json& output,
                  std::string_view request_id, http::Response* response) {
  response->headers.clear();
  try {
    switch (service.protocol()) {
      case Protocol::kJson:
        EncodeJsonResult(service, operation, output, response);
        break;
      case Protocol::kQuery:
        EncodeQueryResult(service, operation, output, request_id, response);
        break;
      case Protocol::kRestJson:
        EncodeRestJsonResult(service, operation, output, response);
        break;
    }
  } catch (const std::exception&) {
    EncodeError(&service, service.protocol(), Status(ErrorKind::kInternalFailure, ""), request_id,
                response);
    return;
  }
  response->SetHeader("x-amzn-RequestId", std::string(request_id));
}

void EncodeError(const ServiceModel* service, Protocol protocol, const Status& status,
                 std::string_view request_id, http::Response* response) {
  if (service != nullptr) protocol = service->protocol();
  std::string code;
  int http_status;
  bool sender_fault;
  std::string message;
  if (status.kind() == ErrorKind::kService) {
    code = status.code();
    http_status = status.http_status();
    sender_fault = status.sender_fault();
    message = status.message();
  } else {
    // kOk here is a caller bug; it is reported as an internal failure.
    ErrorKind kind = status.ok() ? ErrorKind::kInternalFailure : status.kind();
    const ErrorRow& row = LookupError(kind);
    code = std::string(protocol == Protocol::kQuery ? row.query_code : row.json_code);
    http_status = protocol == Protocol::kQuery ? row.query_status : row.json_status;
    sender_fault = row.sender_fault;
    message = (kind == ErrorKind::kInternalFailure || status.message().empty())
                  ? std::string(row.default_message)
                  : status.message();
  }
  if (http_status < 100 || http_status > 599) http_status = 500;

  response->status = http_status;
  response->headers.clear();
  response->SetHeader("x-amzn-RequestId", std::string(request_id));
  switch (protocol) {
    case Protocol::kJson: {
      json body = json::object();
      body["__type"] = code;
      if (!message.empty()) body["message"] = message;
      std::string version = service != nullptr ? std::string(service->json_version()) : "1.1";
      response->SetHeader("Content-Type", "application/x-amz-json-" + version);
      response->body = DumpJson(body);
      break;
    }
    case Protocol::kRestJson: {
      json body = json::object();
      body["__type"] = code;
      body["message"] = message;
      response->SetHeader("Content-Type", "application/json");
      response->SetHeader("x-amzn-ErrorType", code);
      response->body = DumpJson(body);
      break;
    }
    case Protocol::kQuery: {
      std::string body = "<ErrorResponse";
      if (service != nullptr && !service->xml_namespace().empty()) {
        body += " xmlns=\"" + XmlEscape(service->xml_namespace()) + "\"";
      }
      body += "><Error><Type>";
      body += sender_fault ? "Sender" : "Receiver";
      body += "</Type><Code>" + XmlEscape(code) + "</Code>";
      if (!message.empty()) body += "<Message>" + XmlEscape(message) + "</Message>";
      body += "</Error><RequestId>" + XmlEscape(request_id) + "</RequestId></ErrorResponse>";
      response->SetHeader("Content-Type", "text/xml");
      response->body = std::move(body);
      break;
    }
  }
}

}  // namespace bulwark::protocol
