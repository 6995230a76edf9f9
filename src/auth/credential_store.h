// Access keys and the principals they belong to, persisted in the KV store with the
// secret sealed under the root key, and cached in memory for the request path.
#pragma once

#include <atomic>
#include <cstdint>
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
class Transaction;
}  // namespace bulwark::storage

namespace bulwark::auth {

struct Credential {
  Principal principal;  // access_key_id filled in
  SecretBytes secret_access_key;
};

// What IAM shows of a key: its owner, status and when it was created and last used.
struct AccessKeyInfo {
  std::string access_key_id;
  std::string user_name;  // empty for root keys
  bool active = true;
  int64_t create_date = 0;
  int64_t last_used_date = 0;  // 0: never
  std::string last_used_service;
  std::string last_used_region;
};

class CredentialStore {
 public:
  CredentialStore(storage::KvStore* store, const storage::Sealer* sealer)
      : store_(store), sealer_(sealer) {}

  // Stores a new active access key for `principal`. Fails if the key id exists.
  Status Create(const Principal& principal, std::string_view access_key_id,
                const SecretBytes& secret_access_key);
  // The same inside a caller's transaction (IAM's CreateAccessKey), for an IAM user.
  Status CreateIn(storage::Transaction& txn, const Principal& principal, std::string_view user_name,
                  std::string_view access_key_id, const SecretBytes& secret_access_key,
                  int64_t create_date);
  // Stores a temporary credential issued by STS: `principal.session` must be set. Only
  // a hash of the session token is kept. Also deletes a few expired sessions, so that
  // expired credentials do not pile up in the store.
  Status CreateSessionIn(storage::Transaction& txn, const Principal& principal,
                         std::string_view access_key_id, const SecretBytes& secret_access_key,
                         std::string_view session_token);
  // For a temporary credential: whether `session_token` is the one it was issued with
  // (compared in constant time) and it has not expired. kInvalidClientTokenId for a
  // wrong or missing token, kExpiredToken once expired.
  Status CheckSessionToken(std::string_view access_key_id, std::string_view session_token,
                           int64_t now);
  // Changes a key's status, or deletes it, inside a caller's transaction. Call Forget()
  // after the transaction commits.
  Status SetActiveIn(storage::Transaction& txn, std::string_view access_key_id, bool active);
  Status DeleteIn(storage::Transaction& txn, std::string_view access_key_id);
  // Points a key at its user's new ARN and name (IAM UpdateUser renames and moves users).
  Status SetOwnerIn(storage::Transaction& txn, std::string_view access_key_id, std::string_view arn,
                    std::string_view user_name);
  // Drops a key from the in-memory cache, so that its next use reads the store again:
  // a deleted or deactivated key stops working on the next request.
  void Forget(std::string_view access_key_id);
  // A key's IAM view (inactive keys included), read inside a caller's transaction.
  Result<std::optional<AccessKeyInfo>> InfoIn(storage::Transaction& txn,
                                              std::string_view access_key_id);
  // Records that a key signed a request. Kept in memory, and written to the store at
  // most once an hour per key, so that the request path rarely writes.
  void NoteUse(std::string_view access_key_id, int64_t now, std::string_view service,
               std::string_view region);
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
    // When the key's last use was last written to the store.
    std::atomic<int64_t> last_use_written{0};
    // Temporary credentials: SHA-256 of the session token.
    std::string session_token_sha256;
  };
  Result<std::shared_ptr<Cached>> Load(std::string_view access_key_id);
  Result<std::string> NewRecord(const Principal& principal, std::string_view user_name,
                                std::string_view access_key_id,
                                const SecretBytes& secret_access_key, int64_t create_date) const;

  storage::KvStore* store_;
  const storage::Sealer* sealer_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Cached>> cache_;
  // Bumped by Forget(): a load that read the store before a change committed must not
  // put its stale result into the cache after the change's Forget().
  std::atomic<uint64_t> epoch_{0};
};

}  // namespace bulwark::auth
