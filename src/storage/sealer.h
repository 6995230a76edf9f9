// Seals secret-bearing values with the root key: AES-256-GCM with the storage key
// (path) as associated data, so a sealed value moved to another path fails to open.
#pragma once

#include <string>
#include <string_view>

#include "core/secret.h"
#include "core/status.h"

namespace bulwark::storage {

class Sealer {
 public:
  explicit Sealer(SecretBytes root_key);  // 32 bytes
  Result<std::string> Seal(std::string_view path, std::string_view plaintext) const;
  Result<SecretBytes> Open(std::string_view path, std::string_view sealed) const;

 private:
  SecretBytes root_key_;
};

}  // namespace bulwark::storage
