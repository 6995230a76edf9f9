// IAM's account-level operations: the account summary, the authorization details
// snapshot, the account alias and the credential report.
//
// The credential report is generated synchronously (reading every user is a scan of one
// key prefix), but GenerateCredentialReport still answers the way AWS does: STARTED when
// it had to build a new report, COMPLETE when a report younger than four hours exists.
// Clients written for AWS call it until they see COMPLETE, then GetCredentialReport;
// both steps work here, and a client that skips the wait also gets the report.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/credential_store.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"
#include "services/iam/managed_policies.h"
#include "services/organizations/directory.h"

namespace bulwark::iam {
namespace {

// AWS's default quotas that common.h has no use for (IAM and STS quotas page).
constexpr int64_t kServerCertificatesQuota = 20;
constexpr int64_t kSigningCertificatesPerUserQuota = 2;
constexpr int64_t kPolicyVersionsInUseQuota = 10000;
// Version 1 tokens from the global STS endpoint (the default of every account).
constexpr int64_t kGlobalEndpointTokenVersion = 1;

// "IAM first checks whether a report for the AWS account has been generated within the
// past four hours. If so, the most recent report is downloaded."
constexpr int64_t kReportLifetimeSeconds = 4 * 3600;

std::string AccountKey(std::string_view account, std::string_view leaf) {
  std::string key = "iam/";
  key.append(account).append("/").append(leaf);
  return key;
}

Status ReportNotPresent() {
  return Status::Service("ReportNotPresent", 410,
                         "The request was rejected because the credential report does not exist. "
                         "To generate a credential report, use GenerateCredentialReport.");
}

Status ReportExpired() {
  return Status::Service("ReportExpired", 410,
                         "The request was rejected because the most recent credential report has "
                         "expired. To generate a new credential report, use "
                         "GenerateCredentialReport.");
}

// Every record under a prefix, parsed (records that do not parse are skipped).
Result<std::vector<Json>> ScanRecords(storage::Transaction& txn, std::string_view prefix) {
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(prefix));
  std::vector<Json> out;
  out.reserve(rows.size());
  for (const storage::KeyValue& row : rows) {
    Json record = Json::parse(row.value, nullptr, false);
    if (record.is_object()) out.push_back(std::move(record));
  }
  return out;
}

// The root user's access key id of the account, from its record
// (services/organizations/directory.h). IAM only reads it: the root key is the
// operator's, never an IAM user's; accounts made by Organizations have none.
Result<std::optional<std::string>> RootAccessKeyId(storage::Transaction& txn,
                                                   std::string_view account) {
  ASSIGN_OR_RETURN(std::optional<Json> record, organizations::LoadAccountIn(txn, account));
  std::string akid = record ? record->value("root_access_key_id", "") : "";
  if (akid.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(akid));
}

// The name of a managed policy: the last segment of its ARN.
std::string PolicyNameOfArn(std::string_view arn) {
  size_t slash = arn.rfind('/');
  return std::string(slash == std::string_view::npos ? arn : arn.substr(slash + 1));
}

Json AttachedPolicies(const Json& entity) {
  Json out = Json::array();
  for (const Json& arn : entity.value("AttachedPolicies", Json::array())) {
    if (!arn.is_string()) continue;
    out.push_back({{"PolicyName", PolicyNameOfArn(arn.get<std::string>())}, {"PolicyArn", arn}});
  }
  return out;
}

// Inline policies as a PolicyDetail list, documents percent-encoded like every policy
// document IAM returns.
Json InlinePolicies(const Json& entity) {
  Json out = Json::array();
  auto it = entity.find("InlinePolicies");
  if (it == entity.end() || !it->is_object()) return out;
  for (auto& [name, doc] : it->items()) {
    if (!doc.is_string()) continue;
    out.push_back(
        {{"PolicyName", name}, {"PolicyDocument", UrlEncodeDocument(doc.get<std::string>())}});
  }
  return out;
}

Json Boundary(const Json& entity) {
  return Json{{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"},
              {"PermissionsBoundaryArn", entity["PermissionsBoundary"]}};
}

// The UserDetail shape. AWS leaves UserPolicyList out when the user has no inline
// policy, but always lists tags (possibly empty).
Json UserDetail(const Json& user) {
  Json out = {{"Path", user["Path"]},
              {"UserName", user["UserName"]},
              {"UserId", user["UserId"]},
              {"Arn", user["Arn"]},
              {"CreateDate", user["CreateDate"]}};
  Json inline_policies = InlinePolicies(user);
  if (!inline_policies.empty()) out["UserPolicyList"] = std::move(inline_policies);
  out["GroupList"] = user.value("Groups", Json::array());
  out["AttachedManagedPolicies"] = AttachedPolicies(user);
  if (user.contains("PermissionsBoundary")) out["PermissionsBoundary"] = Boundary(user);
  out["Tags"] = user.value("Tags", Json::array());
  return out;
}

Json GroupDetail(const Json& group) {
  return Json{{"Path", group["Path"]},
              {"GroupName", group["GroupName"]},
              {"GroupId", group["GroupId"]},
              {"Arn", group["Arn"]},
              {"CreateDate", group["CreateDate"]},
              {"GroupPolicyList", InlinePolicies(group)},
              {"AttachedManagedPolicies", AttachedPolicies(group)}};
}

// The RoleDetail shape; `instance_profiles` the InstanceProfile shapes of the profiles
// the role is in (InstanceProfilesOfRole).
Json RoleDetail(const Json& role, Json instance_profiles) {
  Json out = {{"Path", role["Path"]},
              {"RoleName", role["RoleName"]},
              {"RoleId", role["RoleId"]},
              {"Arn", role["Arn"]},
              {"CreateDate", role["CreateDate"]},
              {"AssumeRolePolicyDocument",
               UrlEncodeDocument(role.value("AssumeRolePolicyDocument", std::string()))},
              {"InstanceProfileList", std::move(instance_profiles)},
              {"RolePolicyList", InlinePolicies(role)},
              {"AttachedManagedPolicies", AttachedPolicies(role)}};
  if (role.contains("PermissionsBoundary")) out["PermissionsBoundary"] = Boundary(role);
  out["Tags"] = role.value("Tags", Json::array());
  out["RoleLastUsed"] = role.value("RoleLastUsed", Json::object());
  return out;
}

// AWS managed policies by their lowercased ARN, the form this account's usage records
// are keyed by (policies.cc).
const std::unordered_map<std::string, const AwsManagedPolicy*>& AwsPoliciesByLowerArn() {
  static const std::unordered_map<std::string, const AwsManagedPolicy*> map = [] {
    std::unordered_map<std::string, const AwsManagedPolicy*> m;
    for (const AwsManagedPolicy& p : AwsManagedPolicies()) m.emplace(Lower(p.arn), &p);
    return m;
  }();
  return map;
}

// --- Credential report -----------------------------------------------------------------

// ISO 8601 as the credential report writes dates: "2015-03-05T16:03:50+00:00".
std::string ReportTime(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  return buf;
}

// RFC 4180 quoting, for the fields that need it (IAM user names may contain commas).
std::string CsvField(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

constexpr std::string_view kReportHeader =
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

std::string Bool(bool b) { return b ? "true" : "false"; }

// The five access key columns of one key slot. An inactive key still shows when it was
// created (AWS's reports do), and "N/A" stands for every value there is none of.
void AppendKeyColumns(const std::optional<auth::AccessKeyInfo>& key,
                      std::vector<std::string>* row) {
  if (!key) {
    row->insert(row->end(), {"false", "N/A", "N/A", "N/A", "N/A"});
    return;
  }
  row->push_back(Bool(key->active));
  row->push_back(key->create_date > 0 ? ReportTime(key->create_date) : "N/A");
  const bool used = key->last_used_date > 0;
  row->push_back(used ? ReportTime(key->last_used_date) : "N/A");
  row->push_back(used && !key->last_used_region.empty() ? key->last_used_region : "N/A");
  row->push_back(used && !key->last_used_service.empty() ? key->last_used_service : "N/A");
}

// A user's access keys, oldest first (slot 1 is the older key, as in AWS's reports).
Result<std::vector<auth::AccessKeyInfo>> UserKeys(RequestContext& ctx, storage::Transaction& txn,
                                                  std::string_view account,
                                                  std::string_view user_name) {
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                   txn.Scan(UserKeyPrefix(account, user_name)));
  std::vector<auth::AccessKeyInfo> keys;
  for (const storage::KeyValue& row : rows) {
    const std::string akid = row.key.substr(row.key.rfind('/') + 1);
    std::optional<auth::AccessKeyInfo> info;
    if (ctx.env->credentials != nullptr) {
      ASSIGN_OR_RETURN(info, ctx.env->credentials->InfoIn(txn, akid));
    } else {
      // Without a credential store (some tests), the index entry says what there is.
      Json index = Json::parse(row.value, nullptr, false);
      info.emplace();
      info->access_key_id = akid;
      if (index.is_object()) info->create_date = index.value("CreateDate", int64_t{0});
    }
    if (info) keys.push_back(std::move(*info));
  }
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return a.create_date != b.create_date ? a.create_date < b.create_date
                                          : a.access_key_id < b.access_key_id;
  });
  return keys;
}

