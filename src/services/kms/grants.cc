// KMS grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, and
// what a grant contributes to authorization (MatchGrant).
//
// Records (KEY-ID: the key's record id, common.h):
// - "kms/grant/KEY-ID/GRANT-ID": {GrantId, KeyId (the key ARN), Name, CreationDate,
//   GranteePrincipal, RetiringPrincipal, IssuingAccount, Operations, Constraints}.
// - "kms/grant-grantee/KEY-ID/GRANTEE\n GRANT-ID" and
//   "kms/grant-retiring/RETIRING\n KEY-ID/GRANT-ID" (empty values): the grants of a key
//   by grantee (what authorization reads: a few short scans, however many grants the key
//   has) and by retiring principal (ListRetirableGrants).
// - "kms/grant-name/KEY-ID/NAME\n GRANT-ID": CreateGrant's idempotency by name.
// - the key record's "GrantCount" (50,000 at most), so that keys without grants cost
//   authorization nothing.
// A grant token is the grant's key id and grant id sealed with the root key (a fresh
// nonce each time, so every CreateGrant returns a new token); grants take effect at once
// here, so tokens are checked but never needed.
#include <algorithm>
#include <cctype>
#include <set>

#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/kms/common.h"
#include "services/kms/handlers.h"
#include "storage/sealer.h"

