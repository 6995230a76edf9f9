// rest-json: operations routed by method + URI template; members bound to URI labels,
// query parameters, headers or the JSON body.
#include <map>

#include "crypto/crypto.h"
#include "protocol/internal.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path[0] == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return out;
  size_t pos = 0;
  while (true) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(pos));
      break;
    }
    out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Matches the route; fills labels (decoded). False if it does not match.
bool MatchRoute(const RestRoute& route, const std::vector<std::string_view>& segments,
                const QueryParams& query, std::map<std::string, std::string>* labels) {
  labels->clear();
  size_t i = 0;
  for (size_t k = 0; k < route.segments.size(); ++k) {
    const RouteSegment& seg = route.segments[k];
    if (seg.kind == RouteSegment::Kind::kGreedyLabel) {
      if (i >= segments.size()) return false;
      std::string joined;
      for (size_t j = i; j < segments.size(); ++j) {
        if (j > i) joined += '/';
        joined += segments[j];
      }
      auto decoded = PercentDecode(joined, false);
      if (!decoded || decoded->empty()) return false;
      (*labels)[seg.text] = std::move(*decoded);
      i = segments.size();
      continue;
    }
    if (i >= segments.size()) return false;
    auto decoded = PercentDecode(segments[i], false);
    if (!decoded) return false;
    if (seg.kind == RouteSegment::Kind::kLiteral) {
      if (*decoded != seg.text) return false;
    } else {
      if (decoded->empty()) return false;
      (*labels)[seg.text] = std::move(*decoded);
    }
    ++i;
  }
  if (i != segments.size()) return false;
  for (const auto& [key, value] : route.static_query) {
    bool found = false;
    for (const auto& [k, v] : query) {
      if (k == key && (!value || v == *value)) found = true;
    }
    if (!found) return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && http::HeaderNameEquals(s.substr(0, prefix.size()), prefix);
}

std::string HeaderValue(const Shape& shape, const json& value) {
  switch (shape.type) {
    case ShapeType::kString:
      return value.is_string() ? value.get<std::string>() : std::string();
    case ShapeType::kBoolean:
      return value.is_boolean() ? (value.get<bool>() ? "true" : "false") : "";
    case ShapeType::kInteger:
    case ShapeType::kLong:
      return value.is_number() ? std::to_string(value.get<int64_t>()) : "";
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      return value.is_number() ? FormatDouble(value.get<double>()) : "";
    case ShapeType::kTimestamp: {
      auto t = OutputTimestamp(value);
      if (!t) return "";
      if (shape.timestamp_format == "iso8601") return FormatIso8601(*t);
      if (shape.timestamp_format == "unixTimestamp") return FormatDouble(*t);
      return FormatRfc822(*t);
    }
    case ShapeType::kBlob: {
      auto raw = OutputBlob(value);
      return raw ? crypto::Base64Encode(*raw) : "";
    }
    default:
      return "";
  }
}

// Header values must not smuggle CR/LF into the response.
std::string SanitizeHeader(std::string v) {
  for (char& c : v) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return v;
}

}  // namespace

RestRoute ParseRoute(const OperationModel& operation) {
  RestRoute route;
  route.operation = &operation;
  route.method = std::string(operation.http_method());
  std::string_view uri = operation.request_uri();
  size_t q = uri.find('?');
  std::string_view path = uri.substr(0, q);
  if (q != std::string_view::npos) {
    std::string_view query = uri.substr(q + 1);
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      if (amp == std::string_view::npos) amp = query.size();
      std::string_view pair = query.substr(pos, amp - pos);
      if (!pair.empty()) {
        size_t eq = pair.find('=');
        if (eq == std::string_view::npos) {
          route.static_query.emplace_back(std::string(pair), std::nullopt);
        } else {
          route.static_query.emplace_back(std::string(pair.substr(0, eq)),
                                          std::string(pair.substr(eq + 1)));
        }
      }
      pos = amp + 1;
    }
  }
  for (std::string_view seg : SplitPath(path)) {
    RouteSegment s;
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      std::string_view name = seg.substr(1, seg.size() - 2);
      if (!name.empty() && name.back() == '+') {
        s.kind = RouteSegment::Kind::kGreedyLabel;
        name.remove_suffix(1);
        route.greedy = true;
      } else {
        s.kind = RouteSegment::Kind::kLabel;
      }
      s.text = std::string(name);
    } else {
      s.kind = RouteSegment::Kind::kLiteral;
      s.text = std::string(seg);
      ++route.literal_count;
    }
    route.segments.push_back(std::move(s));
  }
  return route;
}

