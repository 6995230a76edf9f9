// Parameter Store: PutParameter (types, tiers, AllowedPattern, DataType, parameter
// policies, versions), GetParameter(s) with version and label selectors,
// GetParametersByPath, DeleteParameter(s), GetParameterHistory, Label/Unlabel, and the
// maintenance hook that carries out Expiration policies.
#include <re2/re2.h>

#include <algorithm>
#include <cstdio>

#include "policy/values.h"
#include "services/iam/common.h"
#include "services/service_util.h"
#include "services/ssm/common.h"
#include "services/ssm/handlers.h"

namespace bulwark::ssm {
namespace {

// What a version copies from the request or, on an overwrite, from the version before.
constexpr const char* kCarried[] = {"Description", "AllowedPattern", "Policies", "DataType"};

Status TooManyUpdates() {
  return Error("TooManyUpdates",
               "There are concurrent updates for the resource that you're trying to modify. Try "
               "again later.");
}

bool IsAmiId(std::string_view v) {
  if (!v.starts_with("ami-")) return false;
  std::string_view hex = v.substr(4);
  if (hex.size() != 8 && hex.size() != 17) return false;
  return std::all_of(hex.begin(), hex.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The version PutParameter makes from the request and the parameter as it is (null when
// new): every check but the encryption. Sets "Expiration" when a policy has one.
Result<Json> PlanVersion(const RequestContext& ctx, const Json& input, const Json& existing,
                         const std::string& canonical, int64_t now) {
  const std::string value = input.value("Value", "");
  if (value.empty()) {
    return Validation(
        "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1.");
  }
  const bool exists = !existing.is_null();
  const bool overwrite = Flag(input, "Overwrite");
  if (overwrite && !input.value("Tags", Json::array()).empty()) {
    return Validation(
        "Invalid request: tags and overwrite can't be used together. To create a parameter with "
        "tags, please remove overwrite flag. To update tags for an existing parameter, please "
        "use AddTagsToResource or RemoveTagsFromResource.");
  }
  if (exists && !overwrite) {
    return Error("ParameterAlreadyExists",
                 "The parameter already exists. To overwrite this value, set the overwrite "
                 "option in the request to true.");
  }
  Json v = Json::object();
  v["Name"] = exists ? existing["Name"] : input["Name"];
  if (v["Name"].get<std::string>().starts_with("arn:")) v["Name"] = PathName(canonical);
  v["ARN"] = ParameterArn(ctx, canonical);
  const std::string type = input.value("Type", exists ? existing.value("Type", "") : "");
  if (type.empty()) return Validation("A parameter type is required when you create a parameter.");
  v["Type"] = type;
  for (const char* member : kCarried) {
    if (input.contains(member)) {
      v[member] = input[member];
    } else if (exists && existing.contains(member)) {
      v[member] = existing[member];
    }
  }
  const std::string data_type = v.value("DataType", "text");
  if (data_type != "text" && data_type != "aws:ec2:image" && data_type != "aws:ssm:integration") {
    return Validation("The following data type is not supported: " + data_type +
                      " (Data type names are all lowercase.)");
  }
  if (data_type != "text" && type != "String") {
    return Validation("The data type " + data_type + " is only supported for String parameters.");
  }
  if (data_type == "aws:ec2:image" && !IsAmiId(value)) {
    return Validation("The value " + value +
                      " is not a valid AMI ID (ami-, then 8 or 17 "
                      "hexadecimal digits).");
  }
  v["DataType"] = data_type;
  // Tier.
  const std::string old_tier = exists ? existing.value("Tier", "Standard") : "";
  std::string tier = input.value("Tier", exists ? old_tier : std::string("Standard"));
  const bool has_policies = v.contains("Policies") && !v.value("Policies", "").empty();
  if (tier == "Intelligent-Tiering") {
    tier = old_tier == "Advanced" || value.size() > kStandardValueBytes || has_policies
               ? "Advanced"
               : "Standard";
  }
  if (old_tier == "Advanced" && tier == "Standard") {
    return Validation(
        "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from "
        "the advanced-parameter tier to the standard-parameter tier. If necessary, you can "
        "delete the advanced parameter and recreate it as a standard parameter.");
  }
  if (value.size() > kAdvancedValueBytes) {
    return Validation("Parameter values can have at most 8192 characters.");
  }
  if (tier == "Standard" && value.size() > kStandardValueBytes) {
    return Validation(
        "Standard tier parameters support a maximum parameter value of 4096 characters. To "
        "create a larger parameter value, upgrade the parameter to use the advanced-parameter "
        "tier.");
  }
  if (has_policies) {
    if (tier != "Advanced") {
      return Validation("Parameter policies are supported only for advanced parameters.");
    }
    ASSIGN_OR_RETURN(int64_t expiration, CheckParameterPolicies(v.value("Policies", ""), now));
    if (expiration) v["Expiration"] = expiration;
  }
  v["Tier"] = tier;
  // AllowedPattern: RE2, a whole match.
  if (v.contains("AllowedPattern") && !v.value("AllowedPattern", "").empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);
    RE2 pattern(v.value("AllowedPattern", ""), options);
    if (!pattern.ok()) {
      return Error("InvalidAllowedPatternException", "The allowed pattern " +
                                                         v.value("AllowedPattern", "") +
                                                         " is not a valid regular expression.");
    }
    if (!RE2::FullMatch(value, pattern)) {
      return Error("ParameterPatternMismatchException",
                   "Parameter value, cannot be validated against allowedPattern: " +
                       v.value("AllowedPattern", ""));
    }
  }
  if (type == "SecureString") {
    const bool same_type = exists && existing.value("Type", "") == "SecureString";
    v["KeyId"] = input.value("KeyId", same_type ? existing.value("KeyId", "") : "");
    if (v["KeyId"] == "") v["KeyId"] = kManagedAlias;
  } else if (input.contains("KeyId")) {
    return Validation("KeyId can only be used with the SecureString parameter type.");
  }
  v["Version"] = exists ? existing.value("Version", int64_t{0}) + 1 : int64_t{1};
  v["LastModifiedDate"] = now;
  v["LastModifiedUser"] = ctx.caller.arn;
  return v;
}

// The version a GetParameter name selects: "NAME", "NAME:VERSION", "NAME:LABEL".
struct Selection {
  std::string canonical;
  std::string selector;  // "" or ":3" / ":label"
};

Result<Selection> Select(const RequestContext& ctx, std::string_view name) {
  size_t from = 0;
  if (name.starts_with("arn:")) {
    size_t p = name.find(":parameter");
    from = p == std::string_view::npos ? name.size() : p + 10;
  }
  size_t colon = name.find(':', from);
  Selection s;
  std::string_view base = name.substr(0, colon);
  if (colon != std::string_view::npos) s.selector = std::string(name.substr(colon));
  ASSIGN_OR_RETURN(s.canonical, CanonicalName(ctx, base));
  return s;
}

// The version record `selector` names in `parameter`, or an error for its name.
Result<Json> VersionOf(storage::Transaction& txn, const RequestContext& ctx, const Json& parameter,
                       const Selection& sel, std::string_view asked) {
  if (sel.selector.empty()) return parameter;
  const std::string what = sel.selector.substr(1);
  int64_t version = 0;
  if (!what.empty() && std::all_of(what.begin(), what.end(), ::isdigit) && what.size() < 12) {
    version = std::stoll(what);
  } else {
    auto labels = parameter.find("Labels");
    if (labels == parameter.end() || !labels->contains(what)) {
      return ParameterNotFound(asked);
    }
    version = (*labels)[what].get<int64_t>();
  }
  ASSIGN_OR_RETURN(std::optional<Json> record,
                   iam::Load(txn, HistoryKey(ctx, sel.canonical, version)));
  if (!record) return VersionNotFound(parameter.value("Name", ""), version);
  return std::move(*record);
}

// One parameter as GetParameter(s) answers it.
Result<Json> Read(RequestContext& ctx, std::string_view name, bool decrypt, bool* missing) {
  ASSIGN_OR_RETURN(Selection sel, Select(ctx, name));
  Json version;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(std::optional<Json> parameter, LoadParameter(*txn, ctx, sel.canonical));
    if (!parameter) {
      if (missing) *missing = true;
      return Error("ParameterNotFound", "");
    }
    ASSIGN_OR_RETURN(version, VersionOf(*txn, ctx, *parameter, sel, name));
  }
  ASSIGN_OR_RETURN(Json out, ParameterOf(ctx, version, decrypt));
  if (!sel.selector.empty()) out["Selector"] = sel.selector;
  return out;
}

Status DeleteAll(storage::Transaction& txn, const RequestContext& ctx, const Json& parameter,
                 const std::string& canonical) {
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> history, txn.Scan(HistoryPrefix(ctx, canonical)));
  for (const storage::KeyValue& row : history) RETURN_IF_ERROR(txn.Delete(row.key));
  if (parameter.contains("Expiration")) {
    RETURN_IF_ERROR(txn.Delete(DueKey(parameter["Expiration"].get<int64_t>(), ctx.caller.account_id,
                                      ctx.region, canonical)));
  }
  return txn.Delete(ParamKey(ctx, canonical));
}

// Label rules: 1-100 characters of letters, digits, "_", "." and "-", not beginning with
// a digit or with aws/ssm (case-insensitive).
bool ValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 100) return false;
  if (label[0] >= '0' && label[0] <= '9') return false;
  const std::string lower = iam::Lower(label.substr(0, 3));
  if (lower == "aws" || lower == "ssm") return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

}  // namespace