std::string JoinRow(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    line.append(CsvField(fields[i]));
  }
  return line;
}

// The report's CSV: the header, the root user, then every IAM user.
Result<std::string> BuildReport(RequestContext& ctx, storage::Transaction& txn) {
  const std::string& account = ctx.caller.account_id;
  std::string csv(kReportHeader);

  // The root user: no console password in Bulwark, so the password columns say what
  // AWS says for the root user; its access key is the operator's.
  std::vector<std::string> root = {"<root_account>",
                                   "arn:aws:iam::" + account + ":root",
                                   "N/A",  // Bulwark does not record when the account began
                                   "not_supported",
                                   "no_information",
                                   "not_supported",
                                   "not_supported",
                                   "false"};
  std::optional<auth::AccessKeyInfo> root_key;
  ASSIGN_OR_RETURN(std::optional<std::string> root_akid, RootAccessKeyId(txn, account));
  if (root_akid && ctx.env->credentials != nullptr) {
    ASSIGN_OR_RETURN(root_key, ctx.env->credentials->InfoIn(txn, *root_akid));
  }
  AppendKeyColumns(root_key, &root);
  AppendKeyColumns(std::nullopt, &root);
  root.insert(root.end(), {"false", "N/A", "false", "N/A"});
  csv.append("\n").append(JoinRow(root));

  ASSIGN_OR_RETURN(std::optional<Json> password_policy, Load(txn, PasswordPolicyKey(account)));
  const int64_t max_password_age =
      password_policy ? password_policy->value("MaxPasswordAge", int64_t{0}) : 0;

  ASSIGN_OR_RETURN(std::vector<Json> users, ScanRecords(txn, KindPrefix(account, Kind::kUser)));
  for (const Json& user : users) {
    const std::string name = user.value("UserName", "");
    std::vector<std::string> row = {name, user.value("Arn", ""),
                                    ReportTime(user.value("CreateDate", int64_t{0}))};
    const Json* login = nullptr;
    if (auto it = user.find("LoginProfile"); it != user.end() && it->is_object()) login = &*it;
    row.push_back(Bool(login != nullptr));
    // Last use: the profile's, else the user's own record of an earlier password.
    int64_t last_used = login != nullptr ? login->value("PasswordLastUsed", int64_t{0}) : 0;
    if (last_used == 0) last_used = user.value("PasswordLastUsed", int64_t{0});
    if (last_used > 0) {
      row.push_back(ReportTime(last_used));
    } else {
      row.push_back(login != nullptr ? "no_information" : "N/A");
    }
    if (login != nullptr) {
      const int64_t changed =
          login->value("PasswordLastChanged", login->value("CreateDate", int64_t{0}));
      row.push_back(changed > 0 ? ReportTime(changed) : "N/A");
      row.push_back(max_password_age > 0 && changed > 0
                        ? ReportTime(changed + max_password_age * 86400)
                        : "N/A");
    } else {
      row.insert(row.end(), {"N/A", "N/A"});
    }
    row.push_back(Bool(!user.value("MFADevices", Json::array()).empty()));
    ASSIGN_OR_RETURN(std::vector<auth::AccessKeyInfo> keys, UserKeys(ctx, txn, account, name));
    for (size_t slot = 0; slot < 2; ++slot) {
      AppendKeyColumns(slot < keys.size() ? std::optional(keys[slot]) : std::nullopt, &row);
    }
    // Bulwark has no X.509 signing certificates.
    row.insert(row.end(), {"false", "N/A", "false", "N/A"});
    csv.append("\n").append(JoinRow(row));
  }
  return csv;
}