Result<DecodedRequest> DecodeRestJsonRequest(const ServiceModel& service,
                                             const http::Request& request) {
  QueryParams query;
  {
    // Query strings use RFC 3986 percent-encoding: '+' is a literal plus.
    std::string_view raw = request.RawQuery();
    size_t pos = 0;
    while (pos <= raw.size()) {
      size_t amp = raw.find('&', pos);
      if (amp == std::string_view::npos) amp = raw.size();
      std::string_view pair = raw.substr(pos, amp - pos);
      pos = amp + 1;
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      auto k = PercentDecode(pair.substr(0, eq), false);
      auto v = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), false);
      if (!k || !v || !IsValidUtf8(*k) || !IsValidUtf8(*v)) {
        return Status(ErrorKind::kSerialization, "Malformed query string.");
      }
      query.emplace_back(std::move(*k), std::move(*v));
    }
  }
  std::vector<std::string_view> segments = SplitPath(request.Path());
  std::map<std::string, std::string> labels;
  const RestRoute* matched = nullptr;
  for (const RestRoute& route : service.Routes()) {
    if (route.method != request.method) continue;
    if (MatchRoute(route, segments, query, &labels)) {
      matched = &route;
      break;
    }
  }
  if (matched == nullptr) return Status(ErrorKind::kNotFoundRoute, "");
  for (const auto& [k, v] : labels) {
    if (!IsValidUtf8(v)) return Status(ErrorKind::kSerialization, "Malformed request path.");
  }

  DecodedRequest out;
  out.operation = matched->operation;
  const Shape* shape = out.operation->input();
  if (shape == nullptr) return out;

  json input = json::object();
  // Body.
  if (!shape->payload.empty()) {
    const Member* payload = shape->FindMember(shape->payload);
    if (payload != nullptr) {
      if (payload->shape->type == ShapeType::kBlob) {
        if (!request.body.empty()) {
          input[payload->name] = json::binary(
              json::binary_t::container_type(request.body.begin(), request.body.end()));
        }
      } else if (payload->shape->type == ShapeType::kString) {
        if (!request.body.empty()) {
          if (!IsValidUtf8(request.body)) {
            return Status(ErrorKind::kSerialization, "The request body is not valid UTF-8.");
          }
          input[payload->name] = request.body;
        }
      } else {
        ASSIGN_OR_RETURN(json body, ParseJsonBody(request.body));
        if (!body.empty() || payload->shape->type != ShapeType::kStructure) {
          ASSIGN_OR_RETURN(input[payload->name],
                           DecodeJsonValue(*payload->shape, body, payload->wire_name, 1));
        }
      }
    }
  } else {
    ASSIGN_OR_RETURN(json body, ParseJsonBody(request.body));
    ASSIGN_OR_RETURN(input, DecodeJsonValue(*shape, body, "", 0));
  }

  // URI, query string and header bindings.
  std::vector<bool> query_used(query.size(), false);
  for (size_t i = 0; i < query.size(); ++i) {
    for (const auto& [key, value] : matched->static_query) {
      if (query[i].first == key) query_used[i] = true;  // bound by the route itself
    }
  }
  const Member* query_map = nullptr;
  for (const Member& m : shape->members) {
    switch (m.location) {
      case Location::kUri: {
        auto it = labels.find(m.wire_name);
        if (it == labels.end()) break;
        ASSIGN_OR_RETURN(input[m.name], ScalarFromString(*m.shape, it->second, m.wire_name));
        break;
      }
      case Location::kQueryString: {
        if (m.shape->type == ShapeType::kMap) {
          query_map = &m;
          break;
        }
        json values = json::array();
        for (size_t i = 0; i < query.size(); ++i) {
          if (query[i].first != m.wire_name) continue;
          query_used[i] = true;
          const Shape& item_shape = m.shape->type == ShapeType::kList ? *m.shape->member : *m.shape;
          ASSIGN_OR_RETURN(json v, ScalarFromString(item_shape, query[i].second, m.wire_name));
          values.push_back(std::move(v));
        }
        if (values.empty()) break;
        input[m.name] = m.shape->type == ShapeType::kList ? std::move(values) : values[0];
        break;
      }
      case Location::kHeader: {
        if (!request.HasHeader(m.wire_name)) break;
        std::string_view raw = request.Header(m.wire_name);
        if (m.shape->type == ShapeType::kList) {
          json values = json::array();
          size_t pos = 0;
          while (pos <= raw.size()) {
            size_t comma = raw.find(',', pos);
            if (comma == std::string_view::npos) comma = raw.size();
            std::string_view item = raw.substr(pos, comma - pos);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
            ASSIGN_OR_RETURN(json v, ScalarFromString(*m.shape->member, item, m.wire_name));
            values.push_back(std::move(v));
            pos = comma + 1;
          }
          input[m.name] = std::move(values);
        } else {
          if (!IsValidUtf8(raw)) {
            return Status(ErrorKind::kSerialization, "A request header is not valid UTF-8.");
          }
          ASSIGN_OR_RETURN(input[m.name], ScalarFromString(*m.shape, raw, m.wire_name));
        }
        break;
      }
      case Location::kHeaders: {
        if (m.shape->type != ShapeType::kMap) break;
        json map = json::object();
        for (const auto& [name, value] : request.headers) {
          if (!StartsWithIgnoreCase(name, m.wire_name) || !IsValidUtf8(value)) continue;
          map[name.substr(m.wire_name.size())] = value;
        }
        if (!map.empty()) input[m.name] = std::move(map);
        break;
      }
      default:
        break;
    }
  }
  if (query_map != nullptr) {
    // A map bound to the query string takes every parameter no other member claimed.
    json map = json::object();
    const Shape& value_shape = *query_map->shape->value;
    for (size_t i = 0; i < query.size(); ++i) {
      if (query_used[i]) continue;
      const auto& [k, v] = query[i];
      if (value_shape.type == ShapeType::kList) {
        json& list = map[k];
        if (!list.is_array()) list = json::array();
        list.push_back(v);
      } else if (!map.contains(k)) {
        map[k] = v;
      }
    }
    if (!map.empty()) input[query_map->name] = std::move(map);
  }
  out.input = std::move(input);
  return out;
}

