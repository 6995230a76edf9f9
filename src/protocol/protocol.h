// The model-driven protocol layer: AWS service models (botocore service-2.json, embedded
// at build time) drive request decoding, input validation and response/error encoding
// for the three wire protocols Bulwark speaks: awsJson 1.0/1.1 (X-Amz-Target), awsQuery
// (IAM, STS) and rest-json.
//
// Handlers see botocore-like JSON values: structures are objects keyed by member names
// (not wire names), timestamps are numbers (Unix epoch seconds, maybe fractional), blobs
// are nlohmann binary values.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "http/message.h"

namespace bulwark::protocol {

enum class Protocol { kJson, kQuery, kRestJson };

enum class ShapeType {
  kStructure,
  kList,
  kMap,
  kString,
  kInteger,
  kLong,
  kFloat,
  kDouble,
  kBoolean,
  kTimestamp,
  kBlob,
};

// Where a rest-json member is bound on the wire.
enum class Location { kBody, kUri, kQueryString, kHeader, kHeaders, kStatusCode };

class Shape;
class PatternMatcher;

struct Member {
  std::string name;       // the model's member name (the key in decoded values)
  std::string wire_name;  // locationName if given, else name
  const Shape* shape = nullptr;
  Location location = Location::kBody;
  bool required = false;
  bool idempotency_token = false;
  bool flattened = false;  // member-level "flattened" (query)
};

class Shape {
 public:
  std::string name;
  ShapeType type = ShapeType::kString;
  std::vector<Member> members;       // structures, in model order
  const Shape* member = nullptr;     // lists
  std::string member_location_name;  // lists: locationName of the member ("member")
  const Shape* key = nullptr;        // maps
  const Shape* value = nullptr;      // maps
  std::string key_location_name;     // maps ("key")
  std::string value_location_name;   // maps ("value")
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::string> enum_values;
  std::string pattern;
  std::string timestamp_format;  // "", "iso8601", "unixTimestamp", "rfc822"
  std::string payload;           // structures (rest): member bound to the body
  bool flattened = false;
  bool sensitive = false;
  bool document = false;  // arbitrary JSON (document types)
  bool is_union = false;
  bool exception = false;

  const Member* FindMember(std::string_view member_name) const;
  // The compiled pattern, or null if there is none or it does not compile. Thread-safe.
  const PatternMatcher* Pattern() const;

 private:
  mutable std::once_flag pattern_once_;
  mutable std::shared_ptr<const PatternMatcher> pattern_matcher_;
};

class OperationModel {
 public:
  std::string_view name() const { return name_; }
  std::string_view http_method() const { return http_method_; }
  std::string_view request_uri() const { return request_uri_; }
  int response_code() const { return response_code_; }
  const Shape* input() const { return input_; }    // may be null
  const Shape* output() const { return output_; }  // may be null
  std::string_view result_wrapper() const { return result_wrapper_; }

 private:
  friend class ServiceModel;
  friend class ModelLoader;
  std::string name_;
  std::string http_method_ = "POST";
  std::string request_uri_ = "/";
  int response_code_ = 200;
  const Shape* input_ = nullptr;
  const Shape* output_ = nullptr;
  std::string result_wrapper_;
};

struct RestRoute;  // internal (restjson codec)

class ServiceModel {
 public:
  // model_text (botocore service-2.json) must outlive the model; the embedded texts do.
  ServiceModel(std::string name, std::string_view model_text);
  ~ServiceModel();
  ServiceModel(const ServiceModel&) = delete;
  ServiceModel& operator=(const ServiceModel&) = delete;

  std::string_view name() const { return name_; }
  Protocol protocol() const { return protocol_; }
  std::string_view target_prefix() const { return target_prefix_; }
  std::string_view signing_name() const { return signing_name_; }
  std::string_view endpoint_prefix() const { return endpoint_prefix_; }
  std::string_view api_version() const { return api_version_; }
  std::string_view xml_namespace() const { return xml_namespace_; }
  std::string_view json_version() const { return json_version_; }
  // False if the metadata or the model could not be parsed (never for the embedded ones).
  bool valid() const;