// Parameter policies (Advanced tier only): a JSON array of at most one Expiration, one
// ExpirationNotification and one NoChangeNotification. Returns the Expiration time (0
// when none).
Result<int64_t> CheckParameterPolicies(std::string_view text, int64_t now) {
  Json policies = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!policies.is_array()) {
    return Error("InvalidPolicyAttributeException",
                 "The policies are not a valid JSON array of parameter policies.");
  }
  if (policies.size() > 10) {
    return Error("PoliciesLimitExceededException",
                 "You specified more than the maximum number of allowed policies for the "
                 "parameter. The maximum is 10.");
  }
  int64_t expiration = 0;
  std::vector<std::string> seen;
  for (const Json& p : policies) {
    const std::string type = p.is_object() ? p.value("Type", "") : "";
    if (type != "Expiration" && type != "ExpirationNotification" &&
        type != "NoChangeNotification") {
      return Error("InvalidPolicyTypeException",
                   "The following policy types are not supported: " + type + ".");
    }
    if (std::find(seen.begin(), seen.end(), type) != seen.end()) {
      return Error("IncompatiblePolicyException",
                   "A parameter can have only one policy of type " + type + ".");
    }
    seen.push_back(type);
    if (p.value("Version", "") != "1.0") {
      return Error("InvalidPolicyAttributeException",
                   "The policy " + type + " has an invalid Version: only 1.0 is supported.");
    }
    const Json& a = p.contains("Attributes") ? p["Attributes"] : Json::object();
    if (type == "Expiration") {
      std::optional<int64_t> ms =
          policy::ParseDateMs(a.is_object() ? a.value("Timestamp", "") : "");
      if (!ms) {
        return Error("InvalidPolicyAttributeException",
                     "The Expiration policy needs a Timestamp in ISO 8601 format.");
      }
      expiration = *ms / 1000;
      if (expiration <= now) {
        return Error("InvalidPolicyAttributeException",
                     "The Expiration policy's Timestamp must be in the future.");
      }
    } else {
      const char* amount = type == "ExpirationNotification" ? "Before" : "After";
      const std::string n = a.is_object() ? a.value(amount, "") : "";
      const std::string unit = a.is_object() ? a.value("Unit", "") : "";
      const bool digits =
          !n.empty() && n.size() <= 6 &&
          std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || std::stoll(n) < 1 || (unit != "Days" && unit != "Hours")) {
        return Error("InvalidPolicyAttributeException",
                     "The " + type + " policy needs " + amount +
                         " (a positive whole number) and Unit (Days or Hours).");
      }
    }
  }
  if (std::find(seen.begin(), seen.end(), "ExpirationNotification") != seen.end() &&
      expiration == 0) {
    return Error("IncompatiblePolicyException",
                 "An ExpirationNotification policy needs an Expiration policy.");
  }
  return expiration;
}

