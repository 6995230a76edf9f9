// Small pieces several services' handlers share: offset NextTokens for listings built in
// memory, and tags merged by key.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "services/service.h"

namespace bulwark {

// A NextToken that resumes a listing at `index` (base64 of the decimal index), and the
// index of one, or nullopt when it is not a token of a listing of `size` items.
std::string OffsetToken(size_t index);
std::optional<size_t> OffsetOf(std::string_view token, size_t size);

// `tags` ([{Key, Value}]) put into `existing`: a key already there takes the new value
// (keys compare exactly), others are appended.
Json UpsertTags(Json existing, const Json& tags);

}  // namespace bulwark