std::string ReportKey(std::string_view account) { return AccountKey(account, "credential-report"); }

}  // namespace

// --- GetAccountSummary ---------------------------------------------------------------------

Result<Json> GetAccountSummary(RequestContext& ctx, const Json& /*input*/) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(size_t users_count, Count(*txn, KindPrefix(account, Kind::kUser)));
  ASSIGN_OR_RETURN(size_t groups, Count(*txn, KindPrefix(account, Kind::kGroup)));
  ASSIGN_OR_RETURN(size_t roles, Count(*txn, KindPrefix(account, Kind::kRole)));
  // Kinds other families of operations keep under "iam/ACCOUNT/<ARN resource type>/";
  // zero until they exist.
  ASSIGN_OR_RETURN(size_t instance_profiles, Count(*txn, AccountKey(account, "instance-profile/")));
  ASSIGN_OR_RETURN(size_t saml, Count(*txn, AccountKey(account, "saml-provider/")));
  ASSIGN_OR_RETURN(size_t oidc, Count(*txn, AccountKey(account, "oidc-provider/")));
  ASSIGN_OR_RETURN(size_t server_certificates,
                   Count(*txn, AccountKey(account, "server-certificate/")));
  ASSIGN_OR_RETURN(size_t mfa_records, Count(*txn, MfaDevicePrefix(account)));

  // MFA devices enabled for users, and managed policy attachments (the versions in use:
  // each attachment uses its policy's default version).
  int64_t mfa_in_use = 0;
  ASSIGN_OR_RETURN(std::vector<Json> users, ScanRecords(*txn, KindPrefix(account, Kind::kUser)));
  for (const Json& user : users) {
    mfa_in_use += static_cast<int64_t>(user.value("MFADevices", Json::array()).size());
  }
  int64_t attachments = 0;
  ASSIGN_OR_RETURN(std::vector<Json> policies,
                   ScanRecords(*txn, KindPrefix(account, Kind::kPolicy)));
  for (const Json& p : policies) attachments += p.value("AttachmentCount", int64_t{0});
  ASSIGN_OR_RETURN(std::vector<Json> aws_usage,
                   ScanRecords(*txn, AccountKey(account, "aws-policy/")));
  for (const Json& u : aws_usage) attachments += u.value("AttachmentCount", int64_t{0});

  bool root_keys = false;
  ASSIGN_OR_RETURN(std::optional<std::string> root_akid, RootAccessKeyId(*txn, account));
  if (root_akid) {
    root_keys = true;
    if (ctx.env->credentials != nullptr) {
      ASSIGN_OR_RETURN(std::optional<auth::AccessKeyInfo> info,
                       ctx.env->credentials->InfoIn(*txn, *root_akid));
      root_keys = info.has_value();
    }
  }

  const auto n = [](size_t v) { return static_cast<int64_t>(v); };
  Json summary = {
      {"Users", n(users_count)},
      {"UsersQuota", n(kMaxUsers)},
      {"Groups", n(groups)},
      {"GroupsQuota", n(kMaxGroups)},
      {"Roles", n(roles)},
      {"RolesQuota", n(kMaxRoles)},
      {"Policies", n(policies.size())},
      {"PoliciesQuota", n(kMaxCustomerPolicies)},
      {"PolicySizeQuota", n(kMaxManagedPolicyChars)},
      {"PolicyVersionsInUse", attachments},
      {"PolicyVersionsInUseQuota", kPolicyVersionsInUseQuota},
      {"VersionsPerPolicyQuota", n(kMaxPolicyVersions)},
      {"ServerCertificates", n(server_certificates)},
      {"ServerCertificatesQuota", kServerCertificatesQuota},
      {"GroupsPerUserQuota", n(kMaxGroupsPerUser)},
      {"AttachedPoliciesPerUserQuota", n(kMaxManagedPoliciesPerEntity)},
      {"AttachedPoliciesPerGroupQuota", n(kMaxManagedPoliciesPerEntity)},
      {"AttachedPoliciesPerRoleQuota", n(kMaxManagedPoliciesPerEntity)},
      {"AccessKeysPerUserQuota", n(kMaxAccessKeysPerUser)},
      {"SigningCertificatesPerUserQuota", kSigningCertificatesPerUserQuota},
      {"MFADevices", std::max(n(mfa_records), mfa_in_use)},
      {"MFADevicesInUse", mfa_in_use},
      {"AccountMFAEnabled", 0},
      {"AccountAccessKeysPresent", root_keys ? 1 : 0},
      {"AccountSigningCertificatesPresent", 0},
      {"UserPolicySizeQuota", n(kMaxUserInlineChars)},
      {"GroupPolicySizeQuota", n(kMaxGroupInlineChars)},
      {"RolePolicySizeQuota", n(kMaxRoleInlineChars)},
      {"AssumeRolePolicySizeQuota", n(kMaxTrustPolicyChars)},
      {"InstanceProfiles", n(instance_profiles)},
      {"InstanceProfilesQuota", n(kMaxInstanceProfiles)},
      {"Providers", n(saml + oidc)},
      {"GlobalEndpointTokenVersion", kGlobalEndpointTokenVersion},
  };
  return Json{{"SummaryMap", std::move(summary)}};
}

