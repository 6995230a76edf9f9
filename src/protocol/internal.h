// Helpers shared by the protocol codecs. Not part of the public API.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "protocol/protocol.h"

namespace bulwark::protocol {

// One segment of a rest-json request URI template.
struct RouteSegment {
  enum class Kind { kLiteral, kLabel, kGreedyLabel };
  Kind kind = Kind::kLiteral;
  std::string text;  // literal text, or the label name
};

struct RestRoute {
  const OperationModel* operation = nullptr;
  std::string method;
  std::vector<RouteSegment> segments;
  // Query parameters fixed by the template ("/x?tagging" or "/x?type=a").
  std::vector<std::pair<std::string, std::optional<std::string>>> static_query;
  int literal_count = 0;
  bool greedy = false;
};

// A compiled botocore pattern (Java-flavoured regular expression), matched against a whole
// string. Simple "[class]+" patterns are matched without std::regex so that long values
// cannot exhaust the stack.
class PatternMatcher {
 public:
  static std::shared_ptr<const PatternMatcher> Compile(const std::string& pattern);
  virtual ~PatternMatcher() = default;
  // nullopt: the value is too long for the general matcher, so it was not checked.
  virtual std::optional<bool> Matches(const std::u32string& value) const = 0;
};

// UTF-8 helpers. DecodeUtf8 returns nullopt on ill-formed input.
std::optional<std::u32string> DecodeUtf8(std::string_view s);
bool IsValidUtf8(std::string_view s);
// Length as Java's String.length() counts it (UTF-16 code units).
size_t Utf16Length(std::string_view utf8);

// Percent-decoding (form and URI). plus_as_space for application/x-www-form-urlencoded.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_as_space);
std::string PercentEncode(std::string_view s);  // RFC 3986 unreserved kept

// Parses "k=v&k2=v2" into pairs (decoded). Errors on bad percent-encoding or bad UTF-8.
Result<std::vector<std::pair<std::string, std::string>>> ParseFormEncoded(std::string_view s);

// Timestamps as epoch seconds.
std::optional<double> ParseIso8601(std::string_view s);
std::optional<double> ParseRfc822(std::string_view s);
std::optional<double> ParseTimestampString(std::string_view s);  // iso8601, rfc822 or number
std::string FormatIso8601(double epoch_seconds);
std::string FormatRfc822(double epoch_seconds);
// A JSON number for epoch seconds: integral values as integers.
nlohmann::json EpochJson(double epoch_seconds);
// Epoch seconds from a handler's output value (number, or ISO string). nullopt if neither.
std::optional<double> OutputTimestamp(const nlohmann::json& v);

// Raw bytes of a handler's blob output (binary value or string).
std::optional<std::string_view> OutputBlob(const nlohmann::json& v);

// Formats a double the shortest way that round-trips ("1.5", "3", "1e+300").
std::string FormatDouble(double d);

// Depth of nesting of a JSON text (string-aware); stops counting early past `limit`.
int JsonNestingDepth(std::string_view text, int limit);

// Parses an integer of the given shape type from text. nullopt on junk or overflow.
std::optional<int64_t> ParseInteger(std::string_view s, ShapeType type);
std::optional<double> ParseDouble(std::string_view s);

// Converts a scalar string (query parameter, header, URI label) to the member's type.
Result<nlohmann::json> ScalarFromString(const Shape& shape, std::string_view text,
                                        std::string_view where);

// Parses a request body that must be a JSON object (empty body = {}), enforcing the
// nesting limit.
Result<nlohmann::json> ParseJsonBody(std::string_view body);

// Converts a JSON wire value (json, rest-json bodies) into the decoded form. depth counts
// nesting for the limit.
Result<nlohmann::json> DecodeJsonValue(const Shape& shape, const nlohmann::json& wire,
                                       std::string_view where, int depth);
// Encodes a handler's value for a JSON body (json, rest-json). Members without a value
// are omitted.
nlohmann::json EncodeJsonValue(const Shape& shape, const nlohmann::json& value, Protocol protocol);
// Serializes JSON safely (invalid UTF-8 replaced, never throws).
std::string DumpJson(const nlohmann::json& v);

std::string XmlEscape(std::string_view s);

Result<DecodedRequest> DecodeJsonRequest(const ServiceModel& service, const http::Request& request);
Result<DecodedRequest> DecodeQueryRequest(const ServiceModel& service,
                                          const http::Request& request);
Result<DecodedRequest> DecodeRestJsonRequest(const ServiceModel& service,
                                             const http::Request& request);
void EncodeJsonResult(const ServiceModel& service, const OperationModel& operation,
                      const nlohmann::json& output, http::Response* response);
void EncodeQueryResult(const ServiceModel& service, const OperationModel& operation,
                       const nlohmann::json& output, std::string_view request_id,
                       http::Response* response);
void EncodeRestJsonResult(const ServiceModel& service, const OperationModel& operation,
                          const nlohmann::json& output, http::Response* response);

// Parses a rest-json requestUri template into a route.
RestRoute ParseRoute(const OperationModel& operation);

}  // namespace bulwark::protocol