Result<Json> PutParameter(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::string canonical, CanonicalName(ctx, input.value("Name", "")));
  const int64_t now = iam::Now(ctx);
  Json planned;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(std::optional<Json> existing, LoadParameter(*txn, ctx, canonical));
    ASSIGN_OR_RETURN(planned,
                     PlanVersion(ctx, input, existing ? *existing : Json(), canonical, now));
  }
  std::string blob;
  if (planned["Type"] == "SecureString") {
    ASSIGN_OR_RETURN(blob, EncryptValue(ctx, planned.value("ARN", ""), planned.value("KeyId", ""),
                                        input.value("Value", ""), nullptr));
  }
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> existing, LoadParameter(*txn, ctx, canonical));
  ASSIGN_OR_RETURN(Json version,
                   PlanVersion(ctx, input, existing ? *existing : Json(), canonical, now));
  if (version["Type"] != planned["Type"] ||
      version.value("KeyId", "") != planned.value("KeyId", "")) {
    return TooManyUpdates();
  }
  if (version["Type"] == "SecureString") {
    version["Blob"] = blob;
  } else {
    version["Value"] = input["Value"];
  }
  const int64_t number = version["Version"].get<int64_t>();
  Json parameter = version;
  parameter["Labels"] = existing ? existing->value("Labels", Json::object()) : Json::object();
  int64_t oldest = existing ? existing->value("Oldest", int64_t{1}) : number;
  if (number - oldest + 1 > static_cast<int64_t>(kMaxVersions)) {
    // The oldest version goes, unless a label holds it.
    for (const auto& [label, v] : parameter["Labels"].items()) {
      if (v == oldest) {
        return Error("ParameterMaxVersionLimitExceeded",
                     "You attempted to create a new version of " + version.value("Name", "") +
                         " by calling the PutParameter API with the overwrite flag. Version " +
                         std::to_string(oldest) +
                         ", the oldest version, can't be deleted because it has a label "
                         "associated with it. Move the label to another version of the "
                         "parameter, and try again.");
      }
    }
    RETURN_IF_ERROR(txn->Delete(HistoryKey(ctx, canonical, oldest)));
    ++oldest;
  }
  parameter["Oldest"] = oldest;
  if (existing) {
    parameter["Tags"] = existing->value("Tags", Json::array());
    if (existing->contains("Expiration")) {
      RETURN_IF_ERROR(txn->Delete(DueKey((*existing)["Expiration"].get<int64_t>(),
                                         ctx.caller.account_id, ctx.region, canonical)));
    }
  } else {
    ASSIGN_OR_RETURN(parameter["Tags"],
                     MergeTags(Json::array(), input.value("Tags", Json::array())));
  }
  if (parameter.contains("Expiration")) {
    RETURN_IF_ERROR(txn->Put(DueKey(parameter["Expiration"].get<int64_t>(), ctx.caller.account_id,
                                    ctx.region, canonical),
                             ""));
  }
  version.erase("Expiration");
  RETURN_IF_ERROR(iam::Save(*txn, HistoryKey(ctx, canonical, number), version));
  RETURN_IF_ERROR(iam::Save(*txn, ParamKey(ctx, canonical), parameter));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"Version", number}, {"Tier", parameter.value("Tier", "Standard")}};
}

