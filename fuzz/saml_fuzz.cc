// Fuzzes the SAML path of CreateSAMLProvider and AssumeRoleWithSAML: metadata parsing,
// and response parsing, signature verification and the assertion checks. Input: a
// metadata document, a line "\n---\n", then a response (XML). Whatever the bytes,
// nothing may crash, hang or leak, and what verifies comes from the expected issuer.
// The seed corpus holds a metadata document with a response its key signed (valid at
// the fixed time below), so that the fuzzer also explores what follows verification.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/saml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSeparator = "\n---\n";
  size_t sep = input.find(kSeparator);
  std::string_view metadata =
      sep == std::string_view::npos ? std::string_view() : input.substr(0, sep);
  std::string_view response =
      sep == std::string_view::npos ? input : input.substr(sep + kSeparator.size());

  bulwark::saml::Expectations expect;
  expect.issuer = "https://idp.example.com/saml";
  expect.now = 1'704'164'645;
  expect.provider_uuid = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  if (auto parsed = bulwark::saml::ParseMetadata(metadata); parsed.ok()) {
    expect.issuer = parsed->entity_id;
    expect.certificates = parsed->signing_certificates;
  }
  auto verified = bulwark::saml::VerifyResponseXml(response, expect);
  if (verified.ok() && (verified->issuer != expect.issuer || expect.certificates.empty())) {
    __builtin_trap();
  }
  (void)bulwark::saml::VerifyResponse(response, expect);
  return 0;
}
