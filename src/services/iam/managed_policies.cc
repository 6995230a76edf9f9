#include "services/iam/managed_policies.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "crypto/crypto.h"

// The catalogue's bytes, from the .incbin in embedded_managed_policies.S (CMakeLists.txt).
extern "C" const char bulwark_managed_policies_begin[];
extern "C" const char bulwark_managed_policies_end[];

namespace bulwark::iam {
namespace {

// ordered_json keeps each document's members in the order AWS publishes them, so the
// text GetPolicyVersion returns reads like AWS's.
using json = nlohmann::ordered_json;

constexpr std::string_view kArnPrefix = "arn:aws:iam::aws:policy";

Status Bad(std::string message) {
  return Status(ErrorKind::kInternalFailure, "managed policy catalogue: " + std::move(message));
}

// A required string member, or "" with `ok` cleared.
std::string StringMember(const json& entry, const char* key, bool required, bool& ok) {
  auto it = entry.find(key);
  if (it == entry.end()) {
    if (required) ok = false;
    return {};
  }
  if (!it->is_string()) {
    ok = false;
    return {};
  }
  return it->get<std::string>();
}

struct Catalogue {
  std::vector<AwsManagedPolicy> policies;
  std::unordered_map<std::string_view, const AwsManagedPolicy*> by_arn;

  Catalogue() {
    Result<std::vector<AwsManagedPolicy>> parsed =
        ParseAwsManagedPolicies(EmbeddedManagedPoliciesJson());
    if (!parsed.ok()) {
      // The catalogue is fixed at build time and checked by the unit tests; a server
      // that cannot read it would silently lack AWS's policies, so stop instead.
      std::fprintf(stderr, "%s\n", parsed.status().message().c_str());
      std::abort();
    }
    policies = std::move(parsed).value();
    // Built after `policies` has its final storage: the views point into it.
    by_arn.reserve(policies.size());
    for (const AwsManagedPolicy& p : policies) by_arn.emplace(p.arn, &p);
  }
};

const Catalogue& GetCatalogue() {
  static const Catalogue catalogue;
  return catalogue;
}

}  // namespace

std::string_view EmbeddedManagedPoliciesJson() {
  return {bulwark_managed_policies_begin,
          static_cast<size_t>(bulwark_managed_policies_end - bulwark_managed_policies_begin)};
}

std::string PolicyIdForArn(std::string_view arn) {
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  crypto::Sha256Digest digest = crypto::Sha256(arn);
  std::string id = "ANPA";
  // 17 characters of 5 bits each, most significant bit first.
  for (int i = 0; i < 17; ++i) {
    int value = 0;
    for (int b = 0; b < 5; ++b) {
      int bit = i * 5 + b;
      value = (value << 1) | ((digest[bit / 8] >> (7 - bit % 8)) & 1);
    }
    id.push_back(kBase32[value]);
  }
  return id;
}

Result<std::vector<AwsManagedPolicy>> ParseAwsManagedPolicies(std::string_view json_text) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Bad("not valid JSON");
  if (!root.is_array()) return Bad("not a JSON array");

  std::vector<AwsManagedPolicy> out;
  out.reserve(root.size());
  std::unordered_map<std::string, size_t> seen_arns;
  for (const json& entry : root) {
    if (!entry.is_object()) return Bad("an entry is not an object");
    bool ok = true;
    AwsManagedPolicy p;
    p.name = StringMember(entry, "PolicyName", true, ok);
    p.path = StringMember(entry, "Path", true, ok);
    p.arn = StringMember(entry, "Arn", true, ok);
    p.default_version_id = StringMember(entry, "DefaultVersionId", true, ok);
    p.create_date = StringMember(entry, "CreateDate", true, ok);
    p.update_date = StringMember(entry, "UpdateDate", true, ok);
    p.description = StringMember(entry, "Description", false, ok);
    auto doc = entry.find("Document");
    if (!ok || doc == entry.end() || !doc->is_object()) {
      return Bad("entry " + std::to_string(out.size()) + " (" + p.name +
                 ") lacks a required member or has one of the wrong type");
    }
    if (p.name.empty() || p.path.empty() || p.path.front() != '/' || p.path.back() != '/') {
      return Bad(p.name + ": bad name or path");
    }
    if (p.arn != std::string(kArnPrefix) + p.path + p.name) {
      return Bad(p.name + ": ARN " + p.arn + " does not match its path and name");
    }
    if (!out.empty() && !(out.back().name < p.name)) {
      return Bad(p.name + ": entries are not sorted by name, or a name repeats");
    }
    if (!seen_arns.emplace(p.arn, out.size()).second) return Bad(p.arn + " appears twice");
    p.document_json = doc->dump();
    p.policy_id = PolicyIdForArn(p.arn);
    out.push_back(std::move(p));
  }
  return out;
}

const std::vector<AwsManagedPolicy>& AwsManagedPolicies() { return GetCatalogue().policies; }

const AwsManagedPolicy* FindAwsManagedPolicy(std::string_view arn) {
  const Catalogue& c = GetCatalogue();
  auto it = c.by_arn.find(arn);
  return it == c.by_arn.end() ? nullptr : it->second;
}

}  // namespace bulwark::iam
