#include "server/audit.h"

#include <algorithm>
#include <array>

#include "auth/ids.h"
#include "core/json_text.h"
#include "protocol/protocol.h"
#include "services/cloudtrail/event_log.h"

namespace bulwark::server {
namespace {

using protocol::Shape;
using protocol::ShapeType;

constexpr std::string_view kHidden = "\"HIDDEN_DUE_TO_SECURITY_REASONS\"";

// Members hidden whatever their shape says: credentials, one-time codes and secret
// values the models do not all mark sensitive (STS session tokens, MFA codes).
bool IsSecretMemberName(std::string_view name) {
  static constexpr std::array<std::string_view, 17> kNames = {"AuthenticationCode1",
                                                              "AuthenticationCode2",
                                                              "NewPassword",
                                                              "OldPassword",
                                                              "Password",
                                                              "Plaintext",
                                                              "PrivateKey",
                                                              "PrivateKeyPlaintext",
                                                              "RandomPassword",
                                                              "SAMLAssertion",
                                                              "SecretAccessKey",
                                                              "SecretBinary",
                                                              "SecretString",
                                                              "SessionToken",
                                                              "SharedSecret",
                                                              "TokenCode",
                                                              "WebIdentityToken"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

void AppendLowerCamel(std::string* out, std::string_view name) {
  out->push_back('"');
  size_t start = out->size();
  AppendJsonString(*out, name);  // quotes it: drop its quotes
  out->erase(start, 1);
  out->pop_back();
  if (out->size() > start && (*out)[start] >= 'A' && (*out)[start] <= 'Z') {
    (*out)[start] = static_cast<char>((*out)[start] - 'A' + 'a');
  }
  out->push_back('"');
}

void AppendScalar(const Json& v, std::string* out) {
  switch (v.type()) {
    case Json::value_t::string:
      AppendJsonString(*out, v.get_ref<const std::string&>());
      return;
    case Json::value_t::boolean:
      out->append(v.get<bool>() ? "true" : "false");
      return;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      out->append(v.dump());
      return;
    default:
      out->append("null");
  }
}

// Any JSON value without a model (documents): keys as they are, binaries left out.
void AppendPlain(const Json& v, std::string* out) {
  if (v.is_object()) {
    out->push_back('{');
    bool first = true;
    for (const auto& [key, item] : v.items()) {
      if (item.is_binary()) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(*out, key);
      out->push_back(':');
      AppendPlain(item, out);
    }
    out->push_back('}');
  } else if (v.is_array()) {
    out->push_back('[');
    bool first = true;
    for (const Json& item : v) {
      if (item.is_binary()) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendPlain(item, out);
    }
    out->push_back(']');
  } else {
    AppendScalar(v, out);
  }
}

bool Omitted(const Shape* shape, const Json& v) {
  return v.is_binary() || (shape && shape->type == ShapeType::kBlob);
}

void AppendValue(const Shape* shape, const Json& v, std::string* out) {
  if (shape && shape->sensitive) {
    out->append(kHidden);
    return;
  }
  if (!shape || shape->document) {
    AppendPlain(v, out);
    return;
  }
  switch (shape->type) {
    case ShapeType::kStructure: {
      if (!v.is_object()) break;
      out->push_back('{');
      bool first = true;
      for (const auto& [name, item] : v.items()) {
        const protocol::Member* m = shape->FindMember(name);
        const Shape* member_shape = m ? m->shape : nullptr;
        if (Omitted(member_shape, item)) continue;
        if (!first) out->push_back(',');
        first = false;
        AppendLowerCamel(out, name);
        out->push_back(':');
        if (IsSecretMemberName(name)) {
          out->append(kHidden);
        } else {
          AppendValue(member_shape, item, out);
        }
      }
      out->push_back('}');
      return;
    }
    case ShapeType::kList: {
      if (!v.is_array()) break;
      out->push_back('[');
      bool first = true;
      for (const Json& item : v) {
        if (Omitted(shape->member, item)) continue;
        if (!first) out->push_back(',');
        first = false;
        AppendValue(shape->member, item, out);
      }
      out->push_back(']');
      return;
    }
    case ShapeType::kMap: {
      if (!v.is_object()) break;
      out->push_back('{');
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (Omitted(shape->value, item)) continue;
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(*out, key);
        out->push_back(':');
        AppendValue(shape->value, item, out);
      }
      out->push_back('}');
      return;
    }
    case ShapeType::kTimestamp:
      if (v.is_number()) {
        const double t = v.get<double>();
        out->push_back('"');
        AppendIsoTime(*out, static_cast<int64_t>(t));
        out->push_back('"');
        return;
      }
      break;
    default:
      break;
  }
  AppendPlain(v, out);
}

// The resource type CloudTrail names for an ARN, or empty for the resources it does not
// list.
std::string_view ResourceTypeOf(std::string_view arn) {
  struct Row {
    std::string_view service, prefix, type;
  };
  static constexpr std::array<Row, 15> kRows = {{
      {"kms", "key/", "AWS::KMS::Key"},
      {"kms", "alias/", "AWS::KMS::Alias"},
      {"secretsmanager", "secret:", "AWS::SecretsManager::Secret"},
      {"ssm", "parameter/", "AWS::SSM::Parameter"},
      {"iam", "user/", "AWS::IAM::User"},
      {"iam", "role/", "AWS::IAM::Role"},
      {"iam", "group/", "AWS::IAM::Group"},
      {"iam", "policy/", "AWS::IAM::Policy"},
      {"iam", "instance-profile/", "AWS::IAM::InstanceProfile"},
      {"iam", "saml-provider/", "AWS::IAM::SAMLProvider"},
      {"iam", "oidc-provider/", "AWS::IAM::OIDCProvider"},
      {"iam", "mfa/", "AWS::IAM::MFADevice"},
      {"cloudtrail", "trail/", "AWS::CloudTrail::Trail"},
      {"organizations", "account/", "AWS::Organizations::Account"},
      {"acm-pca", "certificate-authority/", "AWS::ACMPCA::CertificateAuthority"},
  }};
  // arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE
  size_t c1 = arn.find(':', 4), c2 = c1 == std::string_view::npos ? c1 : arn.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return {};
  std::string_view service = arn.substr(c1 + 1, c2 - c1 - 1);
  size_t c3 = arn.find(':', c2 + 1);
  size_t c4 = c3 == std::string_view::npos ? c3 : arn.find(':', c3 + 1);
  if (c4 == std::string_view::npos) return {};
  std::string_view resource = arn.substr(c4 + 1);
  for (const Row& row : kRows) {
    if (row.service == service && resource.starts_with(row.prefix) &&
        resource.size() > row.prefix.size()) {
      return row.type;
    }
  }
  return {};
}

std::string_view LastPathPart(std::string_view arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string_view::npos ? arn : arn.substr(slash + 1);
}

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->push_back('"');
  out->append(name);
  out->append("\":");
  AppendJsonString(*out, value);
}

void AppendSessionAttributes(const SessionInfo& s, std::string* out) {
  out->append("\"attributes\":{\"creationDate\":\"");
  AppendIsoTime(*out, s.issued);
  out->append("\",\"mfaAuthenticated\":\"");
  out->append(s.mfa_authenticated ? "true" : "false");
  out->append("\"}");
  if (!s.source_identity.empty()) {
    out->push_back(',');
    AppendField(out, "sourceIdentity", s.source_identity);
  }
}

// The userIdentity element for the caller (docs: CloudTrail userIdentity element).
void AppendUserIdentity(const RequestContext& ctx, const AuditFacts& facts, std::string* out) {
  if (!facts.unsigned_identity.empty()) {
    out->append(facts.unsigned_identity);
    return;
  }
  const Principal& p = ctx.caller;
  if (p.account_id.empty()) {
    out->append("{\"type\":\"Unknown\"");
    if (!facts.access_key_id.empty()) {
      out->push_back(',');
      AppendField(out, "accessKeyId", facts.access_key_id);
    }
    out->push_back('}');
    return;
  }
  static constexpr std::string_view kTypes[] = {"Root", "IAMUser", "AssumedRole", "FederatedUser"};
  out->push_back('{');
  AppendField(out, "type", kTypes[static_cast<int>(p.type)]);
  out->push_back(',');
  AppendField(out, "principalId", p.user_id);
  out->push_back(',');
  AppendField(out, "arn", p.arn);
  out->push_back(',');
  AppendField(out, "accountId", p.account_id);
  if (!p.access_key_id.empty()) {
    out->push_back(',');
    AppendField(out, "accessKeyId", p.access_key_id);
  }
  if (p.type == Principal::Type::kIAMUser) {
    out->push_back(',');
    AppendField(out, "userName", LastPathPart(p.arn));
  }
  if (p.temporary()) {
    const SessionInfo& s = p.session;
    out->append(",\"sessionContext\":{");
    if (p.type == Principal::Type::kAssumedRole) {
      const size_t colon = p.user_id.find(':');
      out->append("\"sessionIssuer\":{\"type\":\"Role\",");
      AppendField(out, "principalId", p.user_id.substr(0, colon));
      out->push_back(',');
      AppendField(out, "arn", s.role_arn);
      out->push_back(',');
      AppendField(out, "accountId", p.account_id);
      out->push_back(',');
      AppendField(out, "userName", LastPathPart(s.role_arn));
      out->append("},\"webIdFederationData\":{},");
    } else if (p.type == Principal::Type::kFederatedUser && !s.federated_by.empty()) {
      const bool by_root = s.federated_by.ends_with(":root");
      out->append("\"sessionIssuer\":{");
      AppendField(out, "type", by_root ? "Root" : "IAMUser");
      out->push_back(',');
      AppendField(out, "arn", s.federated_by);
      out->push_back(',');
      AppendField(out, "accountId", p.account_id);
      if (!by_root) {
        out->push_back(',');
        AppendField(out, "userName", LastPathPart(s.federated_by));
      }
      out->append("},");
    }
    AppendSessionAttributes(s, out);
    out->push_back('}');
  }
  out->push_back('}');
}

// The name event history's Username attribute matches.
std::string UsernameOf(const Principal& p) {
  switch (p.type) {
    case Principal::Type::kRoot:
      return p.account_id.empty() ? std::string() : "root";
    case Principal::Type::kIAMUser:
      return std::string(LastPathPart(p.arn));
    case Principal::Type::kAssumedRole:
      return p.session.session_name;
    case Principal::Type::kFederatedUser:
      return std::string(LastPathPart(p.arn));
  }
  return {};
}

}  // namespace

std::string_view AccountOfArn(std::string_view arn) {
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = arn.find(':', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  size_t end = arn.find(':', pos);
  if (end == std::string_view::npos) return {};
  return arn.substr(pos, end - pos);
}

std::string UnsignedCallerIdentity(std::string_view operation, const Json& output) {
  auto text = [&](const char* name) { return output.value(name, std::string()); };
  std::string out;
  if (operation == "AssumeRoleWithWebIdentity") {
    const std::string subject = text("SubjectFromWebIdentityToken");
    const std::string provider = text("Provider");
    out.append("{\"type\":\"WebIdentityUser\",");
    AppendField(&out, "principalId", provider + ":" + text("Audience") + ":" + subject);
    out.push_back(',');
    AppendField(&out, "userName", subject);
    out.push_back(',');
    AppendField(&out, "identityProvider", provider);
    out.push_back('}');
  } else if (operation == "AssumeRoleWithSAML") {
    const std::string subject = text("Subject");
    const std::string qualifier = text("NameQualifier");
    out.append("{\"type\":\"SAMLUser\",");
    AppendField(&out, "principalId", qualifier + ":" + subject);
    out.push_back(',');
    AppendField(&out, "userName", subject);
    out.push_back(',');
    AppendField(&out, "identityProvider", qualifier);
    out.push_back('}');
  }
  return out;
}

void AppendAuditValue(const protocol::Shape* shape, const Json& value, std::string* out) {
  const size_t start = out->size();
  AppendValue(shape, value, out);
  if (out->size() - start > kMaxAuditValueBytes) {
    out->resize(start);
    out->append("null");
  }
}

Status Auditor::Record(const RequestContext& ctx, const AuditFacts& facts, int64_t now_ms,
                       std::function<void(const Status&)> durable) {
  if (!log_) return Status::Ok();
  const std::string_view region = ctx.region.empty() ? std::string_view("us-east-1") : ctx.region;
  const bool read_only = facts.known_operation && !facts.mutates;
  const std::string_view own_account =
      facts.account.empty() ? std::string_view(ctx.caller.account_id) : facts.account;

  // The resources the request named, each once (ARN and CloudTrail type), and the other
  // accounts they belong to.
  struct Named {
    std::string_view type, arn, account;
  };
  std::vector<Named> resources;
  std::vector<std::string_view> other_accounts;
  for (const std::string& arn : ctx.resource_arns) {
    std::string_view type = ResourceTypeOf(arn);
    if (type.empty()) continue;
    if (std::any_of(resources.begin(), resources.end(),
                    [&](const Named& r) { return r.arn == arn; })) {
      continue;
    }
    std::string_view account = AccountOfArn(arn);
    resources.push_back({type, arn, account});
    if (ids::IsAccountId(account) && account != ctx.caller.account_id &&
        std::find(other_accounts.begin(), other_accounts.end(), account) == other_accounts.end()) {
      other_accounts.push_back(account);
    }
  }
  const std::string shared_event_id = other_accounts.empty() ? std::string() : ids::NewUuid();
  const std::string username = facts.unsigned_identity.empty() ? UsernameOf(ctx.caller) : "";
  const std::string_view access_key_id = ctx.caller.access_key_id.empty()
                                             ? std::string_view(facts.access_key_id)
                                             : std::string_view(ctx.caller.access_key_id);

  // One account's copy of the record, after its userIdentity element.
  auto append_record = [&](std::string* r, std::string_view account, std::string_view user_identity,
                           std::string_view event_id) {
    r->append("{\"eventVersion\":\"1.11\",\"userIdentity\":");
    r->append(user_identity);
    r->append(",\"eventTime\":\"");
    AppendIsoTime(*r, now_ms / 1000);
    r->append("\",");
    AppendField(r, "eventSource", facts.event_source);
    r->push_back(',');
    AppendField(r, "eventName", ctx.operation);
    r->push_back(',');
    AppendField(r, "awsRegion", region);
    r->push_back(',');
    AppendField(r, "sourceIPAddress", ctx.source_ip);
    r->push_back(',');
    AppendField(r, "userAgent", ctx.user_agent);
    if (!facts.error_code.empty()) {
      r->push_back(',');
      AppendField(r, "errorCode", facts.error_code);
      r->push_back(',');
      AppendField(r, "errorMessage", facts.error_message);
    }
    r->append(",\"requestParameters\":");
    r->append(facts.request_parameters.empty() ? "null" : facts.request_parameters);
    r->append(",\"responseElements\":");
    r->append(facts.response_elements.empty() ? "null" : facts.response_elements);
    r->push_back(',');
    AppendField(r, "requestID", ctx.request_id);
    r->push_back(',');
    AppendField(r, "eventID", event_id);
    r->append(read_only ? ",\"readOnly\":true" : ",\"readOnly\":false");
    if (!resources.empty()) {
      r->append(",\"resources\":[");
      for (size_t i = 0; i < resources.size(); ++i) {
        if (i > 0) r->push_back(',');
        r->push_back('{');
        AppendField(r, "accountId", resources[i].account);
        r->push_back(',');
        AppendField(r, "type", resources[i].type);
        r->push_back(',');
        AppendField(r, "ARN", resources[i].arn);
        r->push_back('}');
      }
      r->push_back(']');
    }
    r->append(",\"eventType\":\"AwsApiCall\",\"managementEvent\":true");
    if (!account.empty()) {
      r->push_back(',');
      AppendField(r, "recipientAccountId", account);
    }
    if (!shared_event_id.empty()) {
      r->push_back(',');
      AppendField(r, "sharedEventID", shared_event_id);
    }
    r->append(",\"eventCategory\":\"Management\"}");
  };

  // The journal line: its index, then the record, made in buffers this thread keeps.
  thread_local std::string identity, index_resources, record, line;
  index_resources.clear();
  for (size_t i = 0; i < resources.size(); ++i) {
    if (i > 0) index_resources.push_back('\x1e');
    index_resources.append(resources[i].type).push_back('\x1f');
    index_resources.append(resources[i].arn);
  }
  auto append = [&](std::string_view account, std::string_view user_identity,
                    bool must_sync) -> Status {
    const std::string event_id = ids::NewUuid();
    record.clear();
    append_record(&record, account, user_identity, event_id);
    cloudtrail::EventView view;
    view.time_ms = now_ms;
    view.account = account;
    view.region = region;
    view.event_id = event_id;
    view.event_name = ctx.operation;
    view.event_source = facts.event_source;
    view.username = username;
    view.access_key_id = access_key_id;
    view.read_only = read_only;
    view.resources = index_resources;
    view.record = record;
    line.clear();
    cloudtrail::AppendEventLine(view, &line);
    Status st;
    if (must_sync && durable) {
      log_->AppendLineThen(line, std::move(durable));
    } else {
      st = log_->AppendLine(line, must_sync);
    }
    for (std::string* buffer : {&record, &line}) {
      if (buffer->capacity() > 256 * 1024) *buffer = std::string();
    }
    return st;
  };

  // The owners of the other resources first: the caller's copy is the one whose
  // failure fails the call, and it is written last so that the batch that makes it
  // durable makes theirs durable too.
  for (std::string_view account : other_accounts) {
    identity = "{\"type\":\"AWSAccount\",";
    AppendField(&identity, "principalId", ctx.caller.user_id);
    identity.push_back(',');
    AppendField(&identity, "accountId", ctx.caller.account_id);
    identity.push_back('}');
    (void)append(account, identity, /*must_sync=*/false);
  }
  identity.clear();
  AppendUserIdentity(ctx, facts, &identity);
  return append(own_account, identity, /*must_sync=*/facts.mutates);
}

}  // namespace bulwark::server