// --- GetAccountAuthorizationDetails --------------------------------------------------------

Result<Json> GetAccountAuthorizationDetails(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const Json filter = input.value("Filter", Json::array());
  const auto wanted = [&](std::string_view type) {
    return filter.empty() ||
           std::any_of(filter.begin(), filter.end(), [&](const Json& f) { return f == type; });
  };
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  // One list over every kind, paged together (MaxItems counts them all, as in AWS);
  // each item remembers the list it belongs to.
  Json items = Json::array();
  const auto add = [&](std::string_view list, Json detail) {
    items.push_back({{"list", list}, {"item", std::move(detail)}});
  };
  if (wanted("User")) {
    ASSIGN_OR_RETURN(std::vector<Json> users, ScanRecords(*txn, KindPrefix(account, Kind::kUser)));
    for (const Json& u : users) add("UserDetailList", UserDetail(u));
  }
  if (wanted("Group")) {
    ASSIGN_OR_RETURN(std::vector<Json> groups,
                     ScanRecords(*txn, KindPrefix(account, Kind::kGroup)));
    for (const Json& g : groups) add("GroupDetailList", GroupDetail(g));
  }
  if (wanted("Role")) {
    ASSIGN_OR_RETURN(std::vector<Json> roles, ScanRecords(*txn, KindPrefix(account, Kind::kRole)));
    for (const Json& r : roles) {
      ASSIGN_OR_RETURN(Json profiles, InstanceProfilesOfRole(*txn, account, r));
      add("RoleDetailList", RoleDetail(r, std::move(profiles)));
    }
  }
  if (wanted("LocalManagedPolicy")) {
    ASSIGN_OR_RETURN(std::vector<Json> policies,
                     ScanRecords(*txn, KindPrefix(account, Kind::kPolicy)));
    for (const Json& p : policies) {
      ASSIGN_OR_RETURN(std::optional<Json> detail,
                       ManagedPolicyDetail(*txn, account, p.value("Arn", "")));
      if (detail) add("Policies", std::move(*detail));
    }
  }
  if (wanted("AWSManagedPolicy")) {
    // AWS lists the AWS managed policies that are in use in the account, not its whole
    // catalogue: those attached to an entity or used as a permissions boundary.
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                     txn->Scan(AccountKey(account, "aws-policy/")));
    for (const storage::KeyValue& row : rows) {
      Json usage = Json::parse(row.value, nullptr, false);
      if (!usage.is_object() || (usage.value("AttachmentCount", int64_t{0}) <= 0 &&
                                 usage.value("PermissionsBoundaryUsageCount", int64_t{0}) <= 0)) {
        continue;
      }
      const std::string lower_arn = row.key.substr(row.key.find("/aws-policy/") + 12);
      auto it = AwsPoliciesByLowerArn().find(lower_arn);
      if (it == AwsPoliciesByLowerArn().end()) continue;
      ASSIGN_OR_RETURN(std::optional<Json> detail,
                       ManagedPolicyDetail(*txn, account, it->second->arn));
      if (detail) add("Policies", std::move(*detail));
    }
  }
  ASSIGN_OR_RETURN(Page page, PageOf(items, input));
  Json out = {{"UserDetailList", Json::array()},
              {"GroupDetailList", Json::array()},
              {"RoleDetailList", Json::array()},
              {"Policies", Json::array()},
              {"IsTruncated", page.truncated}};
  for (Json& item : page.items) {
    out[item["list"].get<std::string>()].push_back(std::move(item["item"]));
  }
  if (page.truncated) out["Marker"] = page.marker;
  return out;
}