namespace bulwark::kms {
namespace {

constexpr size_t kMaxGrantsPerKey = 50000;
constexpr size_t kMaxConstraintPairs = 8;
constexpr size_t kMaxConstraintChars = 384;
constexpr size_t kDefaultListLimit = 50;
constexpr size_t kMaxListLimit = 100;
constexpr std::string_view kTokenPath = "kms/grant-token";

std::string GrantKey(std::string_view key_id, std::string_view grant_id) {
  return "kms/grant/" + std::string(key_id) + "/" + std::string(grant_id);
}
std::string GranteePrefix(std::string_view key_id, std::string_view grantee) {
  return "kms/grant-grantee/" + std::string(key_id) + "/" + std::string(grantee) + "\n";
}
std::string RetiringPrefix(std::string_view retiring) {
  return "kms/grant-retiring/" + std::string(retiring) + "\n";
}
std::string NamePrefix(std::string_view key_id, std::string_view name) {
  return "kms/grant-name/" + std::string(key_id) + "/" + std::string(name) + "\n";
}

// The record id of the key an ARN names ("arn:aws:kms:REGION:ACCOUNT:key/KEY-ID").
std::string RecordIdOfArn(std::string_view arn) {
  const size_t region_start = std::string_view("arn:aws:kms:").size();
  const size_t region_end = arn.find(':', region_start);
  const std::string_view region = region_end == std::string_view::npos
                                      ? std::string_view()
                                      : arn.substr(region_start, region_end - region_start);
  return RecordIdFor(arn.substr(arn.rfind('/') + 1), region);
}

Status InvalidGrantToken() {
  return Status::Service("InvalidGrantTokenException", 400, "Invalid grant token.");
}

Status GrantNotFound(std::string_view grant_id) {
  return NotFound("Grant ID " + std::string(grant_id) + " not found");
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The grant operations a key can have, as CreateGrant checks them. CreateGrant,
// RetireGrant and DescribeKey suit every key.
std::set<std::string> OperationsFor(const Json& key) {
  std::set<std::string> ops = {"CreateGrant", "RetireGrant", "DescribeKey"};
  const std::string usage = key.value("KeyUsage", "");
  if (IsSymmetricKey(key)) {
    ops.insert({"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom",
                "ReEncryptTo"});
  } else if (usage == "ENCRYPT_DECRYPT") {
    ops.insert({"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"});
  } else if (usage == "SIGN_VERIFY") {
    ops.insert({"Sign", "Verify", "GetPublicKey"});
  } else if (usage == "GENERATE_VERIFY_MAC") {
    ops.insert({"GenerateMac", "VerifyMac"});
  } else if (usage == "KEY_AGREEMENT") {
    ops.insert({"DeriveSharedSecret", "GetPublicKey"});
  }
  return ops;
}

// Does `context` meet the constraint (EncryptionContextSubset or ...Equals)? Keys are
// compared without regard to case, values exactly.
bool ContextMeets(const Json& constraint_pairs, const Json& context, bool equals) {
  if (!context.is_object()) return constraint_pairs.empty();
  if (equals && context.size() != constraint_pairs.size()) return false;
  for (const auto& [k, v] : constraint_pairs.items()) {
    const std::string want = Lower(k);
    bool found = false;
    for (const auto& [rk, rv] : context.items()) {
      if (Lower(rk) == want && rv == v) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

// Is the new grant of a CreateGrant at most as wide as `parent`: a subset of its
// operations, and a constraint at least as strict (more Subset pairs, or Equals).
bool NoWiderThan(const Json& parent, const Json& input) {
  const Json& parent_ops = ArrayMember(parent, "Operations");
  for (const Json& op : ArrayMember(input, "Operations")) {
    if (std::find(parent_ops.begin(), parent_ops.end(), op) == parent_ops.end()) return false;
  }
  const Json& pc = ObjectMember(parent, "Constraints");
  const Json& nc = ObjectMember(input, "Constraints");
  if (pc.contains("EncryptionContextEquals")) {
    return nc.contains("EncryptionContextEquals") &&
           ContextMeets(pc["EncryptionContextEquals"], nc["EncryptionContextEquals"], true);
  }
  if (pc.contains("EncryptionContextSubset")) {
    const Json& want = pc["EncryptionContextSubset"];
    if (nc.contains("EncryptionContextEquals")) {
      return ContextMeets(want, nc["EncryptionContextEquals"], false);
    }
    return nc.contains("EncryptionContextSubset") &&
           ContextMeets(want, nc["EncryptionContextSubset"], false);
  }
  return true;
}

// Does `grant` allow `operation` for a request with this input?
bool GrantAllows(const Json& grant, std::string_view operation, const Json& input) {
  const Json& ops = ArrayMember(grant, "Operations");
  if (std::find(ops.begin(), ops.end(), Json(operation)) == ops.end()) return false;
  if (operation == "CreateGrant") return NoWiderThan(grant, input);
  if (operation == "DescribeKey" || operation == "RetireGrant") return true;
  const Json& constraints = ObjectMember(grant, "Constraints");
  if (constraints.empty()) return true;
  const char* member = operation == "ReEncryptFrom" ? "SourceEncryptionContext"
                       : operation == "ReEncryptTo" ? "DestinationEncryptionContext"
                                                    : "EncryptionContext";
  const Json context = input.value(member, Json::object());
  if (constraints.contains("EncryptionContextEquals")) {
    return ContextMeets(constraints["EncryptionContextEquals"], context, true);
  }
  return ContextMeets(constraints.value("EncryptionContextSubset", Json::object()), context, false);
}

// The grants of `key` whose grantee is `grantee`.
Result<std::vector<Json>> GrantsFor(storage::Transaction& txn, const std::string& key_id,
                                    std::string_view grantee) {
  const std::string prefix = GranteePrefix(key_id, grantee);
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(prefix));
  std::vector<Json> grants;
  for (const storage::KeyValue& row : rows) {
    ASSIGN_OR_RETURN(std::optional<Json> grant,
                     iam::Load(txn, GrantKey(key_id, row.key.substr(prefix.size()))));
    if (grant) grants.push_back(std::move(*grant));
  }
  return grants;
}

Status CheckConstraints(const Json& key, const Json& constraints) {
  if (!constraints.is_object() || constraints.empty()) return Status::Ok();
  if (!IsSymmetricKey(key)) {
    return Validation("Grant constraints are supported only for symmetric encryption KMS keys.");
  }
  if (constraints.contains("EncryptionContextSubset") &&
      constraints.contains("EncryptionContextEquals")) {
    return Validation(
        "A grant can have only one of the EncryptionContextSubset and EncryptionContextEquals "
        "constraints.");
  }
  for (const auto& [type, pairs] : constraints.items()) {
    if (!pairs.is_object()) continue;
    size_t chars = 0;
    for (const auto& [k, v] : pairs.items()) {
      chars += k.size() + (v.is_string() ? v.get_ref<const std::string&>().size() : 0);
    }
    if (pairs.size() > kMaxConstraintPairs || chars > kMaxConstraintChars) {
      return Validation("The " + type + " constraint has more than " +
                        std::to_string(kMaxConstraintPairs) + " pairs or " +
                        std::to_string(kMaxConstraintChars) + " characters.");
    }
  }
  return Status::Ok();
}

// The same grant as CreateGrant's input asks for (a retry by name).
bool SameGrant(const Json& grant, const Json& input) {
  auto sorted = [](Json ops) {
    std::sort(ops.begin(), ops.end());
    return ops;
  };
  return grant.value("GranteePrincipal", "") == input.value("GranteePrincipal", "") &&
         grant.value("RetiringPrincipal", "") == input.value("RetiringPrincipal", "") &&
         sorted(grant.value("Operations", Json::array())) ==
             sorted(input.value("Operations", Json::array())) &&
         grant.value("Constraints", Json::object()) == input.value("Constraints", Json::object());
}

Result<std::string> NewToken(const RequestContext& ctx, std::string_view key_id,
                             std::string_view grant_id) {
  const std::string plain = std::string(key_id) + "/" + std::string(grant_id);
  ASSIGN_OR_RETURN(std::string sealed, ctx.env->sealer->Seal(kTokenPath, plain));
  return crypto::Base64UrlEncode(sealed);
}

// The (key id, grant id) a token names, or nullopt when it is not one of ours.
std::optional<std::pair<std::string, std::string>> OpenToken(const RequestContext& ctx,
                                                             std::string_view token) {
  std::optional<std::string> sealed = crypto::Base64UrlDecode(token);
  if (!sealed) return std::nullopt;
  Result<SecretBytes> plain = ctx.env->sealer->Open(kTokenPath, *sealed);
  if (!plain.ok()) return std::nullopt;
  const std::string_view text = plain->view();
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return std::make_pair(std::string(text.substr(0, slash)), std::string(text.substr(slash + 1)));
}

Json ListEntry(const Json& grant) {
  Json out = Json::object();
  for (const char* member : {"KeyId", "GrantId", "Name", "CreationDate", "GranteePrincipal",
                             "RetiringPrincipal", "IssuingAccount", "Operations", "Constraints"}) {
    if (grant.contains(member)) out[member] = grant[member];
  }
  return out;
}

// A page of grants from index rows "PREFIX...GRANT-ID" (the grant id after the last '/'
// or newline), each loaded from its key's grants.
Result<size_t> ListLimit(const Json& input) {
  const size_t limit = input.value("Limit", kDefaultListLimit);
  if (limit > kMaxListLimit) {
    return Validation("1 validation error detected: Value '" + std::to_string(limit) +
                      "' at 'limit' failed to satisfy constraint: Member must have value less "
                      "than or equal to 100");
  }
  return limit;
}

Result<std::string> MarkerOf(const Json& input) {
  auto it = input.find("Marker");
  if (it == input.end()) return std::string();
  std::optional<std::string> marker = crypto::Base64Decode(it->get<std::string>());
  if (!marker || marker->empty()) {
    return Status::Service("InvalidMarkerException", 400, "Invalid marker.");
  }
  return std::move(*marker);
}

// Removes a grant and its index entries, and counts it out of its key.
Status RemoveGrant(storage::Transaction& txn, const Json& grant) {
  const std::string grant_id = grant.value("GrantId", "");
  const std::string key_id = RecordIdOfArn(grant.value("KeyId", ""));
  RETURN_IF_ERROR(txn.Delete(GrantKey(key_id, grant_id)));
  RETURN_IF_ERROR(
      txn.Delete(GranteePrefix(key_id, grant.value("GranteePrincipal", "")) + grant_id));
  if (grant.contains("RetiringPrincipal")) {
    RETURN_IF_ERROR(
        txn.Delete(RetiringPrefix(grant.value("RetiringPrincipal", "")) + key_id + "/" + grant_id));
  }
  if (grant.contains("Name")) {
    RETURN_IF_ERROR(txn.Delete(NamePrefix(key_id, grant.value("Name", "")) + grant_id));
  }
  ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(txn, key_id));
  if (key) {
    (*key)["GrantCount"] = std::max<int64_t>(0, key->value("GrantCount", int64_t{0}) - 1);
    RETURN_IF_ERROR(SaveKey(txn, *key));
  }
  return Status::Ok();
}

// The grant a RetireGrant names: by GrantToken, or by KeyId and GrantId.
Result<Json> RetiringGrant(storage::Transaction& txn, RequestContext& ctx, const Json& input) {
  std::string key_id;
  std::string grant_id = input.value("GrantId", "");
  if (auto it = input.find("GrantToken"); it != input.end()) {
    auto named = OpenToken(ctx, it->get<std::string>());
    if (!named) return InvalidGrantToken();
    key_id = named->first;
    if (!grant_id.empty() && grant_id != named->second) return InvalidGrantToken();
    grant_id = named->second;
  } else {
    if (!input.contains("KeyId") || grant_id.empty()) {
      return Validation("Either GrantToken, or KeyId and GrantId, must be specified.");
    }
    ASSIGN_OR_RETURN(Json key, LoadKey(txn, ctx, input.value("KeyId", "")));
    key_id = RecordIdOf(key);
  }
  ASSIGN_OR_RETURN(std::optional<Json> grant, iam::Load(txn, GrantKey(key_id, grant_id)));
  if (!grant) return GrantNotFound(grant_id);
  return std::move(*grant);
}

}  // namespace

Status CheckGrantTokens(const RequestContext& ctx, const Json& input) {
  auto it = input.find("GrantTokens");
  if (it == input.end() || !it->is_array()) return Status::Ok();
  for (const Json& token : *it) {
    if (!token.is_string() || !OpenToken(ctx, token.get<std::string>())) {
      return InvalidGrantToken();
    }
  }
  return Status::Ok();
}

Result<AuthorizationRequest::Grant> MatchGrant(storage::Transaction& txn, const RequestContext& ctx,
                                               const Json& key, std::string_view operation,
                                               const Json& input) {
  using Grant = AuthorizationRequest::Grant;
  if (key.value("GrantCount", int64_t{0}) <= 0) return Grant::kNone;
  const std::string key_id = RecordIdOf(key);
  const Principal& caller = ctx.caller;
  // A grant to the caller itself, or to the role behind an assumed-role session.
  std::vector<std::string> names = {caller.arn};
  if (caller.type == Principal::Type::kAssumedRole) names.push_back(caller.session.role_arn);
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(std::vector<Json> grants, GrantsFor(txn, key_id, name));
    for (const Json& grant : grants) {
      if (GrantAllows(grant, operation, input)) return Grant::kPrincipal;
    }
  }
  // A grant to the caller's account: its IAM policies decide, as for a key policy that
  // names the account.
  ASSIGN_OR_RETURN(std::vector<Json> grants,
                   GrantsFor(txn, key_id, "arn:aws:iam::" + caller.account_id + ":root"));
  for (const Json& grant : grants) {
    if (GrantAllows(grant, operation, input)) return Grant::kAccount;
  }
  return Grant::kNone;
}

Status CompleteRetireGrantAuthorization(RequestContext& ctx, const Json& input,
                                        AuthorizationRequest* authz) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  // The grant names the key the request acts on: without it there is nothing to
  // authorize against, whoever asks (InvalidGrantTokenException, NotFoundException).
  ASSIGN_OR_RETURN(Json grant, RetiringGrant(*txn, ctx, input));
  const std::string key_arn = grant.value("KeyId", "");
  ASSIGN_OR_RETURN(std::optional<Json> key, LoadKeyById(*txn, RecordIdOfArn(key_arn)));
  if (!key) return GrantNotFound(grant.value("GrantId", ""));
  authz->context.resource = key_arn;
  authz->context.resource_account = key->value("AWSAccountId", "");
  authz->context.resource_policy_mode = policy::ResourcePolicyMode::kRequired;
  authz->resource_policy = KeyPolicyOf(*key);
  // The retiring principal, and the grantee of a grant that allows RetireGrant, may
  // retire it whatever the policies say (but an explicit deny).
  const Principal& caller = ctx.caller;
  auto is_caller = [&](const std::string& who) {
    return !who.empty() && (who == caller.arn || (caller.type == Principal::Type::kAssumedRole &&
                                                  who == caller.session.role_arn));
  };
  const Json& ops = ArrayMember(grant, "Operations");
  if (is_caller(grant.value("RetiringPrincipal", "")) ||
      (is_caller(grant.value("GranteePrincipal", "")) &&
       std::find(ops.begin(), ops.end(), Json("RetireGrant")) != ops.end())) {
    authz->grant = AuthorizationRequest::Grant::kPrincipal;
  }
  return Status::Ok();
}

Result<Json> CreateGrant(RequestContext& ctx, const Json& input) {
  const Json& operations = ArrayMember(input, "Operations");
  if (operations.empty()) return Validation("Operations must not be empty.");
  if (operations.size() == 1 && operations[0] == "CreateGrant") {
    return Validation("Grants must not contain only the CreateGrant operation.");
  }
  const std::string grantee = input.value("GranteePrincipal", "");
  const int64_t now = iam::Now(ctx);
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  // The key by id or ARN (a grant may be made on another account's key); not by alias.
  const std::string key_ref = input.value("KeyId", "");
  if (key_ref.starts_with("alias/") || key_ref.find(":alias/") != std::string::npos) {
    return NotFound("Invalid keyId '" + key_ref + "'");
  }
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, key_ref));
  RETURN_IF_ERROR(CheckUsable(key));
  const std::set<std::string> valid = OperationsFor(key);
  for (const Json& op : operations) {
    if (!valid.count(op.get<std::string>())) {
      return Validation("Grant operation " + op.get<std::string>() + " is not valid for " +
                        key.value("Arn", "") + " (key spec " + key.value("KeySpec", "") +
                        ", key usage " + key.value("KeyUsage", "") + ").");
    }
  }
  RETURN_IF_ERROR(CheckConstraints(key, input.value("Constraints", Json::object())));
  RETURN_IF_ERROR(CheckDryRun(input));
  const std::string key_id = RecordIdOf(key);

  // A retry with the same name and parameters answers with the same grant.
  const std::string name = input.value("Name", "");
  if (!name.empty()) {
    const std::string prefix = NamePrefix(key_id, name);
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(prefix));
    for (const storage::KeyValue& row : rows) {
      const std::string grant_id = row.key.substr(prefix.size());
      ASSIGN_OR_RETURN(std::optional<Json> grant, iam::Load(*txn, GrantKey(key_id, grant_id)));
      if (grant && SameGrant(*grant, input)) {
        ASSIGN_OR_RETURN(std::string token, NewToken(ctx, key_id, grant_id));
        return Json{{"GrantToken", token}, {"GrantId", grant_id}};
      }
    }
  }
  if (static_cast<size_t>(key.value("GrantCount", int64_t{0})) >= kMaxGrantsPerKey) {
    return LimitExceeded("The KMS key " + key.value("Arn", "") + " already has " +
                         std::to_string(kMaxGrantsPerKey) + " grants.");
  }
  uint8_t id[32];
  crypto::RandomBytes(id, sizeof(id));
  const std::string grant_id = crypto::HexEncode(id, sizeof(id));
  Json grant = {{"GrantId", grant_id},
                {"KeyId", key["Arn"]},
                {"CreationDate", now},
                {"GranteePrincipal", grantee},
                {"IssuingAccount", "arn:aws:iam::" + ctx.caller.account_id + ":root"},
                {"Operations", operations}};
  if (!name.empty()) grant["Name"] = name;
  if (input.contains("RetiringPrincipal")) grant["RetiringPrincipal"] = input["RetiringPrincipal"];
  const Json& constraints = ObjectMember(input, "Constraints");
  if (constraints.is_object() && !constraints.empty()) grant["Constraints"] = constraints;
  RETURN_IF_ERROR(iam::Save(*txn, GrantKey(key_id, grant_id), grant));
  RETURN_IF_ERROR(txn->Put(GranteePrefix(key_id, grantee) + grant_id, ""));
  if (grant.contains("RetiringPrincipal")) {
    RETURN_IF_ERROR(txn->Put(
        RetiringPrefix(grant.value("RetiringPrincipal", "")) + key_id + "/" + grant_id, ""));
  }
  if (!name.empty()) RETURN_IF_ERROR(txn->Put(NamePrefix(key_id, name) + grant_id, ""));
  key["GrantCount"] = key.value("GrantCount", int64_t{0}) + 1;
  RETURN_IF_ERROR(SaveKey(*txn, key));
  RETURN_IF_ERROR(txn->Commit());
  ASSIGN_OR_RETURN(std::string token, NewToken(ctx, key_id, grant_id));
  return Json{{"GrantToken", token}, {"GrantId", grant_id}};
}

