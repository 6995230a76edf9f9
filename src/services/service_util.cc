#include "services/service_util.h"

#include <algorithm>
#include <cstdlib>

#include "crypto/crypto.h"

namespace bulwark {

std::string OffsetToken(size_t index) { return crypto::Base64Encode(std::to_string(index)); }

std::optional<size_t> OffsetOf(std::string_view token, size_t size) {
  std::optional<std::string> decoded = crypto::Base64Decode(token);
  if (!decoded || decoded->empty() || decoded->size() > 20) return std::nullopt;
  if (!std::all_of(decoded->begin(), decoded->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const unsigned long long v = std::strtoull(decoded->c_str(), nullptr, 10);
  if (v > size) return std::nullopt;
  return static_cast<size_t>(v);
}

Json UpsertTags(Json existing, const Json& tags) {
  if (!existing.is_array()) existing = Json::array();
  for (const Json& tag : tags) {
    const std::string key = tag.value("Key", "");
    Json entry = {{"Key", key}, {"Value", tag.value("Value", "")}};
    auto same = std::find_if(existing.begin(), existing.end(),
                             [&](const Json& t) { return t.value("Key", "") == key; });
    if (same != existing.end()) {
      *same = std::move(entry);
    } else {
      existing.push_back(std::move(entry));
    }
  }
  return existing;
}

}  // namespace bulwark