// --- Account alias -------------------------------------------------------------------------

// An account has at most one alias. As AWS does, creating a new one replaces the old;
// asking for the alias the account already has is EntityAlreadyExists. (In AWS aliases
// are unique across all accounts; Bulwark serves one account per server.)
Result<Json> CreateAccountAlias(RequestContext& ctx, const Json& input) {
  const std::string alias = input.at("AccountAlias").get<std::string>();
  const std::string key = AccountKey(ctx.caller.account_id, "alias");
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (existing && existing->value("AccountAlias", "") == alias) {
    return EntityAlreadyExists("The account alias " + alias + " already exists.");
  }
  RETURN_IF_ERROR(Save(*txn, key, Json{{"AccountAlias", alias}}));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> DeleteAccountAlias(RequestContext& ctx, const Json& input) {
  const std::string alias = input.at("AccountAlias").get<std::string>();
  const std::string key = AccountKey(ctx.caller.account_id, "alias");
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> existing, Load(*txn, key));
  if (!existing || existing->value("AccountAlias", "") != alias) {
    return NoSuchEntity("The account alias " + alias + " cannot be found.");
  }
  RETURN_IF_ERROR(txn->Delete(key));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ListAccountAliases(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> existing,
                   Load(*txn, AccountKey(ctx.caller.account_id, "alias")));
  Json aliases = Json::array();
  if (existing && existing->contains("AccountAlias"))
    aliases.push_back((*existing)["AccountAlias"]);
  ASSIGN_OR_RETURN(Page page, PageOf(aliases, input));
  return PageOutput(std::move(page), "AccountAliases");
}

