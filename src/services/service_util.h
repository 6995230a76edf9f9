// Small pieces several services' handlers share: offset NextTokens for listings built in
// memory, tags merged by key, and time-ordered indexes of work due per named resource.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/service.h"
#include "storage/kv.h"

namespace bulwark {

// A NextToken that resumes a listing at `index` (base64 of the decimal index), and the
// index of one, or nullopt when it is not a token of a listing of `size` items.
std::string OffsetToken(size_t index);
std::optional<size_t> OffsetOf(std::string_view token, size_t size);

// The raw bytes of a blob member of the decoded input ("" when absent).
std::string BlobOf(const Json& input, std::string_view member);

// `tags` ([{Key, Value}]) put into `existing`: a key already there takes the new value
// (keys compare exactly), others are appended.
Json UpsertTags(Json existing, const Json& tags);

// Work due at a time for one resource of an account and Region:
// "<prefix><20-digit time>/ACCOUNT/REGION/NAME", in time order under the prefix.
std::string DueKey(std::string_view prefix, int64_t when, std::string_view account,
                   std::string_view region, std::string_view name);
struct DueEntry {
  std::string account;
  std::string region;
  std::string name;
};
// Up to `batch` entries of `prefix` due at `now`, oldest first, deleted from the index in
// `txn` (a malformed entry is deleted and skipped).
Result<std::vector<DueEntry>> TakeDue(storage::Transaction& txn, std::string_view prefix,
                                      int64_t now, size_t batch);

}  // namespace bulwark
