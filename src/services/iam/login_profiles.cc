// IAM users' console passwords (login profiles), ChangePassword, and the account
// password policy that every new password must satisfy.
//
// The login profile lives in the user record ("LoginProfile": CreateDate,
// PasswordResetRequired, PasswordHash, PasswordLastChanged, PreviousHashes); passwords
// are stored only as salted scrypt hashes (crypto::HashPassword). The account password
// policy is one record at "iam/ACCOUNT/password-policy".
//
// Hashing costs tens of milliseconds per password, and checking reuse up to 24 of them,
// so that work happens outside the write transaction (which would hold SQLite's write
// lock): the checks and hashing run on what a read transaction saw, and the write
// transaction then makes sure the profile and the policy are still what they were.
#include <algorithm>
#include <optional>
#include <string>

#include "crypto/crypto.h"
#include "services/iam/common.h"
#include "services/iam/handlers.h"

namespace bulwark::iam {
namespace {

// A password policy remembers at most 24 passwords (PasswordReusePrevention 1..24): the
// current one and 23 before it.
constexpr size_t kMaxRememberedPasswords = 24;
// AWS's default password policy, which applies while the account has none of its own:
// at least 8 characters and three of the four character types.
constexpr int64_t kDefaultMinimumLength = 8;
constexpr int kDefaultCharacterTypes = 3;
// UpdateAccountPasswordPolicy's default MinimumPasswordLength.
constexpr int64_t kPolicyDefaultMinimumLength = 6;
// The only characters that count as symbols, as the API reference lists them.
constexpr std::string_view kSymbols = "!@#$%^&*()_+-=[]{}|'";

Status PolicyViolation(std::string message) {
  return Status::Service("PasswordPolicyViolation", 400, std::move(message));
}

Status NoLoginProfile(std::string_view user) {
  return NoSuchEntity("Login Profile for User " + std::string(user) + " cannot be found.");
}

Status ConcurrentModification() {
  return Status::Service("ConcurrentModification", 409,
                         "The login profile or the password policy changed while the password "
                         "was being set. Try again.");
}

Status NeedUserName() {
  return Status(ErrorKind::kValidation,
                "Must specify userName when calling with non-User credentials");
}

// UserName when given, else the calling IAM user.
Result<std::string> TargetUser(const RequestContext& ctx, const Json& input) {
  if (auto it = input.find("UserName"); it != input.end() && it->is_string()) {
    return it->get<std::string>();
  }
  if (ctx.caller.type == Principal::Type::kIAMUser) return UserNameOfArn(ctx.caller.arn);
  return NeedUserName();
}

Result<std::optional<Json>> LoadPolicy(storage::Transaction& txn, std::string_view account) {
  return Load(txn, PasswordPolicyKey(account));
}

struct CharacterTypes {
  bool upper = false;
  bool lower = false;
  bool number = false;
  bool symbol = false;
  int count() const { return int{upper} + int{lower} + int{number} + int{symbol}; }
};

CharacterTypes TypesOf(std::string_view password) {
  CharacterTypes t;
  for (char c : password) {
    if (c >= 'A' && c <= 'Z') t.upper = true;
    if (c >= 'a' && c <= 'z') t.lower = true;
    if (c >= '0' && c <= '9') t.number = true;
    if (kSymbols.find(c) != std::string_view::npos) t.symbol = true;
  }
  return t;
}

// The account's password policy, or AWS's default policy when there is none.
Status CheckComplexity(const std::optional<Json>& policy, std::string_view password,
                       std::string_view account) {
  const CharacterTypes types = TypesOf(password);
  const auto length = static_cast<int64_t>(password.size());
  if (!policy) {
    if (length < kDefaultMinimumLength) {
      return PolicyViolation("Password should have a minimum length of " +
                             std::to_string(kDefaultMinimumLength));
    }
    if (types.count() < kDefaultCharacterTypes) {
      return PolicyViolation(
          "Password should have at least three of the following types of characters: "
          "uppercase letters, lowercase letters, numbers and symbols");
    }
    // "Not be identical to your AWS account name or email address": the account id is
    // the only name an account has here.
    if (password == account) {
      return PolicyViolation("Password should not be identical to the account name");
    }
    return Status::Ok();
  }
  const int64_t minimum = policy->value("MinimumPasswordLength", kPolicyDefaultMinimumLength);
  if (length < minimum) {
    return PolicyViolation("Password should have a minimum length of " + std::to_string(minimum));
  }
  if (policy->value("RequireUppercaseCharacters", false) && !types.upper) {
    return PolicyViolation("Password should have at least one uppercase letter");
  }
  if (policy->value("RequireLowercaseCharacters", false) && !types.lower) {
    return PolicyViolation("Password should have at least one lowercase letter");
  }
  if (policy->value("RequireNumbers", false) && !types.number) {
    return PolicyViolation("Password should have at least one number");
  }
  if (policy->value("RequireSymbols", false) && !types.symbol) {
    return PolicyViolation("Password should have at least one symbol");
  }
  return Status::Ok();
}

// PasswordReusePrevention N: the new password may be none of the last N (the current
// one included).
Status CheckReuse(const std::optional<Json>& policy, const Json& profile,
                  std::string_view password) {
  if (!policy || !policy->contains("PasswordReusePrevention")) return Status::Ok();
  const auto remembered = static_cast<size_t>(std::clamp<int64_t>(
      (*policy)["PasswordReusePrevention"].get<int64_t>(), 0, kMaxRememberedPasswords));
  size_t checked = 0;
  auto used = [&](const Json& hash) {
    return hash.is_string() && crypto::VerifyPassword(password, hash.get<std::string>());
  };
  if (checked < remembered && profile.contains("PasswordHash")) {
    ++checked;
    if (used(profile["PasswordHash"])) {
      return PolicyViolation("Password should not be one of the last " +
                             std::to_string(remembered) + " passwords");
    }
  }
  for (const Json& hash : profile.value("PreviousHashes", Json::array())) {
    if (checked++ >= remembered) break;
    if (used(hash)) {
      return PolicyViolation("Password should not be one of the last " +
                             std::to_string(remembered) + " passwords");
    }
  }
  return Status::Ok();
}

// The profile with `hash` as its password and the old one remembered.
void SetPassword(Json& profile, std::string hash, int64_t now) {
  Json previous = Json::array();
  if (profile.contains("PasswordHash")) previous.push_back(profile["PasswordHash"]);
  for (const Json& h : profile.value("PreviousHashes", Json::array())) {
    if (previous.size() + 1 >= kMaxRememberedPasswords) break;
    previous.push_back(h);
  }
  profile["PasswordHash"] = std::move(hash);
  profile["PreviousHashes"] = std::move(previous);
  profile["PasswordLastChanged"] = now;
}

Json ProfileOutput(const Json& user) {
  const Json& profile = user["LoginProfile"];
  return {{"UserName", user["UserName"]},
          {"CreateDate", profile["CreateDate"]},
          {"PasswordResetRequired", profile.value("PasswordResetRequired", false)}};
}

// What a password change was checked against, to be found unchanged when it is written.
struct Snapshot {
  std::optional<Json> policy;
  std::optional<std::string> current_hash;  // nullopt: no login profile
};

std::optional<std::string> CurrentHash(const Json& user) {
  auto it = user.find("LoginProfile");
  if (it == user.end()) return std::nullopt;
  return it->value("PasswordHash", "");
}

// Re-reads the user and the policy in the write transaction; ConcurrentModification if
// either changed since `seen`.
Result<Json> Recheck(storage::Transaction& txn, std::string_view account, std::string_view name,
                     const Snapshot& seen) {
  ASSIGN_OR_RETURN(Json user, LoadEntity(txn, account, Kind::kUser, name));
  ASSIGN_OR_RETURN(std::optional<Json> policy, LoadPolicy(txn, account));
  if (CurrentHash(user) != seen.current_hash || policy != seen.policy) {
    return ConcurrentModification();
  }
  return user;
}

Status SaveUser(storage::Transaction& txn, std::string_view account, const Json& user) {
  return Save(txn, EntityKey(account, Kind::kUser, user["UserName"].get<std::string>()), user);
}

Json PolicyOutput(const Json& policy) {
  Json out = {
      {"MinimumPasswordLength", policy.value("MinimumPasswordLength", kPolicyDefaultMinimumLength)},
      {"RequireSymbols", policy.value("RequireSymbols", false)},
      {"RequireNumbers", policy.value("RequireNumbers", false)},
      {"RequireUppercaseCharacters", policy.value("RequireUppercaseCharacters", false)},
      {"RequireLowercaseCharacters", policy.value("RequireLowercaseCharacters", false)},
      {"AllowUsersToChangePassword", policy.value("AllowUsersToChangePassword", false)},
      {"ExpirePasswords", policy.value("MaxPasswordAge", int64_t{0}) > 0},
  };
  // Present only when they were set, as AWS answers.
  for (const char* member : {"MaxPasswordAge", "PasswordReusePrevention", "HardExpiry"}) {
    if (policy.contains(member)) out[member] = policy[member];
  }
  return out;
}

}  // namespace

Result<Json> CreateLoginProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(std::string name, TargetUser(ctx, input));
  auto password_it = input.find("Password");
  if (password_it == input.end() || !password_it->is_string()) {
    // Only an AssumeRoot session may omit it, and Bulwark has none.
    return Status(ErrorKind::kValidation,
                  "1 validation error detected: Value null at 'password' failed to satisfy "
                  "constraint: Member must not be null");
  }
  const std::string& password = password_it->get_ref<const std::string&>();
  Snapshot seen;
  {
    ASSIGN_OR_RETURN(auto read, BeginRead(ctx));
    ASSIGN_OR_RETURN(Json user, LoadEntity(*read, account, Kind::kUser, name));
    if (user.contains("LoginProfile")) {
      return EntityAlreadyExists("Login Profile for user " + name + " already exists.");
    }
    ASSIGN_OR_RETURN(seen.policy, LoadPolicy(*read, account));
    RETURN_IF_ERROR(CheckComplexity(seen.policy, password, account));
  }
  ASSIGN_OR_RETURN(std::string hash, crypto::HashPassword(password));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, Recheck(*txn, account, name, seen));
  const int64_t now = Now(ctx);
  Json profile = {{"CreateDate", now},
                  {"PasswordResetRequired", input.value("PasswordResetRequired", false)}};
  SetPassword(profile, std::move(hash), now);
  user["LoginProfile"] = std::move(profile);
  RETURN_IF_ERROR(SaveUser(*txn, account, user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json{{"LoginProfile", ProfileOutput(user)}};
}

Result<Json> GetLoginProfile(RequestContext& ctx, const Json& input) {
  ASSIGN_OR_RETURN(std::string name, TargetUser(ctx, input));
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, ctx.caller.account_id, Kind::kUser, name));
  if (!user.contains("LoginProfile")) return NoLoginProfile(name);
  return Json{{"LoginProfile", ProfileOutput(user)}};
}

