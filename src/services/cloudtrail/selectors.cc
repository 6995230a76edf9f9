#include "services/cloudtrail/selectors.h"

#include <algorithm>
#include <array>

#include "services/cloudtrail/common.h"

namespace bulwark::cloudtrail {
namespace {

constexpr size_t kMaxSelectors = 5;
constexpr size_t kMaxDataValues = 250;
constexpr size_t kMaxAdvancedValues = 500;
// The management event sources a trail may leave out.
constexpr std::array<std::string_view, 2> kExcludable = {"kms.amazonaws.com",
                                                         "rdsdata.amazonaws.com"};
constexpr std::array<std::string_view, 3> kDataTypes = {"AWS::S3::Object", "AWS::Lambda::Function",
                                                        "AWS::DynamoDB::Table"};
constexpr std::array<std::string_view, 6> kOperators = {
    "Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith"};

Status Invalid(std::string message) {
  return Error("InvalidEventSelectorsException", std::move(message));
}

template <size_t N>
bool In(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

std::vector<std::string> Strings(const Json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const Json& v : list) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

// The values of a field selector's Equals of the eventCategory field, or empty.
std::vector<std::string> CategoryOf(const Json& selector) {
  for (const Json& f : selector.value("FieldSelectors", Json::array())) {
    if (f.value("Field", "") == "eventCategory") return Strings(f.value("Equals", Json::array()));
  }
  return {};
}

// One field selector against the values the event has for its field (several for
// resources.*): a positive operator needs one value to match one of its operands, a
// negative one needs no value to.
bool FieldMatches(const Json& f, const std::vector<std::string_view>& values) {
  const auto any = [&](const char* op, auto&& test) {
    for (const std::string& operand : Strings(f.value(op, Json::array()))) {
      for (std::string_view v : values) {
        if (test(v, std::string_view(operand))) return true;
      }
    }
    return false;
  };
  const auto eq = [](std::string_view v, std::string_view o) { return v == o; };
  const auto starts = [](std::string_view v, std::string_view o) { return v.starts_with(o); };
  const auto ends = [](std::string_view v, std::string_view o) { return v.ends_with(o); };
  if (f.contains("Equals") && !any("Equals", eq)) return false;
  if (f.contains("StartsWith") && !any("StartsWith", starts)) return false;
  if (f.contains("EndsWith") && !any("EndsWith", ends)) return false;
  if (any("NotEquals", eq) || any("NotStartsWith", starts) || any("NotEndsWith", ends)) {
    return false;
  }
  return true;
}

}  // namespace

Status CheckEventSelectors(const Json& selectors) {
  if (selectors.size() > kMaxSelectors) {
    return Invalid("A trail can have at most 5 event selectors.");
  }
  size_t values = 0;
  for (const Json& s : selectors) {
    for (const Json& r : s.value("DataResources", Json::array())) {
      const std::string type = r.value("Type", "");
      if (!In(kDataTypes, type)) {
        return Invalid("Value " + type +
                       " for DataResources.Type is not valid: use AWS::S3::Object, "
                       "AWS::Lambda::Function or AWS::DynamoDB::Table.");
      }
      values += r.value("Values", Json::array()).size();
    }
    for (const std::string& source :
         Strings(s.value("ExcludeManagementEventSources", Json::array()))) {
      if (!In(kExcludable, source)) {
        return Invalid("Value " + source +
                       " for ExcludeManagementEventSources is not valid: only "
                       "kms.amazonaws.com and rdsdata.amazonaws.com can be excluded.");
      }
    }
  }
  if (values > kMaxDataValues) {
    return Invalid("A trail's event selectors can name at most 250 data resources.");
  }
  return Status::Ok();
}

Status CheckAdvancedEventSelectors(const Json& selectors) {
  if (selectors.empty() || selectors.size() > kMaxSelectors) {
    return Invalid("A trail can have from 1 to 5 advanced event selectors.");
  }
  size_t values = 0;
  for (const Json& s : selectors) {
    const std::vector<std::string> category = CategoryOf(s);
    if (category.size() != 1 || (category[0] != "Management" && category[0] != "Data")) {
      return Invalid(
          "Each advanced event selector needs an eventCategory field selector that Equals "
          "Management or Data.");
    }
    const bool management = category[0] == "Management";
    for (const Json& f : s.value("FieldSelectors", Json::array())) {
      const std::string field = f.value("Field", "");
      size_t operators = 0;
      for (std::string_view op : kOperators) {
        if (f.contains(op)) {
          ++operators;
          values += f[std::string(op)].size();
        }
      }
      if (operators == 0) return Invalid("Field selector " + field + " has no operator.");
      static constexpr std::array<std::string_view, 3> kManagementFields = {
          "eventCategory", "readOnly", "eventSource"};
      static constexpr std::array<std::string_view, 10> kDataFields = {
          "eventCategory",    "readOnly",
          "eventSource",      "eventName",
          "eventType",        "errorCode",
          "resources.type",   "resources.ARN",
          "userIdentity.arn", "sessionCredentialFromConsole"};
      if (management ? !In(kManagementFields, field) : !In(kDataFields, field)) {
        return Invalid("Field " + field + " is not valid for " + category[0] + " events.");
      }
      if (field == "readOnly") {
        for (const std::string& v : Strings(f.value("Equals", Json::array()))) {
          if (v != "true" && v != "false") {
            return Invalid("Value " + v + " for readOnly is not valid: use true or false.");
          }
        }
      }
      if (management && field == "eventSource") {
        if (operators != 1 || !f.contains("NotEquals")) {
          return Invalid("For management events, eventSource takes only NotEquals.");
        }
        for (const std::string& v : Strings(f["NotEquals"])) {
          if (!In(kExcludable, v)) {
            return Invalid("Value " + v +
                           " for eventSource is not valid: only kms.amazonaws.com and "
                           "rdsdata.amazonaws.com can be excluded.");
          }
        }
      }
    }
  }
  if (values > kMaxAdvancedValues) {
    return Invalid("A trail's advanced event selectors can hold at most 500 values.");
  }
  return Status::Ok();
}

Json NormalizedEventSelectors(const Json& selectors) {
  Json out = Json::array();
  for (const Json& s : selectors) {
    out.push_back({{"ReadWriteType", s.value("ReadWriteType", "All")},
                   {"IncludeManagementEvents", s.value("IncludeManagementEvents", true)},
                   {"DataResources", s.value("DataResources", Json::array())},
                   {"ExcludeManagementEventSources",
                    s.value("ExcludeManagementEventSources", Json::array())}});
  }
  return out;
}

Json DefaultEventSelectors() { return NormalizedEventSelectors(Json::array({Json::object()})); }

bool SelectsEvent(const Json& trail, const EventView& e,
                  const std::function<const Json&()>& record) {
  if (auto advanced = trail.find("AdvancedEventSelectors"); advanced != trail.end()) {
    for (const Json& s : *advanced) {
      const std::vector<std::string> category = CategoryOf(s);
      if (category.size() != 1 || category[0] != "Management") continue;
      bool all = true;
      for (const Json& f : s.value("FieldSelectors", Json::array())) {
        const std::string field = f.value("Field", "");
        std::vector<std::string_view> values;
        std::string owned;
        if (field == "eventCategory") {
          values = {"Management"};
        } else if (field == "readOnly") {
          values = {e.read_only ? "true" : "false"};
        } else if (field == "eventSource") {
          values = {e.event_source};
        } else if (field == "eventName") {
          values = {e.event_name};
        } else if (field == "resources.type" || field == "resources.ARN") {
          e.ForEachResource([&](std::string_view type, std::string_view name) {
            values.push_back(field == "resources.type" ? type : name);
            return true;
          });
        } else if (field == "userIdentity.arn" || field == "errorCode" || field == "eventType") {
          const Json& r = record();
          const Json* v = nullptr;
          if (field == "userIdentity.arn") {
            if (auto id = r.find("userIdentity"); id != r.end() && id->contains("arn")) {
              v = &(*id)["arn"];
            }
          } else if (auto it = r.find(field); it != r.end()) {
            v = &*it;
          }
          if (v && v->is_string()) {
            owned = v->get<std::string>();
            values = {owned};
          }
        }
        if (!FieldMatches(f, values)) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }
  const Json selectors = trail.value("EventSelectors", DefaultEventSelectors());
  for (const Json& s : selectors) {
    if (!s.value("IncludeManagementEvents", true)) continue;
    const std::string rw = s.value("ReadWriteType", "All");
    if ((rw == "ReadOnly" && !e.read_only) || (rw == "WriteOnly" && e.read_only)) continue;
    const std::vector<std::string> excluded =
        Strings(s.value("ExcludeManagementEventSources", Json::array()));
    if (std::find(excluded.begin(), excluded.end(), e.event_source) != excluded.end()) continue;
    return true;
  }
  return false;
}

}  // namespace bulwark::cloudtrail
