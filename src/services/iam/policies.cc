// IAM policies: customer managed policies with versions, AWS managed policies, inline
// policies of users/groups/roles and attachments.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "auth/ids.h"
#include "policy/parser.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"
#include "services/iam/managed_policies.h"

namespace bulwark::iam {
namespace {

constexpr std::string_view kAwsPolicyArnPrefix = "arn:aws:iam::aws:policy/";

// "2018-01-25T19:11:27+00:00" → epoch seconds (the AWS managed policy catalogue's dates).
int64_t IsoToEpoch(std::string_view s) {
  std::tm tm{};
  if (s.size() < 19) return 0;
  std::string head(s.substr(0, 19));
  if (std::sscanf(head.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

std::string QuotaName(Kind kind) {
  switch (kind) {
    case Kind::kUser:
      return "PoliciesPerUser";
    case Kind::kGroup:
      return "PoliciesPerGroup";
    default:
      return "PoliciesPerRole";
  }
}

std::string NotAttachable(std::string_view arn) {
  return "Policy " + std::string(arn) + " does not exist or is not attachable.";
}

// A managed policy found by ARN: a customer policy's record, or an AWS managed policy
// with this account's usage counters.
struct ManagedRef {
  std::string key;  // where the record / the usage counters are stored
  Json record;      // customer: the policy; AWS: {AttachmentCount, PermissionsBoundaryUsageCount}
  const AwsManagedPolicy* aws = nullptr;
};

Result<std::optional<ManagedRef>> FindManaged(storage::Transaction& txn, std::string_view account,
                                              std::string_view arn) {
  ManagedRef ref;
  if (arn.starts_with(kAwsPolicyArnPrefix)) {
    ref.aws = FindAwsManagedPolicy(arn);
    if (!ref.aws) return std::optional<ManagedRef>();
    ref.key = "iam/" + std::string(account) + "/aws-policy/" + Lower(ref.aws->arn);
    ASSIGN_OR_RETURN(std::optional<Json> usage, Load(txn, ref.key));
    ref.record = usage ? std::move(*usage)
                       : Json{{"AttachmentCount", 0}, {"PermissionsBoundaryUsageCount", 0}};
    return std::optional<ManagedRef>(std::move(ref));
  }
  const std::string prefix = "arn:aws:iam::" + std::string(account) + ":policy/";
  if (!arn.starts_with(prefix)) return std::optional<ManagedRef>();
  std::string_view name = arn.substr(arn.rfind('/') + 1);
  if (name.empty()) return std::optional<ManagedRef>();
  ref.key = EntityKey(account, Kind::kPolicy, name);
  ASSIGN_OR_RETURN(std::optional<Json> record, Load(txn, ref.key));
  if (!record || (*record)["Arn"].get<std::string>() != arn) return std::optional<ManagedRef>();
  ref.record = std::move(*record);
  return std::optional<ManagedRef>(std::move(ref));
}

Result<ManagedRef> MustFindManaged(storage::Transaction& txn, std::string_view account,
                                   std::string_view arn) {
  ASSIGN_OR_RETURN(std::optional<ManagedRef> ref, FindManaged(txn, account, arn));
  if (!ref) return NoSuchEntity(NotAttachable(arn));
  return std::move(*ref);
}

// A customer managed policy that the caller wants to change.
Result<ManagedRef> MustFindCustomer(storage::Transaction& txn, std::string_view account,
                                    std::string_view arn) {
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindManaged(txn, account, arn));
  if (ref.aws) {
    return Status(ErrorKind::kAccessDenied, "Policy " + std::string(arn) +
                                                " is an AWS managed policy and cannot be changed.");
  }
  return ref;
}

Status AdjustCounter(storage::Transaction& txn, ManagedRef& ref, std::string_view counter,
                     int delta) {
  int64_t v = ref.record.value(std::string(counter), int64_t{0}) + delta;
  ref.record[std::string(counter)] = std::max<int64_t>(v, 0);
  return Save(txn, ref.key, ref.record);
}

// The Policy shape. `full` adds what only GetPolicy/CreatePolicy show.
Json PolicyOutput(const ManagedRef& ref, bool full) {
  Json out;
  if (ref.aws) {
    const AwsManagedPolicy& p = *ref.aws;
    out = {{"PolicyName", p.name},
           {"PolicyId", p.policy_id},
           {"Arn", p.arn},
           {"Path", p.path},
           {"DefaultVersionId", p.default_version_id},
           {"IsAttachable", true},
           {"CreateDate", IsoToEpoch(p.create_date)},
           {"UpdateDate", IsoToEpoch(p.update_date)}};
    if (full && !p.description.empty()) out["Description"] = p.description;
  } else {
    const Json& r = ref.record;
    out = {{"PolicyName", r["PolicyName"]},
           {"PolicyId", r["PolicyId"]},
           {"Arn", r["Arn"]},
           {"Path", r["Path"]},
           {"DefaultVersionId", r["DefaultVersionId"]},
           {"IsAttachable", true},
           {"CreateDate", r["CreateDate"]},
           {"UpdateDate", r["UpdateDate"]}};
    if (full && r.contains("Description")) out["Description"] = r["Description"];
    if (full && !r.value("Tags", Json::array()).empty()) out["Tags"] = r["Tags"];
  }
  out["AttachmentCount"] = ref.record.value("AttachmentCount", 0);
  out["PermissionsBoundaryUsageCount"] = ref.record.value("PermissionsBoundaryUsageCount", 0);
  return out;
}

Json* FindVersion(Json& record, std::string_view version_id) {
  for (Json& v : record["Versions"]) {
    if (v["VersionId"].get<std::string>() == version_id) return &v;
  }
  return nullptr;
}

Json VersionOutput(const Json& record, const Json& version, bool with_document) {
  Json out = {{"VersionId", version["VersionId"]},
              {"IsDefaultVersion", version["VersionId"] == record["DefaultVersionId"]},
              {"CreateDate", version["CreateDate"]}};
  if (with_document) out["Document"] = UrlEncodeDocument(version["Document"].get<std::string>());
  return out;
}

const std::string& EntityName(const Json& input, const EntityRef& ref) {
  return input.at(std::string(ref.name_member)).get_ref<const std::string&>();
}

std::string InlineNotFound(const EntityRef& ref, std::string_view policy_name) {
  return "The " + std::string(KindName(ref.kind)) + " policy with name " +
         std::string(policy_name) + " cannot be found.";
}

}  // namespace

std::string UrlEncodeDocument(std::string_view document) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(document.size() * 2);
  for (unsigned char c : document) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Status CheckPolicyDocument(std::string_view document, bool trust_policy, size_t max_chars) {
  policy::ParseOptions options;
  options.kind = trust_policy ? policy::PolicyKind::kTrust : policy::PolicyKind::kIdentity;
  options.max_policy_chars = max_chars;
  Result<policy::Policy> parsed = policy::ParsePolicy(document, options);
  return parsed.ok() ? Status::Ok() : parsed.status();
}

Status CheckBoundaryPolicy(storage::Transaction& txn, std::string_view account,
                           std::string_view policy_arn) {
  ASSIGN_OR_RETURN(std::optional<ManagedRef> ref, FindManaged(txn, account, policy_arn));
  if (!ref) {
    return InvalidInput("ARN " + std::string(policy_arn) +
                        " is not valid or the policy does not exist.");
  }
  return Status::Ok();
}

Status AdjustBoundaryUsage(storage::Transaction& txn, std::string_view account,
                           const Json& policy_arn, int delta) {
  if (!policy_arn.is_string()) return Status::Ok();
  ASSIGN_OR_RETURN(std::optional<ManagedRef> ref,
                   FindManaged(txn, account, policy_arn.get<std::string>()));
  if (!ref) return Status::Ok();  // deleted meanwhile: nothing to count
  return AdjustCounter(txn, *ref, "PermissionsBoundaryUsageCount", delta);
}

Result<std::optional<std::string>> ManagedPolicyDocument(storage::Transaction& txn,
                                                         std::string_view account,
                                                         std::string_view policy_arn) {
  ASSIGN_OR_RETURN(std::optional<ManagedRef> ref, FindManaged(txn, account, policy_arn));
  if (!ref) return std::optional<std::string>();
  if (ref->aws) return std::optional<std::string>(ref->aws->document_json);
  Json* v = FindVersion(ref->record, ref->record["DefaultVersionId"].get<std::string>());
  if (!v) return Status(ErrorKind::kInternalFailure, "policy without its default version");
  return std::optional<std::string>((*v)["Document"].get<std::string>());
}

Result<std::optional<Json>> ManagedPolicyDetail(storage::Transaction& txn, std::string_view account,
                                                std::string_view policy_arn) {
  ASSIGN_OR_RETURN(std::optional<ManagedRef> ref, FindManaged(txn, account, policy_arn));
  if (!ref) return std::optional<Json>();
  Json out = PolicyOutput(*ref, false);
  Json versions = Json::array();
  if (ref->aws) {
    versions.push_back({{"Document", UrlEncodeDocument(ref->aws->document_json)},
                        {"VersionId", ref->aws->default_version_id},
                        {"IsDefaultVersion", true},
                        {"CreateDate", IsoToEpoch(ref->aws->update_date)}});
  } else {
    const Json& all = ref->record["Versions"];
    for (auto it = all.rbegin(); it != all.rend(); ++it) {  // newest first, as IAM lists them
      versions.push_back(VersionOutput(ref->record, *it, true));
    }
  }
  out["PolicyVersionList"] = std::move(versions);
  return std::optional<Json>(std::move(out));
}

// --- Inline policies ------------------------------------------------------------------

Result<Json> PutEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref) {
  const std::string& account = ctx.caller.account_id;
  const std::string& name = EntityName(input, ref);
  const std::string policy_name = input.at("PolicyName").get<std::string>();
  const std::string document = input.at("PolicyDocument").get<std::string>();
  RETURN_IF_ERROR(CheckPolicyDocument(document, false, 0));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json entity, LoadEntity(*txn, account, ref.kind, name));
  Json& inline_policies = entity["InlinePolicies"];
  // The quota is on all of an entity's inline policies together.
  size_t total = policy::PolicySizeChars(document);
  for (auto& [other, doc] : inline_policies.items()) {
    if (other != policy_name) total += policy::PolicySizeChars(doc.get<std::string>());
  }
  if (total > ref.max_inline_chars) {
    return LimitExceeded("Maximum policy size of " + std::to_string(ref.max_inline_chars) +
                         " bytes exceeded for " + std::string(KindName(ref.kind)) + " " + name);
  }
  inline_policies[policy_name] = document;
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, ref.kind, name), entity));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> GetEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref) {
  const std::string& name = EntityName(input, ref);
  const std::string policy_name = input.at("PolicyName").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json entity, LoadEntity(*txn, ctx.caller.account_id, ref.kind, name));
  auto it = entity["InlinePolicies"].find(policy_name);
  if (it == entity["InlinePolicies"].end()) return NoSuchEntity(InlineNotFound(ref, policy_name));
  const std::string name_key(ref.name_member);
  return Json{{name_key, entity[name_key]},
              {"PolicyName", policy_name},
              {"PolicyDocument", UrlEncodeDocument(it->get<std::string>())}};
}

