// Fuzzes totp::Base32Decode and Base32Encode with a round-trip property: whatever the
// decoder accepts re-encodes to its canonical form (upper case, '=' padding to a
// multiple of 8) and decodes again to the same bytes; and any bytes encode to text that
// decodes back to them, with or without padding, in either case. Must never crash,
// hang, read out of bounds or break the property (which traps).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/totp.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// What the decoder's input should re-encode to: upper case, padding recomputed.
std::string Canonical(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '=') out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  while (out.size() % 8 != 0) out.push_back('=');
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  // The input as Base32 text.
  if (std::optional<bulwark::SecretBytes> decoded = bulwark::totp::Base32Decode(in)) {
    std::string encoded = bulwark::totp::Base32Encode(*decoded);
    Check(encoded == Canonical(in));
    std::optional<bulwark::SecretBytes> again = bulwark::totp::Base32Decode(encoded);
    Check(again.has_value() && again->view() == decoded->view());
  }

  // The input as bytes to encode.
  std::string encoded = bulwark::totp::Base32Encode(in);
  Check(encoded.size() % 8 == 0);
  std::optional<bulwark::SecretBytes> back = bulwark::totp::Base32Decode(encoded);
  Check(back.has_value() && back->view() == in);
  std::string unpadded = encoded.substr(0, encoded.find('='));
  for (char& c : unpadded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  back = bulwark::totp::Base32Decode(unpadded);
  Check(back.has_value() && back->view() == in);
  return 0;
}