Result<Json> GetParameter(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(Json parameter,
                   Read(ctx, input.value("Name", ""), Flag(input, "WithDecryption"), nullptr));
  return Json{{"Parameter", std::move(parameter)}};
}

Result<Json> GetParameters(RequestContext& ctx, const Json& input) {
  Json parameters = Json::array();
  Json invalid = Json::array();
  std::vector<std::string> done;
  for (const Json& n : input.value("Names", Json::array())) {
    const std::string name = n.is_string() ? n.get<std::string>() : "";
    if (std::find(done.begin(), done.end(), name) != done.end()) continue;
    done.push_back(name);
    bool missing = false;
    Result<Json> one = Read(ctx, name, Flag(input, "WithDecryption"), &missing);
    if (one.ok()) {
      parameters.push_back(std::move(*one));
    } else if (missing || (one.status().kind() == ErrorKind::kService &&
                           (one.status().code() == "ParameterNotFound" ||
                            one.status().code() == "ParameterVersionNotFound" ||
                            one.status().code() == "ValidationException"))) {
      invalid.push_back(name);
    } else {
      return one.status();
    }
  }
  return Json{{"Parameters", std::move(parameters)}, {"InvalidParameters", std::move(invalid)}};
}

Result<Json> GetParametersByPath(RequestContext& ctx, const Json& input) {
  std::string path = input.value("Path", "");
  if (!path.starts_with("/")) {
    return Validation(
        "The parameter doesn't meet the parameter name requirements. The parameter "
        "name must begin with a forward slash \"/\".");
  }
  if (path != "/") {
    while (path.size() > 1 && path.ends_with("/")) path.pop_back();
    RETURN_IF_ERROR(CanonicalName(ctx, path).status());
  }
  const Json filters = input.value("ParameterFilters", Json::array());
  RETURN_IF_ERROR(CheckParameterFilters(filters, /*by_path=*/true));
  const bool recursive = Flag(input, "Recursive");
  // Root-level names are stored without their slash; deeper ones with it.
  const std::string under = path == "/" ? "" : path + "/";
  std::vector<Json> matched;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    const std::string prefix = ParamPrefix(ctx);
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(prefix + under));
    for (const storage::KeyValue& row : rows) {
      const std::string_view name = std::string_view(row.key).substr(prefix.size());
      const std::string_view rest = name.substr(under.size());
      if (!recursive && rest.find('/') != std::string_view::npos) continue;
      if (path == "/" && !recursive && name.starts_with("/")) continue;
      Json parameter = Json::parse(row.value, nullptr, /*allow_exceptions=*/false);
      if (!parameter.is_object() || !MatchesParameterFilters(parameter, filters)) continue;
      matched.push_back(std::move(parameter));
    }
  }
  ASSIGN_OR_RETURN(size_t start, StartOf(input, matched.size()));
  const size_t max = input.value("MaxResults", 10);
  Json out = {{"Parameters", Json::array()}};
  size_t i = start;
  for (; i < matched.size() && out["Parameters"].size() < max; ++i) {
    ASSIGN_OR_RETURN(Json p, ParameterOf(ctx, matched[i], Flag(input, "WithDecryption")));
    out["Parameters"].push_back(std::move(p));
  }
  if (i < matched.size()) out["NextToken"] = OffsetToken(i);
  return out;
}