Result<Json> DeleteEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref) {
  const std::string& account = ctx.caller.account_id;
  const std::string& name = EntityName(input, ref);
  const std::string policy_name = input.at("PolicyName").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json entity, LoadEntity(*txn, account, ref.kind, name));
  if (entity["InlinePolicies"].erase(policy_name) == 0) {
    return NoSuchEntity(InlineNotFound(ref, policy_name));
  }
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, ref.kind, name), entity));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListEntityPolicies(RequestContext& ctx, const Json& input, const EntityRef& ref) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json entity,
                   LoadEntity(*txn, ctx.caller.account_id, ref.kind, EntityName(input, ref)));
  Json names = Json::array();
  for (auto& [policy_name, doc] : entity["InlinePolicies"].items()) names.push_back(policy_name);
  ASSIGN_OR_RETURN(Page page, PageOf(names, input));
  return PageOutput(std::move(page), "PolicyNames");
}

// --- Attachments ------------------------------------------------------------------------

Result<Json> AttachEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(bool changed,
                   AttachEntityPolicyIn(*txn, ctx.caller.account_id, ref, EntityName(input, ref),
                                        input.at("PolicyArn").get<std::string>()));
  if (changed) RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<bool> AttachEntityPolicyIn(storage::Transaction& txn, std::string_view account,
                                  const EntityRef& ref, std::string_view name,
                                  std::string_view policy_arn) {
  const std::string arn(policy_arn);
  ASSIGN_OR_RETURN(Json entity, LoadEntity(txn, account, ref.kind, name));
  ASSIGN_OR_RETURN(ManagedRef policy, MustFindManaged(txn, account, arn));
  Json& attached = entity["AttachedPolicies"];
  if (std::find(attached.begin(), attached.end(), Json(arn)) != attached.end()) {
    return false;  // attaching twice changes nothing, as in AWS
  }
  if (attached.size() >= kMaxManagedPoliciesPerEntity) {
    return LimitExceeded("Cannot exceed quota for " + QuotaName(ref.kind) + ": " +
                         std::to_string(kMaxManagedPoliciesPerEntity));
  }
  attached.push_back(arn);
  RETURN_IF_ERROR(AdjustCounter(txn, policy, "AttachmentCount", +1));
  RETURN_IF_ERROR(Save(txn, EntityKey(account, ref.kind, name), entity));
  return true;
}