Result<Json> UpdateLoginProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  const std::string name = input.at("UserName").get<std::string>();
  std::optional<std::string> hash;
  Snapshot seen;
  if (auto it = input.find("Password"); it != input.end() && it->is_string()) {
    const std::string& password = it->get_ref<const std::string&>();
    {
      ASSIGN_OR_RETURN(auto read, BeginRead(ctx));
      ASSIGN_OR_RETURN(Json user, LoadEntity(*read, account, Kind::kUser, name));
      if (!user.contains("LoginProfile")) return NoLoginProfile(name);
      seen.current_hash = CurrentHash(user);
      ASSIGN_OR_RETURN(seen.policy, LoadPolicy(*read, account));
      RETURN_IF_ERROR(CheckComplexity(seen.policy, password, account));
      RETURN_IF_ERROR(CheckReuse(seen.policy, user["LoginProfile"], password));
    }
    ASSIGN_OR_RETURN(hash, crypto::HashPassword(password));
  }
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  Json user;
  if (hash) {
    ASSIGN_OR_RETURN(user, Recheck(*txn, account, name, seen));
    SetPassword(user["LoginProfile"], std::move(*hash), Now(ctx));
  } else {
    ASSIGN_OR_RETURN(user, LoadEntity(*txn, account, Kind::kUser, name));
    if (!user.contains("LoginProfile")) return NoLoginProfile(name);
  }
  if (auto it = input.find("PasswordResetRequired"); it != input.end() && it->is_boolean()) {
    user["LoginProfile"]["PasswordResetRequired"] = *it;
  }
  RETURN_IF_ERROR(SaveUser(*txn, account, user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> DeleteLoginProfile(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  ASSIGN_OR_RETURN(std::string name, TargetUser(ctx, input));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, LoadEntity(*txn, account, Kind::kUser, name));
  if (!user.contains("LoginProfile")) return NoLoginProfile(name);
  user.erase("LoginProfile");
  RETURN_IF_ERROR(SaveUser(*txn, account, user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> ChangePassword(RequestContext& ctx, const Json& input) {
  const std::string& account = ctx.caller.account_id;
  // "This command can be called by IAM users only": the root user's password is not an
  // IAM login profile, and roles have none.
  if (ctx.caller.type != Principal::Type::kIAMUser) {
    return Status::Service("InvalidUserType", 400, "Only IAM users can change their own password.");
  }
  const std::string name = UserNameOfArn(ctx.caller.arn);
  const std::string& old_password = input.at("OldPassword").get_ref<const std::string&>();
  const std::string& new_password = input.at("NewPassword").get_ref<const std::string&>();
  Snapshot seen;
  {
    ASSIGN_OR_RETURN(auto read, BeginRead(ctx));
    ASSIGN_OR_RETURN(Json user, LoadEntity(*read, account, Kind::kUser, name));
    if (!user.contains("LoginProfile")) return NoLoginProfile(name);
    seen.current_hash = CurrentHash(user);
    if (!crypto::VerifyPassword(old_password, seen.current_hash.value_or(""))) {
      return Status::Service("InvalidUserType", 400, "The old password was incorrect.");
    }
    ASSIGN_OR_RETURN(seen.policy, LoadPolicy(*read, account));
    RETURN_IF_ERROR(CheckComplexity(seen.policy, new_password, account));
    RETURN_IF_ERROR(CheckReuse(seen.policy, user["LoginProfile"], new_password));
  }
  ASSIGN_OR_RETURN(std::string hash, crypto::HashPassword(new_password));
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  ASSIGN_OR_RETURN(Json user, Recheck(*txn, account, name, seen));
  Json& profile = user["LoginProfile"];
  SetPassword(profile, std::move(hash), Now(ctx));
  // The user has now chosen a password of their own.
  profile["PasswordResetRequired"] = false;
  RETURN_IF_ERROR(SaveUser(*txn, account, user));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> UpdateAccountPasswordPolicy(RequestContext& ctx, const Json& input) {
  // No partial updates: every member left out goes back to its default.
  Json policy = {
      {"MinimumPasswordLength", input.value("MinimumPasswordLength", kPolicyDefaultMinimumLength)},
      {"RequireSymbols", input.value("RequireSymbols", false)},
      {"RequireNumbers", input.value("RequireNumbers", false)},
      {"RequireUppercaseCharacters", input.value("RequireUppercaseCharacters", false)},
      {"RequireLowercaseCharacters", input.value("RequireLowercaseCharacters", false)},
      {"AllowUsersToChangePassword", input.value("AllowUsersToChangePassword", false)},
  };
  for (const char* member : {"MaxPasswordAge", "PasswordReusePrevention", "HardExpiry"}) {
    if (auto it = input.find(member); it != input.end() && !it->is_null()) policy[member] = *it;
  }
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  RETURN_IF_ERROR(Save(*txn, PasswordPolicyKey(ctx.caller.account_id), policy));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

Result<Json> GetAccountPasswordPolicy(RequestContext& ctx, const Json& /*input*/) {
  ASSIGN_OR_RETURN(auto txn, BeginRead(ctx));
  ASSIGN_OR_RETURN(std::optional<Json> policy, LoadPolicy(*txn, ctx.caller.account_id));
  if (!policy) {
    return NoSuchEntity("The Password Policy with domain name " + ctx.caller.account_id +
                        " cannot be found.");
  }
  return Json{{"PasswordPolicy", PolicyOutput(*policy)}};
}

Result<Json> DeleteAccountPasswordPolicy(RequestContext& ctx, const Json& /*input*/) {
  ASSIGN_OR_RETURN(auto txn, BeginWrite(ctx));
  const std::string key = PasswordPolicyKey(ctx.caller.account_id);
  ASSIGN_OR_RETURN(std::optional<Json> policy, Load(*txn, key));
  if (!policy) return NoSuchEntity("The account policy with name PasswordPolicy cannot be found.");
  RETURN_IF_ERROR(txn->Delete(key));
  RETURN_IF_ERROR(Commit(ctx, *txn));
  return Json::object();
}

}  // namespace bulwark::iam