Result<Json> ListGrants(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(size_t limit, ListLimit(input));
  ASSIGN_OR_RETURN(std::string marker, MarkerOf(input));
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  const std::string prefix = "kms/grant/" + RecordIdOf(key) + "/";
  const std::string grant_filter = input.value("GrantId", "");
  const std::string grantee_filter = input.value("GranteePrincipal", "");
  Json grants = Json::array();
  bool truncated = false;
  std::string after = marker.empty() ? std::string() : prefix + marker;
  std::string last;
  // Filters may skip rows: read in pages until the answer's page is full.
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn->Scan(prefix, after, 256));
    for (const storage::KeyValue& row : rows) {
      after = row.key;
      Json grant = Json::parse(row.value, nullptr, false);
      if (!grant.is_object()) continue;
      if (!grant_filter.empty() && grant.value("GrantId", "") != grant_filter) continue;
      if (!grantee_filter.empty() && grant.value("GranteePrincipal", "") != grantee_filter) {
        continue;
      }
      if (grants.size() == limit) {
        truncated = true;
        break;
      }
      last = grant.value("GrantId", "");
      grants.push_back(ListEntry(grant));
    }
    if (truncated || rows.size() < 256) break;
  }
  Json out = {{"Grants", std::move(grants)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = crypto::Base64Encode(last);
  return out;
}

Result<Json> ListRetirableGrants(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(size_t limit, ListLimit(input));
  ASSIGN_OR_RETURN(std::string marker, MarkerOf(input));
  const std::string retiring = input.value("RetiringPrincipal", "");
  ASSIGN_OR_RETURN(auto txn, iam::BeginRead(ctx));
  const std::string prefix = RetiringPrefix(retiring);
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                   txn->Scan(prefix, marker.empty() ? std::string() : prefix + marker, limit + 1));
  const bool truncated = rows.size() > limit;
  if (truncated) rows.pop_back();
  Json grants = Json::array();
  for (const storage::KeyValue& row : rows) {
    const std::string rest = row.key.substr(prefix.size());  // KEY-ID/GRANT-ID
    const size_t slash = rest.find('/');
    ASSIGN_OR_RETURN(std::optional<Json> grant,
                     iam::Load(*txn, GrantKey(rest.substr(0, slash), rest.substr(slash + 1))));
    // Grants in the caller's account and Region: made by this account, on keys here.
    if (!grant ||
        grant->value("IssuingAccount", "") != "arn:aws:iam::" + ctx.caller.account_id + ":root") {
      continue;
    }
    if (grant->value("KeyId", "").find(":kms:" + ctx.region + ":") == std::string::npos) continue;
    grants.push_back(ListEntry(*grant));
  }
  Json out = {{"Grants", std::move(grants)}, {"Truncated", truncated}};
  if (truncated) {
    out["NextMarker"] = crypto::Base64Encode(rows.back().key.substr(prefix.size()));
  }
  return out;
}

