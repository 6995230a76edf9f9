#include "services/service_util.h"

#include <algorithm>
#include <cstdio>
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

std::string BlobOf(const Json& input, std::string_view member) {
  auto it = input.find(member);
  if (it == input.end()) return std::string();
  if (it->is_binary()) return std::string(it->get_binary().begin(), it->get_binary().end());
  if (it->is_string()) return it->get<std::string>();
  return std::string();
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

std::string DueKey(std::string_view prefix, int64_t when, std::string_view account,
                   std::string_view region, std::string_view name) {
  char stamp[24];
  std::snprintf(stamp, sizeof(stamp), "%020lld", static_cast<long long>(when));
  std::string key(prefix);
  key.append(stamp).push_back('/');
  key.append(account).push_back('/');
  key.append(region).push_back('/');
  key.append(name);
  return key;
}

Result<std::vector<DueEntry>> TakeDue(storage::Transaction& txn, std::string_view prefix,
                                      int64_t now, size_t batch) {
  const std::string bound = DueKey("", now, "", "", "").substr(0, 20);
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, txn.Scan(prefix, {}, batch));
  std::vector<DueEntry> out;
  for (const storage::KeyValue& row : rows) {
    const std::string_view rest = std::string_view(row.key).substr(prefix.size());
    if (rest.substr(0, 20) > bound) break;  // not due yet, nor anything after it
    RETURN_IF_ERROR(txn.Delete(row.key));
    // <time>/ACCOUNT/REGION/NAME
    const std::string_view path = rest.size() > 21 ? rest.substr(21) : std::string_view();
    const size_t a = path.find('/');
    const size_t r = a == std::string_view::npos ? a : path.find('/', a + 1);
    if (r == std::string_view::npos || r + 1 == path.size()) continue;
    out.push_back(DueEntry{std::string(path.substr(0, a)),
                           std::string(path.substr(a + 1, r - a - 1)),
                           std::string(path.substr(r + 1))});
  }
  return out;
}

}  // namespace bulwark