void EncodeRestJsonResult(const ServiceModel& service, const OperationModel& operation,
                          const json& output, http::Response* response) {
  response->status = operation.response_code();
  response->SetHeader("Content-Type", "application/json");
  const Shape* shape = operation.output();
  if (shape == nullptr) {
    response->body = "{}";
    return;
  }
  static const json kEmpty = json::object();
  const json& value = output.is_object() ? output : kEmpty;
  for (const Member& m : shape->members) {
    auto it = value.find(m.name);
    if (it == value.end() || it->is_null()) continue;
    switch (m.location) {
      case Location::kHeader: {
        std::string v = HeaderValue(*m.shape, *it);
        if (!v.empty() || m.shape->type == ShapeType::kString) {
          response->SetHeader(m.wire_name, SanitizeHeader(std::move(v)));
        }
        break;
      }
      case Location::kHeaders:
        if (it->is_object()) {
          for (const auto& [k, v] : it->items()) {
            if (v.is_string()) {
              response->SetHeader(SanitizeHeader(m.wire_name + k),
                                  SanitizeHeader(v.get<std::string>()));
            }
          }
        }
        break;
      case Location::kStatusCode:
        if (it->is_number_integer()) {
          int code = it->get<int>();
          if (code >= 100 && code <= 599) response->status = code;
        }
        break;
      default:
        break;
    }
  }
  if (!shape->payload.empty()) {
    const Member* payload = shape->FindMember(shape->payload);
    auto it = payload ? value.find(payload->name) : value.end();
    if (payload == nullptr || it == value.end() || it->is_null()) {
      response->body = payload && payload->shape->type == ShapeType::kStructure ? "{}" : "";
      return;
    }
    if (payload->shape->type == ShapeType::kBlob) {
      response->body = std::string(OutputBlob(*it).value_or(std::string_view()));
      response->SetHeader("Content-Type", "application/octet-stream");
    } else if (payload->shape->type == ShapeType::kString) {
      response->body = it->is_string() ? it->get<std::string>() : "";
      response->SetHeader("Content-Type", "text/plain");
    } else {
      response->body = DumpJson(EncodeJsonValue(*payload->shape, *it, Protocol::kRestJson));
    }
    return;
  }
  response->body = DumpJson(EncodeJsonValue(*shape, value, Protocol::kRestJson));
}

}  // namespace bulwark::protocol
