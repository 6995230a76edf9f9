// The backend-independent parts of KvStore: the single-operation conveniences, each one
// transaction, and the prefix bound every backend's Scan uses.
#include "storage/kv.h"

#include <utility>

namespace bulwark::storage {

std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xFF) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}

Result<std::unique_ptr<Transaction>> KvStore::BeginReadOnly() { return Begin(); }

Result<std::optional<std::string>> KvStore::Get(std::string_view key) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn, BeginReadOnly());
  // Nothing to commit: dropping a read transaction only ends it.
  return txn->Get(key);
}

Status KvStore::Put(std::string_view key, std::string_view value) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn, Begin());
  RETURN_IF_ERROR(txn->Put(key, value));
  return txn->Commit();
}

Status KvStore::Delete(std::string_view key) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn, Begin());
  RETURN_IF_ERROR(txn->Delete(key));
  return txn->Commit();
}

Result<std::vector<KeyValue>> KvStore::Scan(std::string_view prefix, std::string_view start_after,
                                            size_t limit) {
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn, BeginReadOnly());
  return txn->Scan(prefix, start_after, limit);
}

Result<bool> KvStore::CompareAndSet(std::string_view key,
                                    const std::optional<std::string>& expected,
                                    const std::optional<std::string>& desired) {
  // The write transaction serializes against every other writer, so the read and the
  // write below are one atomic step.
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn, Begin());
  ASSIGN_OR_RETURN(std::optional<std::string> current, txn->Get(key));
  if (current != expected) return false;  // dropped: rolled back, nothing changed
  if (desired.has_value()) {
    RETURN_IF_ERROR(txn->Put(key, *desired));
  } else {
    RETURN_IF_ERROR(txn->Delete(key));
  }
  RETURN_IF_ERROR(txn->Commit());
  return true;
}

}  // namespace bulwark::storage
