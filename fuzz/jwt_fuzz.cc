// Fuzzes the OpenID Connect token path of AssumeRoleWithWebIdentity: JWKS parsing, JWT
// parsing, signature verification and the claim checks. Input: a JWKS document, a line
// "\n---\n", then a token. Whatever the bytes, nothing may crash, hang or leak, and
// nothing unsigned or signed with "none"/HMAC may verify.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSeparator = "\n---\n";
  size_t sep = input.find(kSeparator);
  std::string_view jwks = sep == std::string_view::npos ? std::string_view() : input.substr(0, sep);
  std::string_view token =
      sep == std::string_view::npos ? input : input.substr(sep + kSeparator.size());

  auto keys = bulwark::jwt::ParseJwks(jwks);
  auto parsed = bulwark::jwt::Parse(token);
  if (!parsed.ok()) return 0;
  // A token that parses names an asymmetric algorithm.
  if (parsed->alg == "none" || parsed->alg.starts_with("HS")) __builtin_trap();
  if (keys.ok()) (void)bulwark::jwt::VerifySignature(*parsed, *keys);
  bulwark::jwt::Expectations expect;
  expect.issuer = "https://issuer.example.com";
  expect.audiences = {"client-1"};
  expect.now = 1'750'000'000;
  (void)bulwark::jwt::CheckClaims(*parsed, expect);
  return 0;
}