  // The first call parses the model (thread-safe); later calls are lookups.
  const OperationModel* FindOperation(std::string_view name) const;
  std::vector<std::string_view> OperationNames() const;
  const Shape* FindShape(std::string_view name) const;
  // Rest-json routes, most specific first (empty for other protocols).
  const std::vector<RestRoute>& Routes() const;

  struct Parsed;  // internal: the parsed shapes and operations

 private:
  const Parsed& Load() const;

  std::string name_;
  std::string_view text_;
  Protocol protocol_ = Protocol::kJson;
  std::string target_prefix_;
  std::string signing_name_;
  std::string endpoint_prefix_;
  std::string api_version_;
  std::string xml_namespace_;
  std::string json_version_;
  bool metadata_ok_ = false;
  mutable std::once_flag load_once_;
  mutable std::unique_ptr<Parsed> parsed_;
};

class ModelRegistry {
 public:
  // Thread-safe. Reads only each model's metadata at first use; a service's shapes and
  // operations are parsed on its first FindOperation.
  static const ModelRegistry& Instance();

  const ServiceModel* Find(std::string_view name) const;
  const ServiceModel* FindByTargetPrefix(std::string_view prefix) const;
  const ServiceModel* FindBySigningName(std::string_view signing_name) const;
  std::vector<const ServiceModel*> All() const;

 private:
  ModelRegistry();
  std::vector<std::unique_ptr<ServiceModel>> services_;
};

inline std::string_view OperationName(const OperationModel& op) { return op.name(); }

struct DecodedRequest {
  const OperationModel* operation = nullptr;
  nlohmann::json input = nlohmann::json::object();
};

// Nesting deeper than this in a request body is rejected (kSerialization).
inline constexpr int kMaxNestingDepth = 64;

// Finds the operation and decodes its input. json: X-Amz-Target; query: Action (form body
// of a POST, or the query string); rest-json: method + URI template (most specific wins).
// Does not check constraints. Errors: kUnknownOperation, kInvalidAction, kMissingAction,
// kSerialization, kNotFoundRoute.
Result<DecodedRequest> DecodeRequest(const ServiceModel& service, const http::Request& request);

// Checks required members, enums, lengths, ranges and patterns. Returns kValidation with
// AWS's message ("1 validation error detected: Value 'x' at 'keyId' failed to satisfy
// constraint: Member must have length less than or equal to 2048").
Status ValidateInput(const ServiceModel& service, const OperationModel& operation,
                     const nlohmann::json& input);

// Serializes a handler's output into the protocol's response. Replaces the response's
// status, headers and body; members the model does not define are not serialized.
void EncodeResult(const ServiceModel& service, const OperationModel& operation,
                  const nlohmann::json& output, std::string_view request_id,
                  http::Response* response);

// Overwrites every string and binary in `value` with zeros, in place (sizes stay): for
// trees that held secrets — plaintexts, secret values, private keys — before they are
// freed.
void WipeJson(nlohmann::json& value);

// Wipes a tree (WipeJson) when it goes out of scope, on every return path.
class JsonWiper {
 public:
  explicit JsonWiper(nlohmann::json& value) : value_(value) {}
  ~JsonWiper();
  JsonWiper(const JsonWiper&) = delete;
  JsonWiper& operator=(const JsonWiper&) = delete;

 private:
  nlohmann::json& value_;
};

// Serializes an error, replacing status, headers and body. service may be null (then
// `protocol` alone decides the shape).
// kInternalFailure always uses the catalogue's message.
void EncodeError(const ServiceModel* service, Protocol protocol, const Status& status,
                 std::string_view request_id, http::Response* response);

}  // namespace bulwark::protocol
