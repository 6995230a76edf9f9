#include "server/bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "auth/ids.h"
#include "core/file_util.h"
#include "crypto/crypto.h"
#include "services/organizations/directory.h"

namespace bulwark::server {
namespace {

constexpr size_t kRootKeySize = 32;
// The default account's record, and one record per account (the default one included):
// see services/organizations/directory.h.
constexpr std::string_view kAccountKey = organizations::kDefaultAccountKey;
constexpr std::string_view kAccountsPrefix = organizations::kAccountsPrefix;

Status Errno(const std::string& what) {
  return Status(ErrorKind::kInternalFailure, what + ": " + std::strerror(errno));
}

// Creates `path` (and missing parents) and makes it private to the owner.
Status MakePrivateDir(const std::string& path) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec)
    return Status(ErrorKind::kInternalFailure, "mkdir " + parent.string() + ": " + ec.message());
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir " + path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Errno("stat " + path);
  if (!S_ISDIR(st.st_mode))
    return Status(ErrorKind::kInternalFailure, path + " is not a directory");
  if ((st.st_mode & 077) != 0 && ::chmod(path.c_str(), 0700) != 0) return Errno("chmod " + path);
  return Status::Ok();
}

Result<SecretBytes> ReadRootKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open root key " + path);
  SecretBytes key(kRootKeySize);
  ssize_t n = ::read(fd, key.data(), key.size());
  char extra;
  ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (n != static_cast<ssize_t>(kRootKeySize) || more != 0) {
    return Status(ErrorKind::kInternalFailure, "root key " + path + " is not 32 bytes");
  }
  return key;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// An AWS shared-credentials profile. botocore (CLI v1 and v2, boto3) also reads the
// region from this file, so that `AWS_SHARED_CREDENTIALS_FILE=DIR/credentials aws
// --endpoint-url ...` needs no more.
std::string ProfileText(std::string_view profile, std::string_view access_key_id,
                        const SecretBytes& secret) {
  std::string text = "[" + std::string(profile) +
                     "]\naws_access_key_id = " + std::string(access_key_id) +
                     "\naws_secret_access_key = ";
  text.append(secret.view());
  text.append("\nregion = us-east-1\n");
  return text;
}

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A new account with a root user and its access key, in one transaction: a fresh id, the
// key, and the account's record (services/organizations/directory.h), named `name`. The
// management account (the default one, `management` true) also makes the organization.
// Returns the account id.
Result<std::string> CreateRootAccount(DataDir& dir, const std::string& name, bool management,
                                      const SecretBytes& secret, std::string* access_key_id) {
  const int64_t now = NowUnix();
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, dir.store->Begin());
  ASSIGN_OR_RETURN(std::string account_id, organizations::NewAccountIdIn(*txn));
  *access_key_id = ids::NewAccessKeyId("AKIA", account_id);
  Principal root;
  root.type = Principal::Type::kRoot;
  root.account_id = account_id;
  root.arn = "arn:aws:iam::" + account_id + ":root";
  root.user_id = account_id;
  RETURN_IF_ERROR(dir.credentials->CreateIn(*txn, root, /*user_name=*/"", *access_key_id, secret,
                                            /*create_date=*/0));
  // The operator names accounts by profile only: the email is a placeholder.
  nlohmann::json record = organizations::NewAccountRecord(
      account_id, organizations::PlaceholderEmail(account_id),
      name.empty() ? "account-" + account_id : name,
      management ? organizations::kJoinedInvited : organizations::kJoinedCreated, now);
  record["root_access_key_id"] = *access_key_id;
  RETURN_IF_ERROR(organizations::PutNewAccountIn(*txn, record));
  if (management) {
    RETURN_IF_ERROR(organizations::EnsureOrganizationIn(*txn, account_id, now).status());
  }
  RETURN_IF_ERROR(txn->Commit());
  return account_id;
}

}  // namespace

