// Service models: lazy parsing of botocore service-2.json into Shape/OperationModel graphs,
// and the registry of embedded models.
#include <algorithm>
#include <cstdio>
#include <map>

#include "protocol/embedded_models.h"
#include "protocol/internal.h"
#include "protocol/protocol.h"

namespace bulwark::protocol {

// ordered_json keeps members in model order, which is the order AWS serializes them in.
using json = nlohmann::ordered_json;

const Member* Shape::FindMember(std::string_view member_name) const {
  for (const Member& m : members) {
    if (m.name == member_name) return &m;
  }
  return nullptr;
}

const PatternMatcher* Shape::Pattern() const {
  if (pattern.empty()) return nullptr;
  std::call_once(pattern_once_, [this] { pattern_matcher_ = PatternMatcher::Compile(pattern); });
  return pattern_matcher_.get();
}

struct ServiceModel::Parsed {
  std::deque<Shape> shapes;
  std::unordered_map<std::string, Shape*> shapes_by_name;
  std::deque<OperationModel> operations;
  std::map<std::string, OperationModel*, std::less<>> operations_by_name;
  std::vector<RestRoute> routes;
  bool ok = false;
};

namespace {

std::string StringOr(const json& obj, const char* key, std::string fallback = {}) {
  auto it = obj.find(key);
  if (it != obj.end() && it->is_string()) return it->get<std::string>();
  return fallback;
}

bool BoolOr(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::optional<ShapeType> ParseShapeType(const std::string& t) {
  static const std::pair<const char*, ShapeType> kTypes[] = {
      {"structure", ShapeType::kStructure},
      {"list", ShapeType::kList},
      {"map", ShapeType::kMap},
      {"string", ShapeType::kString},
      {"integer", ShapeType::kInteger},
      {"long", ShapeType::kLong},
      {"float", ShapeType::kFloat},
      {"double", ShapeType::kDouble},
      {"boolean", ShapeType::kBoolean},
      {"timestamp", ShapeType::kTimestamp},
      {"blob", ShapeType::kBlob},
  };
  for (const auto& [name, type] : kTypes) {
    if (t == name) return type;
  }
  return std::nullopt;
}

std::optional<Location> ParseLocation(const std::string& l) {
  if (l.empty()) return Location::kBody;
  if (l == "uri") return Location::kUri;
  if (l == "querystring") return Location::kQueryString;
  if (l == "header") return Location::kHeader;
  if (l == "headers") return Location::kHeaders;
  if (l == "statusCode") return Location::kStatusCode;
  return std::nullopt;
}

// Extracts the top-level "metadata" object without parsing the whole model.
std::optional<json> ExtractMetadata(std::string_view text) {
  size_t pos = text.find("\"metadata\"");
  if (pos == std::string_view::npos) return std::nullopt;
  size_t start = text.find('{', pos);
  if (start == std::string_view::npos) return std::nullopt;
  int depth = 0;
  bool in_string = false;
  for (size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) {
        json j = json::parse(text.substr(start, i - start + 1), nullptr, false);
        if (j.is_discarded() || !j.is_object()) return std::nullopt;
        return j;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

class ModelLoader {
 public:
  static bool Load(std::string_view text, Protocol protocol, ServiceModel::Parsed* out) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return false;
    auto shapes_it = doc.find("shapes");
    auto ops_it = doc.find("operations");
    if (shapes_it == doc.end() || !shapes_it->is_object() || ops_it == doc.end() ||
        !ops_it->is_object()) {
      return false;
    }
    // Pass 1: allocate every shape so that references resolve in any order.
    for (const auto& [name, def] : shapes_it->items()) {
      Shape& s = out->shapes.emplace_back();
      s.name = name;
      out->shapes_by_name[name] = &s;
    }
    auto resolve = [&](const json& ref) -> Shape* {
      if (!ref.is_object()) return nullptr;
      auto it = out->shapes_by_name.find(StringOr(ref, "shape"));
      return it == out->shapes_by_name.end() ? nullptr : it->second;
    };
    // Pass 2: fill them in.
    for (const auto& [name, def] : shapes_it->items()) {
      Shape& s = *out->shapes_by_name[name];
      if (!def.is_object()) return false;
      auto type = ParseShapeType(StringOr(def, "type"));
      if (!type) return false;
      s.type = *type;
      if (auto it = def.find("min"); it != def.end() && it->is_number()) s.min = it->get<double>();
      if (auto it = def.find("max"); it != def.end() && it->is_number()) s.max = it->get<double>();
      if (auto it = def.find("enum"); it != def.end() && it->is_array()) {
        for (const json& e : *it) {
          if (e.is_string()) s.enum_values.push_back(e.get<std::string>());
        }
      }
      s.pattern = StringOr(def, "pattern");
      s.timestamp_format = StringOr(def, "timestampFormat");
      s.payload = StringOr(def, "payload");
      s.flattened = BoolOr(def, "flattened");
      s.sensitive = BoolOr(def, "sensitive");
      s.document = BoolOr(def, "document");
      s.is_union = BoolOr(def, "union");
      s.exception = BoolOr(def, "exception");
      switch (s.type) {
        case ShapeType::kStructure: {
          auto members = def.find("members");
          if (members == def.end() || !members->is_object()) break;
          for (const auto& [mname, mref] : members->items()) {
            Member m;
            m.name = mname;
            m.shape = resolve(mref);
            if (m.shape == nullptr) return false;
            m.wire_name = StringOr(mref, "locationName", mname);
            auto loc = ParseLocation(StringOr(mref, "location"));
            if (!loc) return false;
            m.location = *loc;
            m.idempotency_token = BoolOr(mref, "idempotencyToken");
            m.flattened = BoolOr(mref, "flattened");
            s.members.push_back(std::move(m));
          }
          if (auto req = def.find("required"); req != def.end() && req->is_array()) {
            for (const json& r : *req) {
              if (!r.is_string()) continue;
              for (Member& m : s.members) {
                if (m.name == r.get<std::string>()) m.required = true;
              }
            }
          }
          break;
        }
        case ShapeType::kList: {
          auto it = def.find("member");
          if (it == def.end()) return false;
          s.member = resolve(*it);
          if (s.member == nullptr) return false;
          s.member_location_name = StringOr(*it, "locationName");
          break;
        }
        case ShapeType::kMap: {
          auto k = def.find("key");
          auto v = def.find("value");
          if (k == def.end() || v == def.end()) return false;
          s.key = resolve(*k);
          s.value = resolve(*v);
          if (s.key == nullptr || s.value == nullptr) return false;
          s.key_location_name = StringOr(*k, "locationName");
          s.value_location_name = StringOr(*v, "locationName");
          break;
        }
        default:
          break;
      }
    }
    for (const auto& [name, def] : ops_it->items()) {
      if (!def.is_object()) return false;
      OperationModel& op = out->operations.emplace_back();
      op.name_ = StringOr(def, "name", name);
      if (auto http = def.find("http"); http != def.end() && http->is_object()) {
        op.http_method_ = StringOr(*http, "method", "POST");
        op.request_uri_ = StringOr(*http, "requestUri", "/");
        if (auto rc = http->find("responseCode"); rc != http->end() && rc->is_number_integer()) {
          op.response_code_ = rc->get<int>();
        }
      }
      if (auto in = def.find("input"); in != def.end()) {
        op.input_ = resolve(*in);
        if (op.input_ == nullptr) return false;
      }
      if (auto o = def.find("output"); o != def.end()) {
        op.output_ = resolve(*o);
        if (op.output_ == nullptr) return false;
        op.result_wrapper_ = StringOr(*o, "resultWrapper");
      }
      out->operations_by_name[name] = &op;
    }
    if (protocol == Protocol::kRestJson) {
      for (const OperationModel& op : out->operations) out->routes.push_back(ParseRoute(op));
      std::stable_sort(out->routes.begin(), out->routes.end(),
                       [](const RestRoute& a, const RestRoute& b) {
                         if (a.literal_count != b.literal_count) {
                           return a.literal_count > b.literal_count;
                         }
                         if (a.greedy != b.greedy) return !a.greedy;
                         if (a.static_query.size() != b.static_query.size()) {
                           return a.static_query.size() > b.static_query.size();
                         }
                         return a.segments.size() > b.segments.size();
                       });
    }
    return true;
  }
};

ServiceModel::ServiceModel(std::string name, std::string_view model_text)
    : name_(std::move(name)), text_(model_text) {
  std::optional<json> md = ExtractMetadata(text_);
  if (!md) return;
  std::string proto = StringOr(*md, "protocol");
  if (proto == "json") {
    protocol_ = Protocol::kJson;
  } else if (proto == "query") {
    protocol_ = Protocol::kQuery;
  } else if (proto == "rest-json") {
    protocol_ = Protocol::kRestJson;
  } else {
    return;
  }
  target_prefix_ = StringOr(*md, "targetPrefix");
  endpoint_prefix_ = StringOr(*md, "endpointPrefix");
  signing_name_ = StringOr(*md, "signingName", endpoint_prefix_);
  api_version_ = StringOr(*md, "apiVersion");
  xml_namespace_ = StringOr(*md, "xmlNamespace");
  json_version_ = StringOr(*md, "jsonVersion", protocol_ == Protocol::kJson ? "1.0" : "");
  metadata_ok_ = true;
}

ServiceModel::~ServiceModel() = default;

const ServiceModel::Parsed& ServiceModel::Load() const {
  std::call_once(load_once_, [this] {
    auto parsed = std::make_unique<Parsed>();
    if (metadata_ok_) parsed->ok = ModelLoader::Load(text_, protocol_, parsed.get());
    if (!parsed->ok) {
      std::fprintf(stderr, "bulwark: service model '%s' could not be parsed\n", name_.c_str());
      parsed = std::make_unique<Parsed>();  // drop partial state
    }
    parsed_ = std::move(parsed);
  });
  return *parsed_;
}

bool ServiceModel::valid() const { return metadata_ok_ && Load().ok; }

const OperationModel* ServiceModel::FindOperation(std::string_view name) const {
  const Parsed& p = Load();
  auto it = p.operations_by_name.find(name);
  return it == p.operations_by_name.end() ? nullptr : it->second;
}

std::vector<std::string_view> ServiceModel::OperationNames() const {
  std::vector<std::string_view> names;
  for (const auto& [name, op] : Load().operations_by_name) names.push_back(op->name());
  return names;
}

const Shape* ServiceModel::FindShape(std::string_view name) const {
  const Parsed& p = Load();
  auto it = p.shapes_by_name.find(std::string(name));
  return it == p.shapes_by_name.end() ? nullptr : it->second;
}

const std::vector<RestRoute>& ServiceModel::Routes() const { return Load().routes; }

ModelRegistry::ModelRegistry() {
  for (const EmbeddedModel& m : EmbeddedModels()) {
    services_.push_back(std::make_unique<ServiceModel>(m.name, m.text()));
  }
}

const ModelRegistry& ModelRegistry::Instance() {
  static const ModelRegistry* const kInstance = new ModelRegistry();
  return *kInstance;
}

const ServiceModel* ModelRegistry::Find(std::string_view name) const {
  for (const auto& s : services_) {
    if (s->name() == name) return s.get();
  }
  return nullptr;
}

const ServiceModel* ModelRegistry::FindByTargetPrefix(std::string_view prefix) const {
  if (prefix.empty()) return nullptr;
  for (const auto& s : services_) {
    if (s->protocol() == Protocol::kJson && s->target_prefix() == prefix) return s.get();
  }
  return nullptr;
}

const ServiceModel* ModelRegistry::FindBySigningName(std::string_view signing_name) const {
  if (signing_name.empty()) return nullptr;
  for (const auto& s : services_) {
    if (s->signing_name() == signing_name) return s.get();
  }
  return nullptr;
}

std::vector<const ServiceModel*> ModelRegistry::All() const {
  std::vector<const ServiceModel*> all;
  for (const auto& s : services_) all.push_back(s.get());
  return all;
}

}  // namespace bulwark::protocol
