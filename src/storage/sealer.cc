// Sealing of secret-bearing values at rest: AES-256-GCM under the root key, with the
// storage path as associated data.
#include "storage/sealer.h"

#include <utility>

#include "crypto/crypto.h"

namespace bulwark::storage {
namespace {

constexpr size_t kRootKeySize = 32;

Status BadRootKey() {
  return Status(ErrorKind::kInternalFailure, "storage: the root key must be 32 bytes");
}

}  // namespace

Sealer::Sealer(SecretBytes root_key) : root_key_(std::move(root_key)) {}

Result<std::string> Sealer::Seal(std::string_view path, std::string_view plaintext) const {
  if (root_key_.size() != kRootKeySize) return BadRootKey();
  Result<std::string> sealed = crypto::AesGcmSeal(root_key_, plaintext, path);
  if (!sealed.ok()) {
    return Status(ErrorKind::kInternalFailure, "storage: sealing a value failed");
  }
  return sealed;
}

Result<SecretBytes> Sealer::Open(std::string_view path, std::string_view sealed) const {
  if (root_key_.size() != kRootKeySize) return BadRootKey();
  Result<SecretBytes> opened = crypto::AesGcmOpen(root_key_, sealed, path);
  if (!opened.ok()) {
    // A stored value that does not authenticate is corruption, tampering, a value moved
    // to another path, or the wrong root key: a server fault, never the caller's.
    return Status(ErrorKind::kInternalFailure,
                  "storage: a sealed value failed authentication (wrong root key, wrong path, "
                  "or altered data)");
  }
  return opened;
}

}  // namespace bulwark::storage