// --- Credential report -----------------------------------------------------------------------

Result<Json> GenerateCredentialReport(RequestContext& ctx, const Json& /*input*/) {
  const std::string key = ReportKey(ctx.caller.account_id);
  const int64_t now = Now(ctx);
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> report, Load(*txn, key));
  if (report && now - report->value("GeneratedTime", int64_t{0}) < kReportLifetimeSeconds) {
    return Json{{"State", "COMPLETE"}};
  }
  ASSIGN_OR_RETURN(std::string csv, BuildReport(ctx, *txn));
  RETURN_IF_ERROR(Save(*txn, key, Json{{"GeneratedTime", now}, {"Content", std::move(csv)}}));
  RETURN_IF_ERROR(txn->Commit());  // nothing authorization reads changed
  return Json{{"State", "STARTED"},
              {"Description", "No report exists. Starting a new report generation task"}};
}

Result<Json> GetCredentialReport(RequestContext& ctx, const Json& /*input*/) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> report, Load(*txn, ReportKey(ctx.caller.account_id)));
  if (!report || !(*report)["Content"].is_string()) return ReportNotPresent();
  const int64_t generated = report->value("GeneratedTime", int64_t{0});
  if (Now(ctx) - generated >= kReportLifetimeSeconds) return ReportExpired();
  // The blob member: the protocol layer base64-encodes it on the wire.
  return Json{{"Content", (*report)["Content"]},
              {"ReportFormat", "text/csv"},
              {"GeneratedTime", generated}};
}

}  // namespace bulwark::iam
