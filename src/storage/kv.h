// The ordered key-value interface every control-plane service stores its state in.
// Keys are byte strings ordered bytewise. Implementations: sqlite (embedded default);
// PostgreSQL to follow. Every method is thread-safe on the store; a Transaction is
// used by one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace bulwark::storage {

struct KeyValue {
  std::string key;
  std::string value;
};

class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  // Deleting a missing key is not an error.
  virtual Status Delete(std::string_view key) = 0;
  // Keys starting with `prefix`, strictly after `start_after` (if non-empty), in order,
  // at most `limit` (0 = no limit).
  virtual Result<std::vector<KeyValue>> Scan(std::string_view prefix,
                                             std::string_view start_after = {},
                                             size_t limit = 0) = 0;
  // Durable on return (fsync'd per the backend's rules). A transaction destroyed
  // without Commit() is rolled back.
  virtual Status Commit() = 0;
};

class KvStore {
 public:
  virtual ~KvStore() = default;
  // A read-write transaction. Writers are serialized; readers see committed data.
  // The transaction holds the store's write lock until it commits or is destroyed, so a
  // thread holding one must not call a writing convenience method (Put, Delete,
  // CompareAndSet) or Begin() again: backends report that as an error instead of
  // deadlocking. The store must outlive its transactions.
  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;
  // A transaction for reading only, over one consistent snapshot of committed data.
  // Backends override it to read without the write lock, concurrently with a writer, and
  // then refuse Put and Delete on it. The default implementation is Begin().
  virtual Result<std::unique_ptr<Transaction>> BeginReadOnly();
  // Gives back what idle readers hold between transactions that another process's
  // commits have made stale (the SQLite backend's kept snapshots, which would otherwise
  // keep checkpoints from going past them while this process reads nothing). The server
  // calls it at each maintenance pass. The default does nothing.
  virtual void ReleaseIdle() {}

  // Single-operation conveniences, each its own committed transaction.
  Result<std::optional<std::string>> Get(std::string_view key);
  Status Put(std::string_view key, std::string_view value);
  Status Delete(std::string_view key);
  Result<std::vector<KeyValue>> Scan(std::string_view prefix, std::string_view start_after = {},
                                     size_t limit = 0);
  // Atomically: if the current value equals `expected` (nullopt = key absent), set it to
  // `desired` (nullopt = delete) and return true; otherwise change nothing, return false.
  Result<bool> CompareAndSet(std::string_view key, const std::optional<std::string>& expected,
                             const std::optional<std::string>& desired);
};

// The smallest byte string greater than every string starting with `prefix`, for an
// exclusive upper bound on a prefix scan: the prefix with its trailing 0xFF bytes removed
// and its last byte incremented. nullopt when there is no such bound (empty prefix, or
// a prefix of only 0xFF bytes): the scan then runs to the end of the key space.
std::optional<std::string> PrefixUpperBound(std::string_view prefix);

// Opens (creating if needed) an SQLite database in WAL mode with synchronous=FULL.
// A new file is created with mode 0600 (an existing one readable by others is narrowed
// to 0600); the schema is migrated to the current version. Fails on a file that is not a
// database or whose schema is newer than this binary knows.
Result<std::unique_ptr<KvStore>> OpenSqlite(const std::string& path);

}  // namespace bulwark::storage