Result<Json> DeleteParameter(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("Name", "");
  ASSIGN_OR_RETURN(std::string canonical, CanonicalName(ctx, name));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> parameter, LoadParameter(*txn, ctx, canonical));
  if (!parameter) return ParameterNotFound(name);
  RETURN_IF_ERROR(DeleteAll(*txn, ctx, *parameter, canonical));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> DeleteParameters(RequestContext& ctx, const Json& input) {
  Json deleted = Json::array();
  Json invalid = Json::array();
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  for (const Json& n : input.value("Names", Json::array())) {
    const std::string name = n.is_string() ? n.get<std::string>() : "";
    Result<std::string> canonical = CanonicalName(ctx, name);
    std::optional<Json> parameter;
    if (canonical.ok()) {
      ASSIGN_OR_RETURN(parameter, LoadParameter(*txn, ctx, *canonical));
    }
    if (!parameter) {
      invalid.push_back(name);
      continue;
    }
    RETURN_IF_ERROR(DeleteAll(*txn, ctx, *parameter, *canonical));
    deleted.push_back(name);
  }
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"DeletedParameters", std::move(deleted)}, {"InvalidParameters", std::move(invalid)}};
}

Result<Json> GetParameterHistory(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("Name", "");
  ASSIGN_OR_RETURN(std::string canonical, CanonicalName(ctx, name));
  Json parameter;
  std::vector<storage::KeyValue> rows;
  {
    ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
    ASSIGN_OR_RETURN(std::optional<Json> found, LoadParameter(*txn, ctx, canonical));
    if (!found) return ParameterNotFound(name);
    parameter = std::move(*found);
    ASSIGN_OR_RETURN(rows, txn->Scan(HistoryPrefix(ctx, canonical)));
  }
  ASSIGN_OR_RETURN(size_t start, StartOf(input, rows.size()));
  const size_t max = input.value("MaxResults", 50);
  Json list = Json::array();
  size_t i = start;
  for (; i < rows.size() && list.size() < max; ++i) {
    Json version = Json::parse(rows[i].value, nullptr, /*allow_exceptions=*/false);
    if (!version.is_object()) continue;
    ASSIGN_OR_RETURN(Json entry, ParameterOf(ctx, version, Flag(input, "WithDecryption")));
    entry.erase("ARN");
    for (const char* member : {"Description", "AllowedPattern", "KeyId", "LastModifiedUser"}) {
      if (version.contains(member)) entry[member] = version[member];
    }
    entry["Tier"] = version.value("Tier", "Standard");
    entry["Labels"] = LabelsOf(parameter, version.value("Version", int64_t{0}));
    entry["Policies"] = InlinePolicies(version);
    list.push_back(std::move(entry));
  }
  Json out = {{"Parameters", std::move(list)}};
  if (i < rows.size()) out["NextToken"] = OffsetToken(i);
  return out;
}

