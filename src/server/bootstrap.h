// The data directory: created on first start with a root key, the default account
// and its root credentials; opened on every later start.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/credential_store.h"
#include "core/secret.h"
#include "core/status.h"
#include "storage/kv.h"
#include "storage/sealer.h"

namespace bulwark::server {

struct DataDirOptions {
  std::string path = "./data";
  std::string root_key_file;  // default: <path>/root.key
};

struct DataDir {
  std::string path;
  std::unique_ptr<storage::KvStore> store;
  std::unique_ptr<storage::Sealer> sealer;
  std::unique_ptr<auth::CredentialStore> credentials;
  std::string account_id;
  std::string root_access_key_id;
  // Set only on the start that created the account: shown once, then dropped.
  SecretBytes new_root_secret;
  std::string credentials_file;
};

Result<DataDir> OpenDataDir(const DataDirOptions& options);

// Another account in the same data directory, with its own root credentials (the
// secret is returned once, and added to DATA_DIR/credentials as profile `profile`, or
// "account-ID" when empty). Safe while a server is running on the directory.
struct NewAccount {
  std::string account_id;
  std::string root_access_key_id;
  SecretBytes root_secret;
  std::string profile;
};
Result<NewAccount> CreateAccount(DataDir& dir, std::string profile);

// Every account of the data directory, the default one first.
Result<std::vector<std::string>> ListAccounts(DataDir& dir);

}  // namespace bulwark::server