Result<DataDir> OpenDataDir(const DataDirOptions& options) {
  DataDir dir;
  dir.path = options.path;
  RETURN_IF_ERROR(MakePrivateDir(dir.path));
  const std::string db_path = dir.path + "/bulwark.db";
  const std::string key_path =
      options.root_key_file.empty() ? dir.path + "/root.key" : options.root_key_file;
  const bool fresh = !Exists(db_path);

  if (!Exists(key_path)) {
    if (!fresh) {
      return Status(ErrorKind::kInternalFailure,
                    "root key " + key_path + " is missing but " + db_path +
                        " exists: refusing to create a new key that could not open it");
    }
    SecretBytes key(kRootKeySize);
    crypto::RandomBytes(key.data(), key.size());
    RETURN_IF_ERROR(WriteFileAtomically(key_path, key.view()));
  }
  ASSIGN_OR_RETURN(SecretBytes root_key, ReadRootKey(key_path));

  ASSIGN_OR_RETURN(dir.store, storage::OpenSqlite(db_path));
  dir.sealer = std::make_unique<storage::Sealer>(std::move(root_key));
  dir.credentials = std::make_unique<auth::CredentialStore>(dir.store.get(), dir.sealer.get());
  dir.credentials_file = dir.path + "/credentials";

  ASSIGN_OR_RETURN(std::optional<std::string> account, dir.store->Get(kAccountKey));
  if (account) {
    auto doc = nlohmann::json::parse(*account, nullptr, false);
    if (!doc.is_object()) return Status(ErrorKind::kInternalFailure, "corrupt account record");
    dir.account_id = doc.value("account_id", "");
    dir.root_access_key_id = doc.value("root_access_key_id", "");
    // Data directories made before accounts had their own records get the default
    // account's now, so that every account is found the same way.
    const std::string own = std::string(kAccountsPrefix) + dir.account_id;
    ASSIGN_OR_RETURN(std::optional<std::string> listed, dir.store->Get(own));
    if (!listed) RETURN_IF_ERROR(dir.store->Put(own, *account));
    // Likewise the organization, whose management account is the default one.
    ASSIGN_OR_RETURN(std::optional<std::string> org,
                     dir.store->Get(organizations::kOrganizationKey));
    if (!org) {
      ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, dir.store->Begin());
      RETURN_IF_ERROR(
          organizations::EnsureOrganizationIn(*txn, dir.account_id, NowUnix()).status());
      RETURN_IF_ERROR(txn->Commit());
    }
    return dir;
  }

  // First start: the default account, its root credentials and the organization.
  SecretBytes secret = ids::NewSecretAccessKey();
  ASSIGN_OR_RETURN(dir.account_id, CreateRootAccount(dir, "default", /*management=*/true, secret,
                                                     &dir.root_access_key_id));

  std::string file = ProfileText("default", dir.root_access_key_id, secret);
  Status written = WriteFileAtomically(dir.credentials_file, file);
  SecureWipe(file.data(), file.size());
  RETURN_IF_ERROR(written);

  nlohmann::json record = {{"account_id", dir.account_id},
                           {"root_access_key_id", dir.root_access_key_id}};
  RETURN_IF_ERROR(dir.store->Put(kAccountKey, record.dump()));
  dir.new_root_secret = std::move(secret);
  return dir;
}

Result<NewAccount> CreateAccount(DataDir& dir, std::string profile) {
  NewAccount account;
  account.root_secret = ids::NewSecretAccessKey();
  // The account's name in the organization is its profile; without one, the profile is
  // named after the id, which is known only once the account exists.
  ASSIGN_OR_RETURN(account.account_id,
                   CreateRootAccount(dir, profile, /*management=*/false, account.root_secret,
                                     &account.root_access_key_id));
  account.profile = profile.empty() ? "account-" + account.account_id : std::move(profile);

  // Appended to the credentials file, which stays 0600.
  std::string text =
      "\n" + ProfileText(account.profile, account.root_access_key_id, account.root_secret);
  int fd = ::open(dir.credentials_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open " + dir.credentials_file);
  ssize_t n = ::write(fd, text.data(), text.size());
  const bool synced = n == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  SecureWipe(text.data(), text.size());
  if (!synced) return Errno("write " + dir.credentials_file);
  return account;
}

Result<std::vector<std::string>> ListAccounts(DataDir& dir) {
  std::vector<std::string> out = {dir.account_id};
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, dir.store->Scan(kAccountsPrefix));
  for (const storage::KeyValue& row : rows) {
    std::string id = row.key.substr(kAccountsPrefix.size());
    if (id != dir.account_id) out.push_back(std::move(id));
  }
  return out;
}

}  // namespace bulwark::server
