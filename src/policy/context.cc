#include "policy/context.h"

namespace bulwark::policy {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The n-th (0-based) ':'-separated field of an ARN, the last one unsplit.
std::string_view ArnField(std::string_view arn, int n) {
  for (int i = 0; i < n; ++i) {
    size_t colon = arn.find(':');
    if (colon == std::string_view::npos) return {};
    arn.remove_prefix(colon + 1);
  }
  if (n < 5) arn = arn.substr(0, arn.find(':'));
  return arn;
}

}  // namespace

PrincipalKind ClassifyPrincipal(std::string_view p) {
  if (p.empty()) return PrincipalKind::kAnonymous;
  if (!p.starts_with("arn:")) {
    return p.find('.') != std::string_view::npos ? PrincipalKind::kService : PrincipalKind::kOther;
  }
  std::string_view service = ArnField(p, 2);
  std::string_view resource = ArnField(p, 5);
  if (service == "iam") {
    if (resource == "root") return PrincipalKind::kAccountRoot;
    if (resource.starts_with("user/")) return PrincipalKind::kIamUser;
    if (resource.starts_with("role/")) return PrincipalKind::kIamRole;
  } else if (service == "sts") {
    if (resource.starts_with("assumed-role/")) return PrincipalKind::kAssumedRole;
    if (resource.starts_with("federated-user/")) return PrincipalKind::kFederatedUser;
  }
  return PrincipalKind::kOther;
}

void RequestContext::SetPrincipal(std::string principal_arn) {
  principal = std::move(principal_arn);
  principal_kind = ClassifyPrincipal(principal);
  principal_account.clear();
  if (principal.starts_with("arn:")) principal_account = std::string(ArnField(principal, 4));
}

void RequestContext::SetKey(std::string_view name, std::string value) {
  ContextValue& v = keys[Lower(name)];
  v.values.clear();
  v.values.push_back(std::move(value));
  v.multi_valued = false;
}

void RequestContext::SetMultiValuedKey(std::string_view name, std::vector<std::string> values) {
  ContextValue& v = keys[Lower(name)];
  v.values = std::move(values);
  v.multi_valued = true;
}

const ContextValue* RequestContext::Find(std::string_view lowercase_name) const {
  auto it = keys.find(lowercase_name);
  return it == keys.end() ? nullptr : &it->second;
}

}  // namespace bulwark::policy