Result<Json> DetachEntityPolicy(RequestContext& ctx, const Json& input, const EntityRef& ref) {
  const std::string& account = ctx.caller.account_id;
  const std::string& name = EntityName(input, ref);
  const std::string arn = input.at("PolicyArn").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json entity, LoadEntity(*txn, account, ref.kind, name));
  Json& attached = entity["AttachedPolicies"];
  auto it = std::find(attached.begin(), attached.end(), Json(arn));
  if (it == attached.end()) return NoSuchEntity("Policy " + arn + " was not found.");
  attached.erase(it);
  ASSIGN_OR_RETURN(std::optional<ManagedRef> policy, FindManaged(*txn, account, arn));
  if (policy) RETURN_IF_ERROR(AdjustCounter(*txn, *policy, "AttachmentCount", -1));
  RETURN_IF_ERROR(Save(*txn, EntityKey(account, ref.kind, name), entity));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListAttachedEntityPolicies(RequestContext& ctx, const Json& input,
                                        const EntityRef& ref) {
  const std::string path_prefix = input.value("PathPrefix", "/");
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json entity,
                   LoadEntity(*txn, ctx.caller.account_id, ref.kind, EntityName(input, ref)));
  Json items = Json::array();
  for (const Json& arn : entity["AttachedPolicies"]) {
    ASSIGN_OR_RETURN(std::optional<ManagedRef> policy,
                     FindManaged(*txn, ctx.caller.account_id, arn.get<std::string>()));
    if (!policy) continue;
    Json shape = PolicyOutput(*policy, false);
    if (!shape["Path"].get<std::string>().starts_with(path_prefix)) continue;
    items.push_back({{"PolicyName", shape["PolicyName"]}, {"PolicyArn", arn}});
  }
  ASSIGN_OR_RETURN(Page page, PageOf(items, input));
  return PageOutput(std::move(page), "AttachedPolicies");
}

