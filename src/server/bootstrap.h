// The data directory: created on first start with a root key, the default account
// and its root credentials; opened on every later start.
#pragma once

#include <memory>
#include <string>

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

}  // namespace bulwark::server
