// Fuzzes the X.509 parsers (crypto/x509.h): ParseCsr, ParseCertificate and
// SplitCertificateChain on arbitrary text, with properties: a chain's certificates each
// split again to themselves, and parse alone or are refused as invalid (a key of a kind
// Bulwark does not issue for); a parsed certificate's chain check against itself never
// crashes. Must never crash, hang, read out of bounds or break a property
// (which traps).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/x509.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)bulwark::crypto::ParseCsr(text);
  auto cert = bulwark::crypto::ParseCertificate(text);
  auto chain = bulwark::crypto::SplitCertificateChain(text);
  if (chain.ok()) {
    Check(!chain->empty());
    for (const std::string& pem : *chain) {
      auto one = bulwark::crypto::ParseCertificate(pem);
      Check(one.ok() || one.status().kind() == bulwark::ErrorKind::kValidation);
      auto again = bulwark::crypto::SplitCertificateChain(pem);
      Check(again.ok() && again->size() == 1 && (*again)[0] == pem);
    }
  }
  if (cert.ok()) {
    Check(chain.ok() && chain->size() == 1);
    (void)bulwark::crypto::VerifyCertificateChain(text, "", text, cert->not_before);
  }
  return 0;
}
