// Secrets Manager: GetRandomPassword, from the CSPRNG, with every option of the API.
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "services/secretsmanager/common.h"
#include "services/secretsmanager/handlers.h"

namespace bulwark::secretsmanager {
namespace {

constexpr std::string_view kLower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

// A uniform index below n (n > 0), by rejection sampling.
size_t UniformBelow(size_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do {
    crypto::RandomBytes(&v, sizeof(v));
  } while (v >= limit);
  return static_cast<size_t>(v % n);
}

std::string Without(std::string_view chars, std::string_view excluded) {
  std::string out;
  for (char c : chars) {
    if (excluded.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

}  // namespace

Result<Json> GetRandomPassword(RequestContext& ctx, const Json& input) {
  (void)ctx;
  const int64_t length = input.value("PasswordLength", int64_t{32});
  const std::string excluded = input.value("ExcludeCharacters", "");
  std::vector<std::string> classes;
  auto include = [&](std::string_view chars, const char* flag) {
    if (Flag(input, flag)) return;
    std::string kept = Without(chars, excluded);
    if (!kept.empty()) classes.push_back(std::move(kept));
  };
  include(kLower, "ExcludeLowercase");
  include(kUpper, "ExcludeUppercase");
  include(kDigits, "ExcludeNumbers");
  include(kPunctuation, "ExcludePunctuation");
  if (Flag(input, "IncludeSpace") && excluded.find(' ') == std::string::npos) {
    classes.push_back(" ");
  }
  if (classes.empty()) {
    return InvalidParameter("The password can't be empty: every character type is excluded.");
  }
  const bool require_each = input.value("RequireEachIncludedType", true);
  if (require_each && static_cast<size_t>(length) < classes.size()) {
    return InvalidParameter("Password length is too short based on the required types.");
  }
  std::string alphabet;
  for (const std::string& c : classes) alphabet += c;
  // One character of each required type, the rest from every type, then shuffled
  // (Fisher-Yates), so the required ones are anywhere.
  std::string password;
  password.reserve(static_cast<size_t>(length));
  if (require_each) {
    for (const std::string& c : classes) password.push_back(c[UniformBelow(c.size())]);
  }
  while (password.size() < static_cast<size_t>(length)) {
    password.push_back(alphabet[UniformBelow(alphabet.size())]);
  }
  for (size_t i = password.size() - 1; i > 0; --i)
    std::swap(password[i], password[UniformBelow(i + 1)]);
  Json out = {{"RandomPassword", password}};
  SecureWipe(password.data(), password.size());
  return out;
}

}  // namespace bulwark::secretsmanager