// --- Customer managed policies -----------------------------------------------------------

Result<Json> CreatePolicy(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("PolicyName").get<std::string>();
  const std::string document = input.at("PolicyDocument").get<std::string>();
  ASSIGN_OR_RETURN(std::string path, PathOf(input));
  RETURN_IF_ERROR(CheckPolicyDocument(document, false, kMaxManagedPolicyChars));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  const std::string key = EntityKey(account, Kind::kPolicy, name);
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (existing) {
    return EntityAlreadyExists("A policy called " + name +
                               " already exists. Duplicate names are not allowed.");
  }
  ASSIGN_OR_RETURN(size_t count, Count(*txn, KindPrefix(account, Kind::kPolicy)));
  if (count >= kMaxCustomerPolicies) {
    return LimitExceeded("Cannot exceed quota for PoliciesPerAccount: " +
                         std::to_string(kMaxCustomerPolicies));
  }
  const int64_t now = Now(ctx);
  Json record = {
      {"PolicyName", name},
      {"PolicyId", ids::NewUniqueId("ANPA")},
      {"Arn", Arn(account, Kind::kPolicy, path, name)},
      {"Path", path},
      {"DefaultVersionId", "v1"},
      {"NextVersion", 2},
      {"CreateDate", now},
      {"UpdateDate", now},
      {"AttachmentCount", 0},
      {"PermissionsBoundaryUsageCount", 0},
      {"Tags", Json::array()},
      {"Versions",
       Json::array({{{"VersionId", "v1"}, {"Document", document}, {"CreateDate", now}}})},
  };
  if (input.contains("Description")) record["Description"] = input["Description"];
  if (auto it = input.find("Tags"); it != input.end()) {
    ASSIGN_OR_RETURN(record["Tags"], MergeTags(Json::array(), *it));
  }
  RETURN_IF_ERROR(Save(*txn, key, record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  ManagedRef ref{key, std::move(record), nullptr};
  Json out = PolicyOutput(ref, true);
  out.erase("Description");  // CreatePolicy's response leaves it out, as AWS does
  return Json{{"Policy", std::move(out)}};
}

Result<Json> GetPolicy(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindManaged(*txn, ctx.caller.account_id,
                                                   input.at("PolicyArn").get<std::string>()));
  return Json{{"Policy", PolicyOutput(ref, true)}};
}

Result<Json> ListPolicies(RequestContext& ctx, const Json& input) {
  const std::string scope = input.value("Scope", "All");
  const bool only_attached = input.value("OnlyAttached", false);
  const std::string path_prefix = input.value("PathPrefix", "/");
  const std::string usage = input.value("PolicyUsageFilter", "");
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  Json items = Json::array();
  auto consider = [&](const ManagedRef& ref) {
    Json shape = PolicyOutput(ref, false);
    if (!shape["Path"].get<std::string>().starts_with(path_prefix)) return;
    if (only_attached && shape["AttachmentCount"].get<int64_t>() == 0 &&
        shape["PermissionsBoundaryUsageCount"].get<int64_t>() == 0) {
      return;
    }
    if (usage == "PermissionsPolicy" && only_attached &&
        shape["AttachmentCount"].get<int64_t>() == 0) {
      return;
    }
    if (usage == "PermissionsBoundary" && only_attached &&
        shape["PermissionsBoundaryUsageCount"].get<int64_t>() == 0) {
      return;
    }
    items.push_back(std::move(shape));
  };
  if (scope == "All" || scope == "AWS") {
    for (const AwsManagedPolicy& p : AwsManagedPolicies()) {
      ASSIGN_OR_RETURN(std::optional<ManagedRef> ref, FindManaged(*txn, account, p.arn));
      if (ref) consider(*ref);
    }
  }
  if (scope == "All" || scope == "Local") {
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                     txn->Scan(KindPrefix(account, Kind::kPolicy)));
    for (const storage::KeyValue& row : rows) {
      Json record = Json::parse(row.value, nullptr, false);
      if (!record.is_object()) continue;
      consider(ManagedRef{row.key, std::move(record), nullptr});
    }
  }
  ASSIGN_OR_RETURN(Page page, PageOf(items, input));
  return PageOutput(std::move(page), "Policies");
}

