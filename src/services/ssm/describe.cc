// Parameter Store: DescribeParameters, and the ParameterFilters it shares with
// GetParametersByPath.
#include <algorithm>

#include "services/iam/common.h"
#include "services/service_util.h"
#include "services/ssm/common.h"
#include "services/ssm/handlers.h"

namespace bulwark::ssm {
namespace {

std::string OptionOf(const Json& filter) {
  return filter.value("Option", filter.value("Key", "") == "Path" ? "OneLevel" : "Equals");
}

Status InvalidKey(std::string_view key, std::string_view valid) {
  return Error("InvalidFilterKey", "The following filter key is not valid: " + std::string(key) +
                                       ". Valid filter keys include: " + std::string(valid) + ".");
}

// The values of a parameter a filter key looks at.
std::vector<std::string> FieldsOf(const Json& p, const std::string& key) {
  std::vector<std::string> out;
  if (key == "Name") {
    out.push_back(PathName(p.value("Name", "")));
  } else if (key == "Path") {
    out.push_back(PathName(p.value("Name", "")));
  } else if (key == "Type" || key == "KeyId" || key == "Tier" || key == "DataType") {
    if (p.contains(key)) out.push_back(p.value(key, ""));
  } else if (key == "Label") {
    if (auto labels = p.find("Labels"); labels != p.end() && labels->is_object()) {
      for (const auto& [label, v] : labels->items()) out.push_back(label);
    }
  } else if (key.starts_with("tag:")) {
    for (const Json& tag : p.value("Tags", Json::array())) {
      if (tag.value("Key", "") == key.substr(4)) out.push_back(tag.value("Value", ""));
    }
  }
  return out;
}

bool Matches(const Json& p, const Json& filter) {
  const std::string key = filter.value("Key", "");
  const std::string option = OptionOf(filter);
  const std::vector<std::string> fields = FieldsOf(p, key);
  const Json values = filter.value("Values", Json::array());
  if (key.starts_with("tag:") && values.empty()) return !fields.empty();  // the tag exists
  for (const Json& v : values) {
    std::string value = v.is_string() ? v.get<std::string>() : "";
    for (const std::string& field : fields) {
      if (key == "Path") {
        std::string path = value == "/" ? "" : value;
        while (path.ends_with("/")) path.pop_back();
        if (!field.starts_with(path + "/")) continue;
        const std::string_view rest = std::string_view(field).substr(path.size() + 1);
        if (option == "Recursive" || rest.find('/') == std::string_view::npos) return true;
      } else if (key == "Name" && option != "Contains") {
        const std::string name = PathName(value.starts_with("/") ? value.substr(1) : value);
        if (option == "BeginsWith" ? field.starts_with(name) : field == name) return true;
      } else if (option == "BeginsWith") {
        if (field.starts_with(value)) return true;
      } else if (option == "Contains") {
        if (field.find(value) != std::string::npos) return true;
      } else if (field == value) {
        return true;
      }
    }
  }
  return false;
}

Json MetadataOf(const Json& p) {
  Json out = {{"Name", p.value("Name", "")},
              {"ARN", p.value("ARN", "")},
              {"Type", p.value("Type", "")},
              {"LastModifiedDate", p.value("LastModifiedDate", int64_t{0})},
              {"Version", p.value("Version", int64_t{0})},
              {"Tier", p.value("Tier", "Standard")},
              {"DataType", p.value("DataType", "text")}};
  for (const char* member : {"KeyId", "LastModifiedUser", "Description", "AllowedPattern"}) {
    if (p.contains(member)) out[member] = p[member];
  }
  out["Policies"] = InlinePolicies(p);
  return out;
}

}  // namespace

Status CheckParameterFilters(const Json& filters, bool by_path) {
  std::vector<std::string> seen;
  for (const Json& f : filters) {
    // The model's shape, which the pipeline has checked; in-process callers may not have.
    const auto is = [&](const char* member, bool (Json::*type)() const noexcept) {
      return !f.contains(member) || (f[member].*type)();
    };
    if (!f.is_object() || !f.contains("Key") || !is("Key", &Json::is_string) ||
        !is("Option", &Json::is_string) || !is("Values", &Json::is_array)) {
      return Status(ErrorKind::kValidation, "A parameter filter is not of the model's shape.");
    }
    const std::string key = f.value("Key", "");
    const std::string option = OptionOf(f);
    const bool tag = key.starts_with("tag:");
    if (by_path) {
      if (key != "Type" && key != "KeyId" && key != "Label" && !tag) {
        return InvalidKey(key, "[Type, KeyId, Label, tag:KEY]");
      }
    } else if (key != "Name" && key != "Path" && key != "Type" && key != "KeyId" && key != "Tier" &&
               key != "DataType" && !tag) {
      return InvalidKey(key, "[Path, Name, Type, KeyId, Tier, DataType, tag:KEY]");
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return InvalidKey(key,
                        "filters that appear once: a request can contain only one "
                        "occurrence of a specific filter");
    }
    seen.push_back(key);
    const Json values = f.value("Values", Json::array());
    if (values.empty() && !tag) {
      return Error("InvalidFilterValue",
                   "The following filter values are missing : null for filter key " + key + ".");
    }
    if (key == "Path") {
      if (option != "Recursive" && option != "OneLevel") {
        return Error("InvalidFilterOption", "The following filter option is not valid: " + option +
                                                ". Valid options include: [Recursive, "
                                                "OneLevel].");
      }
      continue;
    }
    const bool ok = option == "Equals" || (option == "BeginsWith" && !tag && key != "Label") ||
                    (option == "Contains" && key == "Name");
    if (!ok) {
      return Error(
          "InvalidFilterOption",
          "The following filter option is not valid: " + option + ". Valid options include: [" +
              (key == "Name" ? "BeginsWith, Equals, Contains" : "BeginsWith, Equals") + "].");
    }
    for (const Json& v : values) {
      const std::string value = v.is_string() ? v.get<std::string>() : "";
      if (key == "Type" && value != "String" && value != "StringList" && value != "SecureString") {
        return Error("InvalidFilterValue", "The following filter value is not valid: " + value +
                                               ". Valid values include: [String, StringList, "
                                               "SecureString].");
      }
      if (key == "Tier" && value != "Standard" && value != "Advanced" &&
          value != "Intelligent-Tiering") {
        return Error("InvalidFilterValue", "The following filter value is not valid: " + value +
                                               ". Valid values include: [Standard, Advanced, "
                                               "Intelligent-Tiering].");
      }
    }
  }
  return Status::Ok();
}

bool MatchesParameterFilters(const Json& parameter, const Json& filters) {
  for (const Json& f : filters) {
    if (!Matches(parameter, f)) return false;
  }
  return true;
}

Result<Json> DescribeParameters(RequestContext& ctx, const Json& input) {
  Json filters = input.value("ParameterFilters", Json::array());
  if (input.contains("Filters")) {
    if (!filters.empty()) {
      return Validation("You can use either Filters or ParameterFilters in a single request.");
    }
    // The older Filters: Name (a prefix), Type, KeyId.
    for (const Json& f : input["Filters"]) {
      filters.push_back({{"Key", f.value("Key", "")},
                         {"Option", f.value("Key", "") == "Name" ? "BeginsWith" : "Equals"},
                         {"Values", f.value("Values", Json::array())}});
    }
  }
  RETURN_IF_ERROR(CheckParameterFilters(filters, /*by_path=*/false));
  std::vector<Json> matched;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(ParamPrefix(ctx)));
    for (const storage::KeyValue& row : rows) {
      Json p = Json::parse(row.value, nullptr, /*allow_exceptions=*/false);
      if (p.is_object() && MatchesParameterFilters(p, filters)) matched.push_back(MetadataOf(p));
    }
  }
  ASSIGN_OR_RETURN(size_t start, StartOf(input, matched.size()));
  const size_t max = input.value("MaxResults", 50);
  Json list = Json::array();
  size_t i = start;
  for (; i < matched.size() && list.size() < max; ++i) list.push_back(std::move(matched[i]));
  Json out = {{"Parameters", std::move(list)}};
  if (i < matched.size()) out["NextToken"] = OffsetToken(i);
  return out;
}

}  // namespace bulwark::ssm
