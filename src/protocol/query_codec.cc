// awsQuery (IAM, STS): form-encoded parameters in, XML out.
//
// Parameters are flattened botocore-style: "Tags.member.1.Key", "Attrs.entry.1.key",
// "Attrs.entry.1.value", empty lists as "Tags=". Responses are
//   <OpResponse xmlns="ns"><OpResult>...</OpResult>
//   <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>
#include <map>

#include "crypto/crypto.h"
#include "protocol/internal.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;
using Params = std::map<std::string, std::string, std::less<>>;

bool HasPrefixKey(const Params& params, const std::string& prefix) {
  if (params.count(prefix)) return true;
  std::string dotted = prefix + ".";
  auto it = params.lower_bound(dotted);
  return it != params.end() && it->first.compare(0, dotted.size(), dotted) == 0;
}

// Distinct positive indices N of keys "<prefix>.N" or "<prefix>.N.<rest>", in order.
std::map<uint64_t, std::string> Indices(const Params& params, const std::string& prefix) {
  std::map<uint64_t, std::string> out;
  std::string dotted = prefix + ".";
  for (auto it = params.lower_bound(dotted);
       it != params.end() && it->first.compare(0, dotted.size(), dotted) == 0; ++it) {
    std::string_view rest = std::string_view(it->first).substr(dotted.size());
    std::string_view component = rest.substr(0, rest.find('.'));
    if (component.empty() || component.size() > 9 || component[0] == '0') continue;
    auto n = ParseInteger(component, ShapeType::kLong);
    if (!n || *n < 1) continue;
    out.emplace(static_cast<uint64_t>(*n), std::string(component));
  }
  return out;
}

std::string Child(const std::string& prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
}

// Decodes the value of `shape` at `prefix`. Sets *present when any parameter matched.
Result<json> DecodeQueryValue(const Shape& shape, const std::string& prefix, const Params& params,
                              int depth, bool* present) {
  *present = false;
  if (depth > kMaxNestingDepth) {
    return Status(ErrorKind::kSerialization, "The request is nested too deeply.");
  }
  switch (shape.type) {
    case ShapeType::kStructure: {
      json out = json::object();
      if (!prefix.empty() && !HasPrefixKey(params, prefix)) return out;
      *present = !prefix.empty();
      for (const Member& m : shape.members) {
        std::string key = Child(prefix, m.wire_name);
        bool member_present = false;
        const Shape& ms = *m.shape;
        json v;
        if (ms.type == ShapeType::kList && (m.flattened || ms.flattened)) {
          // Flattened: elements directly at "<key>.N", renamed by the member's locationName.
          std::string list_key = key;
          if (!ms.member_location_name.empty()) list_key = Child(prefix, ms.member_location_name);
          json list = json::array();
          for (const auto& [n, component] : Indices(params, list_key)) {
            bool item_present = false;
            ASSIGN_OR_RETURN(json item, DecodeQueryValue(*ms.member, list_key + "." + component,
                                                         params, depth + 1, &item_present));
            if (item_present) list.push_back(std::move(item));
          }
          member_present = !list.empty() || params.count(list_key);
          v = std::move(list);
        } else {
          ASSIGN_OR_RETURN(v, DecodeQueryValue(ms, key, params, depth + 1, &member_present));
        }
        if (member_present) {
          out[m.name] = std::move(v);
          *present = true;
        }
      }
      return out;
    }
    case ShapeType::kList: {
      json out = json::array();
      auto exact = params.find(prefix);
      if (exact != params.end() && exact->second.empty()) *present = true;  // "Tags="
      std::string list_prefix =
          shape.flattened
              ? prefix
              : prefix + "." +
                    (shape.member_location_name.empty() ? "member" : shape.member_location_name);
      for (const auto& [n, component] : Indices(params, list_prefix)) {
        bool item_present = false;
        ASSIGN_OR_RETURN(json item, DecodeQueryValue(*shape.member, list_prefix + "." + component,
                                                     params, depth + 1, &item_present));
        if (item_present) {
          out.push_back(std::move(item));
          *present = true;
        }
      }
      return out;
    }
    case ShapeType::kMap: {
      json out = json::object();
      auto exact = params.find(prefix);
      if (exact != params.end() && exact->second.empty()) *present = true;
      std::string entry_prefix = shape.flattened ? prefix : prefix + ".entry";
      std::string key_name = shape.key_location_name.empty() ? "key" : shape.key_location_name;
      std::string value_name =
          shape.value_location_name.empty() ? "value" : shape.value_location_name;
      for (const auto& [n, component] : Indices(params, entry_prefix)) {
        std::string base = entry_prefix + "." + component;
        auto key_it = params.find(base + "." + key_name);
        if (key_it == params.end()) {
          return Status(ErrorKind::kSerialization,
                        "Map entry '" + base + "' has no " + key_name + ".");
        }
        bool value_present = false;
        ASSIGN_OR_RETURN(json v, DecodeQueryValue(*shape.value, base + "." + value_name, params,
                                                  depth + 1, &value_present));
        out[key_it->second] = value_present ? std::move(v) : json(nullptr);
        *present = true;
      }
      return out;
    }
    default: {
      auto it = params.find(prefix);
      if (it == params.end()) return json(nullptr);
      *present = true;
      return ScalarFromString(shape, it->second, prefix);
    }
  }
}