Result<Json> DeletePolicy(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref,
                   MustFindCustomer(*txn, account, input.at("PolicyArn").get<std::string>()));
  if (ref.record.value("AttachmentCount", 0) > 0) {
    return DeleteConflict("Cannot delete a policy attached to entities.");
  }
  if (ref.record.value("PermissionsBoundaryUsageCount", 0) > 0) {
    return DeleteConflict("Cannot delete a policy used as a permissions boundary.");
  }
  if (ref.record["Versions"].size() > 1) {
    return DeleteConflict(
        "This policy has more than one version. Before you delete a policy, you must delete "
        "the policy's versions. The default version is deleted with the policy.");
  }
  RETURN_IF_ERROR(txn->Delete(ref.key));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> CreatePolicyVersion(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string document = input.at("PolicyDocument").get<std::string>();
  RETURN_IF_ERROR(CheckPolicyDocument(document, false, kMaxManagedPolicyChars));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref,
                   MustFindCustomer(*txn, account, input.at("PolicyArn").get<std::string>()));
  Json& record = ref.record;
  if (record["Versions"].size() >= kMaxPolicyVersions) {
    return LimitExceeded("A managed policy can have up to " + std::to_string(kMaxPolicyVersions) +
                         " versions. Before you create a new version, you must delete an "
                         "existing version.");
  }
  const int64_t now = Now(ctx);
  int64_t n = record.value("NextVersion", int64_t{2});
  std::string version_id = "v" + std::to_string(n);
  record["NextVersion"] = n + 1;
  record["Versions"].push_back(
      {{"VersionId", version_id}, {"Document", document}, {"CreateDate", now}});
  if (input.value("SetAsDefault", false)) record["DefaultVersionId"] = version_id;
  record["UpdateDate"] = now;
  RETURN_IF_ERROR(Save(*txn, ref.key, record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json{{"PolicyVersion", VersionOutput(record, *FindVersion(record, version_id), false)}};
}

Result<Json> GetPolicyVersion(RequestContext& ctx, const Json& input) {
  const std::string arn = input.at("PolicyArn").get<std::string>();
  const std::string version_id = input.at("VersionId").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindManaged(*txn, ctx.caller.account_id, arn));
  if (ref.aws) {
    if (version_id != ref.aws->default_version_id) {
      return NoSuchEntity("Policy " + arn + " version " + version_id +
                          " does not exist or is not attachable.");
    }
    return Json{{"PolicyVersion",
                 {{"Document", UrlEncodeDocument(ref.aws->document_json)},
                  {"VersionId", version_id},
                  {"IsDefaultVersion", true},
                  {"CreateDate", IsoToEpoch(ref.aws->update_date)}}}};
  }
  Json* version = FindVersion(ref.record, version_id);
  if (!version) {
    return NoSuchEntity("Policy " + arn + " version " + version_id +
                        " does not exist or is not attachable.");
  }
  return Json{{"PolicyVersion", VersionOutput(ref.record, *version, true)}};
}