Result<Json> RetireGrant(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json grant, RetiringGrant(*txn, ctx, input));
  RETURN_IF_ERROR(CheckDryRun(input));
  RETURN_IF_ERROR(RemoveGrant(*txn, grant));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Result<Json> RevokeGrant(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(auto txn, iam::BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json key, LoadKey(*txn, ctx, input.value("KeyId", "")));
  const std::string grant_id = input.value("GrantId", "");
  ASSIGN_OR_RETURN(std::optional<Json> grant, iam::Load(*txn, GrantKey(RecordIdOf(key), grant_id)));
  if (!grant) return GrantNotFound(grant_id);
  RETURN_IF_ERROR(CheckDryRun(input));
  RETURN_IF_ERROR(RemoveGrant(*txn, *grant));
  RETURN_IF_ERROR(txn->Commit());
  return Json::object();
}

Status DeleteGrantsOf(storage::Transaction& txn, const Json& key) {
  if (key.value("GrantCount", int64_t{0}) <= 0) return Status::Ok();
  const std::string prefix = "kms/grant/" + RecordIdOf(key) + "/";
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(prefix, "", 256));
    for (const storage::KeyValue& row : rows) {
      Json grant = Json::parse(row.value, nullptr, false);
      if (grant.is_object()) {
        RETURN_IF_ERROR(RemoveGrant(txn, grant));
      } else {
        RETURN_IF_ERROR(txn.Delete(row.key));
      }
    }
    if (rows.size() < 256) break;
  }
  return Status::Ok();
}

}  // namespace bulwark::kms
