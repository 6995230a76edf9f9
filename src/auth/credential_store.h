// Access keys and the principals they belong to, persisted in the KV store with the
// secret sealed under the root key, and cached in memory for the request path.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/principal.h"
#include "core/secret.h"
#include "core/status.h"

namespace bulwark::storage {
class KvStore;
class Sealer;
}  // namespace bulwark::storage

namespace bulwark::auth {

struct Credential {
  Principal principal;  // access_key_id filled in
  SecretBytes secret_access_key;
};

class CredentialStore {
 public:
  CredentialStore(storage::KvStore* store, const storage::Sealer* sealer)
      : store_(store), sealer_(sealer) {}

  // Stores a new active access key for `principal`. Fails if the key id exists.
  Status Create(const Principal& principal, std::string_view access_key_id,
                const SecretBytes& secret_access_key);
  // The active credential for `access_key_id`, or nullopt when unknown or inactive.
  // Served from memory after the first lookup.
  Result<std::optional<Credential>> Lookup(std::string_view access_key_id);
  // SigV4 signing key for (key, date, region, service), derived once per day and scope.
  Result<std::optional<SecretBytes>> SigningKey(std::string_view access_key_id,
                                                std::string_view date, std::string_view region,
                                                std::string_view service, Principal* principal);

  static std::string StorageKey(std::string_view access_key_id);

 private:
  struct Cached {
    Principal principal;
    SecretBytes secret;
    // The last derived signing key and its scope.
    std::string scope;
    SecretBytes signing_key;
  };
  Result<std::shared_ptr<Cached>> Load(std::string_view access_key_id);

  storage::KvStore* store_;
  const storage::Sealer* sealer_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Cached>> cache_;
};

}  // namespace bulwark::auth