Result<Json> ListPolicyVersions(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindManaged(*txn, ctx.caller.account_id,
                                                   input.at("PolicyArn").get<std::string>()));
  Json items = Json::array();
  if (ref.aws) {
    items.push_back({{"VersionId", ref.aws->default_version_id},
                     {"IsDefaultVersion", true},
                     {"CreateDate", IsoToEpoch(ref.aws->update_date)}});
  } else {
    // Newest first, as IAM lists them.
    const Json& versions = ref.record["Versions"];
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      items.push_back(VersionOutput(ref.record, *it, false));
    }
  }
  ASSIGN_OR_RETURN(Page page, PageOf(items, input));
  return PageOutput(std::move(page), "Versions");
}

Result<Json> DeletePolicyVersion(RequestContext& ctx, const Json& input) {
  const std::string arn = input.at("PolicyArn").get<std::string>();
  const std::string version_id = input.at("VersionId").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindCustomer(*txn, ctx.caller.account_id, arn));
  if (!FindVersion(ref.record, version_id)) {
    return NoSuchEntity("Policy " + arn + " version " + version_id +
                        " does not exist or is not attachable.");
  }
  if (ref.record["DefaultVersionId"] == version_id) {
    return DeleteConflict("Cannot delete the default version of a policy.");
  }
  Json& versions = ref.record["Versions"];
  versions.erase(std::remove_if(versions.begin(), versions.end(),
                                [&](const Json& v) { return v["VersionId"] == version_id; }),
                 versions.end());
  RETURN_IF_ERROR(Save(*txn, ref.key, ref.record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> SetDefaultPolicyVersion(RequestContext& ctx, const Json& input) {
  const std::string arn = input.at("PolicyArn").get<std::string>();
  const std::string version_id = input.at("VersionId").get<std::string>();
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindCustomer(*txn, ctx.caller.account_id, arn));
  if (!FindVersion(ref.record, version_id)) {
    return NoSuchEntity("Policy " + arn + " version " + version_id +
                        " does not exist or is not attachable.");
  }
  ref.record["DefaultVersionId"] = version_id;
  ref.record["UpdateDate"] = Now(ctx);
  RETURN_IF_ERROR(Save(*txn, ref.key, ref.record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> TagPolicy(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindCustomer(*txn, ctx.caller.account_id,
                                                    input.at("PolicyArn").get<std::string>()));
  ASSIGN_OR_RETURN(ref.record["Tags"],
                   MergeTags(ref.record.value("Tags", Json::array()), input.at("Tags")));
  RETURN_IF_ERROR(Save(*txn, ref.key, ref.record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> UntagPolicy(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindCustomer(*txn, ctx.caller.account_id,
                                                    input.at("PolicyArn").get<std::string>()));
  ref.record["Tags"] = RemoveTags(ref.record.value("Tags", Json::array()), input.at("TagKeys"));
  RETURN_IF_ERROR(Save(*txn, ref.key, ref.record));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListPolicyTags(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindManaged(*txn, ctx.caller.account_id,
                                                   input.at("PolicyArn").get<std::string>()));
  ASSIGN_OR_RETURN(Page page, PageOf(ref.record.value("Tags", Json::array()), input));
  return PageOutput(std::move(page), "Tags");
}

Result<Json> ListEntitiesForPolicy(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string arn = input.at("PolicyArn").get<std::string>();
  const std::string filter = input.value("EntityFilter", "");
  const std::string path_prefix = input.value("PathPrefix", "/");
  const std::string usage = input.value("PolicyUsageFilter", "");
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(ManagedRef ref, MustFindManaged(*txn, account, arn));
  // One list over all kinds, paged together; each item remembers its kind.
  Json items = Json::array();
  struct KindInfo {
    Kind kind;
    std::string_view filter, name_key, id_key;
  };
  constexpr KindInfo kKinds[] = {{Kind::kGroup, "Group", "GroupName", "GroupId"},
                                 {Kind::kUser, "User", "UserName", "UserId"},
                                 {Kind::kRole, "Role", "RoleName", "RoleId"}};
  for (const KindInfo& k : kKinds) {
    if (!filter.empty() && filter != k.filter && filter != "LocalManagedPolicy" &&
        filter != "AWSManagedPolicy") {
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(KindPrefix(account, k.kind)));
    for (const storage::KeyValue& row : rows) {
      Json e = Json::parse(row.value, nullptr, false);
      if (!e.is_object() || !e.value("Path", "/").starts_with(path_prefix)) continue;
      const Json& attached = e.value("AttachedPolicies", Json::array());
      bool as_policy = std::find(attached.begin(), attached.end(), Json(arn)) != attached.end();
      bool as_boundary = e.value("PermissionsBoundary", "") == arn;
      if (usage == "PermissionsPolicy"     ? !as_policy
          : usage == "PermissionsBoundary" ? !as_boundary
                                           : !(as_policy || as_boundary)) {
        continue;
      }
      items.push_back({{"kind", k.filter},
                       {std::string(k.name_key), e[std::string(k.name_key)]},
                       {std::string(k.id_key), e[std::string(k.id_key)]}});
    }
  }
  ASSIGN_OR_RETURN(Page page, PageOf(items, input));
  Json out = {{"PolicyGroups", Json::array()},
              {"PolicyUsers", Json::array()},
              {"PolicyRoles", Json::array()},
              {"IsTruncated", page.truncated}};
  for (Json& item : page.items) {
    std::string kind = item["kind"].get<std::string>();
    item.erase("kind");
    out["Policy" + kind + "s"].push_back(std::move(item));
  }
  if (page.truncated) out["Marker"] = page.marker;
  return out;
}

}  // namespace bulwark::iam
