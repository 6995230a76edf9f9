// The catalogue of AWS managed policies (arn:aws:iam::aws:policy/...): AWS's published
// documents and metadata, built by tools/import_managed_policies.py into
// catalog/iam/managed-policies.json and embedded in the binary (see CMakeLists.txt).
//
// The catalogue is read-only and the same on every server: the IAM handlers serve
// GetPolicy / GetPolicyVersion / ListPolicies (Scope=AWS) from it and attach its
// documents by ARN; nothing about AWS managed policies is stored per account except
// attachments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bulwark::iam {

struct AwsManagedPolicy {
  std::string name;                // "AdministratorAccess"
  std::string path;                // "/", "/service-role/", "/aws-service-role/", ...
  std::string arn;                 // "arn:aws:iam::aws:policy" + path + name
  std::string policy_id;           // "ANPA" + 17 chars of [A-Z2-7]; see PolicyIdForArn
  std::string default_version_id;  // "v4"
  std::string create_date;         // ISO 8601 UTC, "2015-02-06T18:40:39Z"
  std::string update_date;         // creation time of the default version
  std::string description;         // empty when AWS's description is not known
  std::string document_json;       // the default version's document, compact JSON text
};

// Every AWS managed policy, sorted by name. Parsed from the embedded catalogue on first
// use (thread-safe); a catalogue that does not parse is a build defect and aborts.
const std::vector<AwsManagedPolicy>& AwsManagedPolicies();

// The policy with exactly this ARN (ARNs are case-sensitive), or nullptr.
const AwsManagedPolicy* FindAwsManagedPolicy(std::string_view arn);

// The embedded catalogue's JSON text, as built (for tests and diagnostics).
std::string_view EmbeddedManagedPoliciesJson();

// Parses a catalogue (the JSON array the import tool writes). Exposed for tests.
Result<std::vector<AwsManagedPolicy>> ParseAwsManagedPolicies(std::string_view json_text);

// AWS does not publish its managed policies' ids, so each server would otherwise invent
// its own. Derived from the ARN instead: "ANPA" (IAM's prefix for managed policy ids)
// followed by the first 85 bits of SHA-256(arn) in RFC 4648 base32 letters — stable
// across servers and releases as long as the ARN stays the same.
std::string PolicyIdForArn(std::string_view arn);

}  // namespace bulwark::iam