// ---------------------------------------------------------------------------------------
// XML output

void AppendXmlValue(const Shape& shape, const json& value, std::string* out, int depth);

void AppendElement(std::string_view name, const Shape& shape, const json& value, std::string* out,
                   int depth) {
  *out += "<";
  *out += name;
  *out += ">";
  AppendXmlValue(shape, value, out, depth + 1);
  *out += "</";
  *out += name;
  *out += ">";
}

void AppendXmlValue(const Shape& shape, const json& value, std::string* out, int depth) {
  if (depth > 2 * kMaxNestingDepth) return;
  switch (shape.type) {
    case ShapeType::kStructure:
      if (!value.is_object()) return;
      for (const Member& m : shape.members) {
        auto it = value.find(m.name);
        if (it == value.end() || it->is_null()) continue;
        const Shape& ms = *m.shape;
        if (ms.type == ShapeType::kList && (m.flattened || ms.flattened) && it->is_array()) {
          std::string item_name =
              ms.member_location_name.empty() ? m.wire_name : ms.member_location_name;
          for (const json& item : *it) AppendElement(item_name, *ms.member, item, out, depth);
        } else {
          AppendElement(m.wire_name, ms, *it, out, depth);
        }
      }
      return;
    case ShapeType::kList: {
      if (!value.is_array()) return;
      std::string item_name =
          shape.member_location_name.empty() ? "member" : shape.member_location_name;
      for (const json& item : value) AppendElement(item_name, *shape.member, item, out, depth);
      return;
    }
    case ShapeType::kMap: {
      if (!value.is_object()) return;
      std::string key_name = shape.key_location_name.empty() ? "key" : shape.key_location_name;
      std::string value_name =
          shape.value_location_name.empty() ? "value" : shape.value_location_name;
      for (const auto& [k, item] : value.items()) {
        *out += "<entry><" + key_name + ">" + XmlEscape(k) + "</" + key_name + ">";
        AppendElement(value_name, *shape.value, item, out, depth);
        *out += "</entry>";
      }
      return;
    }
    case ShapeType::kString:
      if (value.is_string()) *out += XmlEscape(value.get_ref<const std::string&>());
      return;
    case ShapeType::kBoolean:
      if (value.is_boolean()) *out += value.get<bool>() ? "true" : "false";
      return;
    case ShapeType::kInteger:
    case ShapeType::kLong:
      if (value.is_number_integer() || value.is_number_unsigned()) {
        *out += value.dump();
      } else if (value.is_number()) {
        *out += std::to_string(static_cast<int64_t>(value.get<double>()));
      }
      return;
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (value.is_number()) *out += FormatDouble(value.get<double>());
      return;
    case ShapeType::kTimestamp:
      if (auto t = OutputTimestamp(value)) *out += FormatIso8601(*t);
      return;
    case ShapeType::kBlob:
      if (auto raw = OutputBlob(value)) *out += crypto::Base64Encode(*raw);
      return;
  }
}

}  // namespace

Result<DecodedRequest> DecodeQueryRequest(const ServiceModel& service,
                                          const http::Request& request) {
  Params params;
  ASSIGN_OR_RETURN(auto query_pairs, ParseFormEncoded(request.RawQuery()));
  for (auto& [k, v] : query_pairs) params.emplace(std::move(k), std::move(v));
  if (request.method == "POST") {
    ASSIGN_OR_RETURN(auto body_pairs, ParseFormEncoded(request.body));
    for (auto& [k, v] : body_pairs) params.insert_or_assign(std::move(k), std::move(v));
  }
  auto action = params.find("Action");
  if (action == params.end() || action->second.empty()) {
    return Status(ErrorKind::kMissingAction, "Missing Action");
  }
  std::string version(service.api_version());
  if (auto v = params.find("Version"); v != params.end()) version = v->second;
  const OperationModel* op = service.FindOperation(action->second);
  if (op == nullptr || version != service.api_version()) {
    return Status(ErrorKind::kInvalidAction,
                  "Could not find operation " + action->second + " for version " + version);
  }
  DecodedRequest out;
  out.operation = op;
  if (op->input() != nullptr) {
    params.erase("Action");
    params.erase("Version");
    bool present = false;
    ASSIGN_OR_RETURN(out.input, DecodeQueryValue(*op->input(), "", params, 0, &present));
  }
  return out;
}

void EncodeQueryResult(const ServiceModel& service, const OperationModel& operation,
                       const json& output, std::string_view request_id, http::Response* response) {
  std::string name(operation.name());
  std::string body = "<" + name + "Response xmlns=\"" + XmlEscape(service.xml_namespace()) + "\">";
  if (operation.output() != nullptr) {
    std::string wrapper(operation.result_wrapper());
    if (wrapper.empty()) wrapper = name + "Result";
    body += "<" + wrapper + ">";
    AppendXmlValue(*operation.output(), output, &body, 0);
    body += "</" + wrapper + ">";
  }
  body += "<ResponseMetadata><RequestId>" + XmlEscape(request_id) +
          "</RequestId></ResponseMetadata></" + name + "Response>";
  response->status = 200;
  response->SetHeader("Content-Type", "text/xml");
  response->body = std::move(body);
}

}  // namespace bulwark::protocol