Result<Json> LabelParameterVersion(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("Name", "");
  ASSIGN_OR_RETURN(std::string canonical, CanonicalName(ctx, name));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> parameter, LoadParameter(*txn, ctx, canonical));
  if (!parameter) return ParameterNotFound(name);
  const int64_t version = input.value("ParameterVersion", parameter->value("Version", int64_t{0}));
  ASSIGN_OR_RETURN(std::optional<std::string> exists,
                   txn->Get(HistoryKey(ctx, canonical, version)));
  if (!exists) return VersionNotFound(name, version);
  Json& labels = (*parameter)["Labels"];
  if (!labels.is_object()) labels = Json::object();
  Json invalid = Json::array();
  std::vector<std::string> adding;
  for (const Json& l : input.value("Labels", Json::array())) {
    const std::string label = l.is_string() ? l.get<std::string>() : "";
    if (!ValidLabel(label)) {
      invalid.push_back(label);
    } else if (!labels.contains(label) || labels[label] != version) {
      adding.push_back(label);
    }
  }
  if (LabelsOf(*parameter, version).size() + adding.size() > kMaxLabelsPerVersion) {
    return Error("ParameterVersionLabelLimitExceeded",
                 "A parameter version can have maximum 10 labels. Move one or more labels to "
                 "another version and try again.");
  }
  for (const std::string& label : adding) labels[label] = version;  // moves it here
  RETURN_IF_ERROR(iam::Save(*txn, ParamKey(ctx, canonical), *parameter));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"InvalidLabels", std::move(invalid)}, {"ParameterVersion", version}};
}

Result<Json> UnlabelParameterVersion(RequestContext& ctx, const Json& input) {
  const std::string name = input.value("Name", "");
  ASSIGN_OR_RETURN(std::string canonical, CanonicalName(ctx, name));
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> parameter, LoadParameter(*txn, ctx, canonical));
  if (!parameter) return ParameterNotFound(name);
  const int64_t version = input.value("ParameterVersion", int64_t{0});
  ASSIGN_OR_RETURN(std::optional<std::string> exists,
                   txn->Get(HistoryKey(ctx, canonical, version)));
  if (!exists) return VersionNotFound(name, version);
  Json& labels = (*parameter)["Labels"];
  if (!labels.is_object()) labels = Json::object();
  Json removed = Json::array();
  Json invalid = Json::array();
  for (const Json& l : input.value("Labels", Json::array())) {
    const std::string label = l.is_string() ? l.get<std::string>() : "";
    if (labels.contains(label) && labels[label] == version) {
      labels.erase(label);
      removed.push_back(label);
    } else {
      invalid.push_back(label);
    }
  }
  RETURN_IF_ERROR(iam::Save(*txn, ParamKey(ctx, canonical), *parameter));
  RETURN_IF_ERROR(txn->Commit());
  return Json{{"RemovedLabels", std::move(removed)}, {"InvalidLabels", std::move(invalid)}};
}

Status Maintain(ServiceEnvironment& env) {
  RequestContext ctx;
  ctx.env = &env;
  constexpr size_t kBatch = 32;
  for (int round = 0; round < 64; ++round) {
    const int64_t now = iam::Now(ctx);
    ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
    ASSIGN_OR_RETURN(std::vector<DueEntry> due, TakeDue(*txn, kDuePrefix, now, kBatch));
    for (const DueEntry& entry : due) {
      RequestContext owner = ctx;
      owner.caller.account_id = entry.account;
      owner.region = entry.region;
      ASSIGN_OR_RETURN(std::optional<Json> parameter, LoadParameter(*txn, owner, entry.name));
      if (parameter && parameter->value("Expiration", now + 1) <= now) {
        RETURN_IF_ERROR(DeleteAll(*txn, owner, *parameter, entry.name));
      }
    }
    RETURN_IF_ERROR(txn->Commit());
    if (due.size() < kBatch) break;
  }
  return Status::Ok();
}

}  // namespace bulwark::ssm
