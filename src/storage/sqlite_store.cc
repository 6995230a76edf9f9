// The embedded SQLite backend of KvStore.
//
// One table `kv (key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID`, in WAL mode with
// synchronous=FULL, so a commit is fsync'd to the write-ahead log before Commit() returns.
// Writers share one connection, serialized by a lock that a write transaction holds from
// Begin() (BEGIN IMMEDIATE) to Commit() or destruction. Read-only transactions take a
// connection from a small pool and read a WAL snapshot concurrently with the writer.
// A pooled connection keeps its snapshot open while no connection, in this process or
// another, has committed since, so the next read-only transaction on it starts without
// taking SQLite's read locks again; the WAL-index header tells when anyone committed.
// While a snapshot is kept, what Get read in it is kept beside it (bounded), since the
// snapshot cannot change under it.
// Every value reaches SQL as a bound parameter; every statement is prepared once per
// connection and cached.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "storage/kv.h"

namespace bulwark::storage {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Idle reader connections kept open; more are opened when more threads read at once,
// and closed again when returned to a full pool.
constexpr size_t kMaxIdleReaders = 4;
// What one reader keeps of its snapshot's Get results; past either bound it starts over.
constexpr size_t kMaxCachedReads = 1024;
constexpr size_t kMaxCachedBytes = 1 << 20;

// Schema migrations, applied in order inside one transaction at open. Append only: a
// shipped migration never changes. The schema version is the last version applied.
struct Migration {
  int version;
  const char* sql;
};
constexpr Migration kMigrations[] = {
    {1, "CREATE TABLE kv (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID"},
};
constexpr int kSchemaVersion = kMigrations[std::size(kMigrations) - 1].version;

constexpr bool MigrationsAreSequential() {
  for (size_t i = 0; i < std::size(kMigrations); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(MigrationsAreSequential(), "migration versions must be 1, 2, 3, ...");

// Cached statements, prepared lazily once per connection.
enum class Sql : size_t {
  kBegin,
  kBeginImmediate,
  kCommit,
  kRollback,
  kGet,
  kPut,
  kDelete,
  kScanBounded,
  kScanUnbounded,
  kCount,
};
constexpr const char* kSql[] = {
    "BEGIN",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SELECT value FROM kv WHERE key = ?1",
    "INSERT INTO kv (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    "DELETE FROM kv WHERE key = ?1",
    "SELECT key, value FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3",
    "SELECT key, value FROM kv WHERE key >= ?1 ORDER BY key LIMIT ?2",
};
static_assert(std::size(kSql) == static_cast<size_t>(Sql::kCount));

// Messages carry what failed and SQLite's generic text for the code, never keys, values
// or paths.
Status SqliteError(std::string_view what, int rc) {
  std::string message = "storage: ";
  message.append(what);
  message.append(": ");
  message.append(sqlite3_errstr(rc));
  message.append(" (sqlite code ");
  message.append(std::to_string(rc));
  message.append(")");
  return Status(ErrorKind::kInternalFailure, std::move(message));
}

Status StorageError(std::string_view what) {
  return Status(ErrorKind::kInternalFailure, "storage: " + std::string(what));
}

Status ErrnoError(std::string_view what, int err) {
  return StorageError(std::string(what) + ": " + std::strerror(err));
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A cached statement in use. Resets it and clears its bindings when done, so the next
// user starts clean and no bound bytes linger in the cache.
class ScopedStatement {
 public:
  explicit ScopedStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ScopedStatement(ScopedStatement&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)) {}
  ScopedStatement& operator=(ScopedStatement&&) = delete;
  ScopedStatement(const ScopedStatement&) = delete;
  ~ScopedStatement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  Status BindBlob(int index, std::string_view bytes) {
    // A null pointer would bind SQL NULL, not an empty blob.
    static constexpr char kEmpty[1] = {0};
    const char* data = bytes.empty() ? kEmpty : bytes.data();
    int rc = sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) return SqliteError("bind", rc);
    return Status::Ok();
  }
  Status BindInt64(int index, int64_t value) {
    int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) return SqliteError("bind", rc);
    return Status::Ok();
  }
  // True when a row is available, false when the statement is done.
  Result<bool> Step(std::string_view what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(what, rc);
  }
  Status Run(std::string_view what) {
    ASSIGN_OR_RETURN(bool row, Step(what));
    (void)row;
    return Status::Ok();
  }
  Result<std::string> ColumnBytes(int column) {
    // Documented order: the pointer first, then its size.
    const void* data = sqlite3_column_blob(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    if (size <= 0) return std::string();
    if (data == nullptr) return SqliteError("read column", SQLITE_NOMEM);
    return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
  }

 private:
  sqlite3_stmt* stmt_;
};

enum class Role { kWriter, kReader };

// The first copy of the WAL-index header: the first 48 bytes of the -shm file, in native
// byte order (https://www.sqlite.org/walformat.html). Every commit by any connection to
// the database, in any process, rewrites it (iChange counts them, mxFrame and the salts
// move), so two equal readings mean nobody committed in between. The format is shared
// by every SQLite version since 3.7.0 that opens the file, so it does not change.
using WalStamp = std::array<uint32_t, 12>;

class WalIndexWatch {
 public:
  // Null when the -shm file is missing or not in the known format: snapshots are then
  // never kept between transactions.
  static std::unique_ptr<WalIndexWatch> Open(const std::string& db_path) {
    int fd = ::open((db_path + "-shm").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return nullptr;
    struct stat st {};
    void* map = MAP_FAILED;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size >= static_cast<off_t>(sizeof(WalStamp))) {
      map = ::mmap(nullptr, sizeof(WalStamp), PROT_READ, MAP_SHARED, fd, 0);
    }
    ::close(fd);
    if (map == MAP_FAILED) return nullptr;
    auto watch = std::unique_ptr<WalIndexWatch>(new WalIndexWatch(map));
    const WalStamp stamp = watch->Read();
    constexpr uint32_t kWalIndexVersion = 3007000;  // iVersion
    uint8_t is_init = 0;                            // the byte at offset 12
    std::memcpy(&is_init, reinterpret_cast<const char*>(stamp.data()) + 12, 1);
    if (stamp[0] != kWalIndexVersion || is_init != 1) return nullptr;
    return watch;
  }
  ~WalIndexWatch() { ::munmap(const_cast<uint32_t*>(words_), sizeof(WalStamp)); }
  WalIndexWatch(const WalIndexWatch&) = delete;
  WalIndexWatch& operator=(const WalIndexWatch&) = delete;

  // A reading torn by a concurrent commit differs from both the old and the new header,
  // which only costs a fresh snapshot.
  WalStamp Read() const {
    WalStamp stamp;
    for (size_t i = 0; i < stamp.size(); ++i) stamp[i] = words_[i];
    std::atomic_thread_fence(std::memory_order_acquire);
    return stamp;
  }

 private:
  explicit WalIndexWatch(void* map) : words_(static_cast<const volatile uint32_t*>(map)) {}
  const volatile uint32_t* words_;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, Role role) {
    // A path that does not start with '/' gets "./", so a name like "file:x" is never
    // taken for an SQLite URI.
    std::string open_path = path.starts_with('/') ? path : "./" + path;
    sqlite3* raw = nullptr;
    // The file exists already (created with mode 0600 by OpenSqlite): never create here.
    // NOMUTEX: a connection is used by one thread at a time, guarded by the store.
    int rc = sqlite3_open_v2(open_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    DbPtr db(raw);
    if (rc != SQLITE_OK) return SqliteError("open database", rc);
    sqlite3_extended_result_codes(db.get(), 1);
    rc = sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    if (rc != SQLITE_OK) return SqliteError("set busy timeout", rc);
    // Hardening: no writes to the schema through ordinary SQL, no functions with side
    // effects from the schema.
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);

    auto conn = std::unique_ptr<Connection>(new Connection(std::move(db)));
    if (role == Role::kWriter) {
      ASSIGN_OR_RETURN(std::string mode, conn->QueryText("PRAGMA journal_mode=WAL"));
      if (mode != "wal") return StorageError("the database could not be put in WAL mode");
    }
    RETURN_IF_ERROR(conn->ExecOnce("PRAGMA synchronous=FULL"));
    ASSIGN_OR_RETURN(std::string sync, conn->QueryText("PRAGMA synchronous"));
    if (sync != "2") return StorageError("the database refused synchronous=FULL");
    if (role == Role::kReader) RETURN_IF_ERROR(conn->ExecOnce("PRAGMA query_only=ON"));
    return conn;
  }

  Result<ScopedStatement> Prepare(Sql id) {
    StmtPtr& slot = cache_[static_cast<size_t>(id)];
    if (slot == nullptr) {
      sqlite3_stmt* raw = nullptr;
      int rc = sqlite3_prepare_v3(db_.get(), kSql[static_cast<size_t>(id)], -1,
                                  SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      StmtPtr stmt(raw);
      if (rc != SQLITE_OK) return SqliteError("prepare statement", rc);
      if (stmt == nullptr) return StorageError("prepare statement: empty SQL");
      slot = std::move(stmt);
    }
    return ScopedStatement(slot.get());
  }

  Status Run(Sql id, std::string_view what) {
    ASSIGN_OR_RETURN(ScopedStatement stmt, Prepare(id));
    return stmt.Run(what);
  }

  // A one-off statement of constant text (pragmas, migrations); not cached. Runs every
  // statement in `sql`.
  Status ExecOnce(const char* sql) {
    int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError("execute", rc);
    return Status::Ok();
  }

  // The first column of the first row of a one-off statement, as text.
  Result<std::string> QueryText(const char* sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return SqliteError("prepare statement", rc);
    rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) return std::string();
    if (rc != SQLITE_ROW) return SqliteError("query", rc);
    const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
    int size = sqlite3_column_bytes(stmt.get(), 0);
    if (text == nullptr) return std::string();
    return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
  }

  // Whether an explicit transaction is open (SQLite rolls some back by itself on errors
  // such as a full disk).
  bool InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

  // A reader's open read transaction, kept between uses while the WAL-index header is
  // still the one read before it began. Ends it unless `now` is that header (so always,
  // given nullopt); false when the rollback failed and the connection must be dropped.
  bool EndSnapshotUnless(const std::optional<WalStamp>& now) {
    if (InTransaction() && now && snapshot_ == now) return true;
    ForgetSnapshot();
    return !InTransaction() || Run(Sql::kRollback, "roll back").ok();
  }
  // Begins a read transaction stamped with the header read just before: the snapshot,
  // taken at the first read, is at least as new as the stamp says.
  Status BeginSnapshot(const std::optional<WalStamp>& now) {
    ForgetSnapshot();
    RETURN_IF_ERROR(Run(Sql::kBegin, "begin"));
    snapshot_ = now;
    return Status::Ok();
  }
  // The snapshot's transaction ended some other way (COMMIT, or SQLite on an error).
  void ForgetSnapshot() {
    snapshot_.reset();
    reads_.clear();
    read_bytes_ = 0;
  }

  // What Get found for `key` earlier in the kept snapshot, or null.
  const std::optional<std::string>* CachedRead(std::string_view key) const {
    if (!snapshot_) return nullptr;
    auto it = reads_.find(key);
    return it == reads_.end() ? nullptr : &it->second;
  }
  void CacheRead(std::string_view key, const std::optional<std::string>& value) {
    if (!snapshot_) return;
    const size_t size = key.size() + (value ? value->size() : 0);
    if (reads_.size() >= kMaxCachedReads || read_bytes_ + size > kMaxCachedBytes) {
      reads_.clear();
      read_bytes_ = 0;
      if (size > kMaxCachedBytes) return;
    }
    reads_.emplace(std::string(key), value);
    read_bytes_ += size;
  }

  Status MigrateSchema() {
    RETURN_IF_ERROR(Run(Sql::kBeginImmediate, "begin migration"));
    Status status = MigrateInTransaction();
    if (!status.ok()) {
      if (InTransaction()) (void)Run(Sql::kRollback, "roll back migration");
      return status;
    }
    return Run(Sql::kCommit, "commit migration");
  }

 private:
  explicit Connection(DbPtr db) : db_(std::move(db)) {}

  Status MigrateInTransaction() {
    RETURN_IF_ERROR(
        ExecOnce("CREATE TABLE IF NOT EXISTS schema_version ("
                 "id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"));
    int64_t current = 0;
    {
      sqlite3_stmt* raw = nullptr;
      int rc = sqlite3_prepare_v2(db_.get(), "SELECT version FROM schema_version WHERE id = 1", -1,
                                  &raw, nullptr);
      StmtPtr stmt(raw);
      if (rc != SQLITE_OK) return SqliteError("read schema version", rc);
      rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_ROW) {
        current = sqlite3_column_int64(stmt.get(), 0);
      } else if (rc != SQLITE_DONE) {
        return SqliteError("read schema version", rc);
      }
    }
    if (current < 0 || current > kSchemaVersion) {
      return StorageError("database schema version " + std::to_string(current) +
                          " is not supported by this binary (latest " +
                          std::to_string(kSchemaVersion) + ")");
    }
    if (current == kSchemaVersion) return Status::Ok();
    for (const Migration& m : kMigrations) {
      if (m.version <= current) continue;
      RETURN_IF_ERROR(ExecOnce(m.sql));
    }
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(),
                                "INSERT INTO schema_version (id, version) VALUES (1, ?1) "
                                "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                                -1, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return SqliteError("write schema version", rc);
    rc = sqlite3_bind_int64(stmt.get(), 1, kSchemaVersion);
    if (rc != SQLITE_OK) return SqliteError("write schema version", rc);
    rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_DONE) return SqliteError("write schema version", rc);
    return Status::Ok();
  }

  DbPtr db_;
  // Declared after db_, so the statements are finalized before the connection closes.
  std::array<StmtPtr, static_cast<size_t>(Sql::kCount)> cache_;
  std::optional<WalStamp> snapshot_;  // readers: the header their open snapshot began at
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };
  std::unordered_map<std::string, std::optional<std::string>, KeyHash, std::equal_to<>> reads_;
  size_t read_bytes_ = 0;
};

// Creates the database file with mode 0600 if it is missing (and makes the creation
// durable), and narrows the mode of an existing file readable by others.
Status PrepareDatabaseFile(const std::string& path) {
  if (path.empty()) return StorageError("empty database path");
  bool created = true;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  }
  if (fd < 0) return ErrnoError("cannot open the database file", errno);
  struct stat st {};
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = ErrnoError("cannot stat the database file", errno);
  } else if (!S_ISREG(st.st_mode)) {
    status = StorageError("the database path is not a regular file");
  } else if ((st.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0) {
    status = ErrnoError("cannot set mode 0600 on the database file", errno);
  } else if (created && ::fsync(fd) != 0) {
    status = ErrnoError("cannot sync the database file", errno);
  }
  ::close(fd);
  RETURN_IF_ERROR(status);

  // SQLite gives its -wal and -shm files the database file's mode when it creates them;
  // narrow ones left behind by an older, looser setup.
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string side = path + suffix;
    int side_fd = ::open(side.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (side_fd < 0) continue;
    struct stat side_st {};
    if (::fstat(side_fd, &side_st) == 0 && S_ISREG(side_st.st_mode) &&
        (side_st.st_mode & 077) != 0) {
      (void)::fchmod(side_fd, 0600);
    }
    ::close(side_fd);
  }

  if (created) {
    // The new directory entry must itself be durable.
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    std::string dir_name = dir.empty() ? std::string(".") : dir.string();
    int dir_fd = ::open(dir_name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return ErrnoError("cannot open the database directory", errno);
    int rc = ::fsync(dir_fd);
    int err = errno;
    ::close(dir_fd);
    if (rc != 0) return ErrnoError("cannot sync the database directory", err);
  }
  return Status::Ok();
}

class SqliteStore;

class SqliteTransaction final : public Transaction {
 public:
  // A write transaction on the store's writer connection (whose lock the caller holds),
  // or a read transaction owning a pooled reader connection.
  SqliteTransaction(SqliteStore* store, Connection* writer)
      : store_(store), conn_(writer), writable_(true) {}
  SqliteTransaction(SqliteStore* store, std::unique_ptr<Connection> reader)
      : store_(store), reader_(std::move(reader)), conn_(reader_.get()), writable_(false) {}
  ~SqliteTransaction() override { Finish(); }

  Result<std::optional<std::string>> Get(std::string_view key) override {
    return Poison(DoGet(key));
  }
  Status Put(std::string_view key, std::string_view value) override {
    return Poison(DoPut(key, value));
  }
  Status Delete(std::string_view key) override { return Poison(DoDelete(key)); }
  Result<std::vector<KeyValue>> Scan(std::string_view prefix, std::string_view start_after,
                                     size_t limit) override {
    return Poison(DoScan(prefix, start_after, limit));
  }

  Status Commit() override {
    RETURN_IF_ERROR(CheckUsable());
    Status status = conn_->Run(Sql::kCommit, "commit");
    if (!status.ok()) failed_ = true;
    if (writable_) committed_ = true;
    Finish();
    return status;
  }

 private:
  template <typename R>
  R Poison(R result) {
    // After any failure the transaction only rolls back: a caller that ignores an error
    // cannot commit half of its writes.
    if (!result.ok()) failed_ = true;
    return result;
  }

  Status CheckUsable() {
    if (finished_) return StorageError("the transaction has already finished");
    if (failed_) return StorageError("an earlier operation of this transaction failed");
    if (!conn_->InTransaction()) {
      // SQLite rolled the transaction back on its own (I/O error, full disk). Running on
      // would autocommit each statement separately.
      failed_ = true;
      return StorageError("the transaction was rolled back by the database");
    }
    return Status::Ok();
  }

  Status CheckWritable() {
    if (!writable_) return StorageError("write in a read-only transaction");
    return Status::Ok();
  }

  Result<std::optional<std::string>> DoGet(std::string_view key) {
    RETURN_IF_ERROR(CheckUsable());
    if (!writable_) {
      if (const std::optional<std::string>* cached = conn_->CachedRead(key)) return *cached;
    }
    ASSIGN_OR_RETURN(std::optional<std::string> value, ReadRow(key));
    if (!writable_) conn_->CacheRead(key, value);
    return value;
  }

  Result<std::optional<std::string>> ReadRow(std::string_view key) {
    ASSIGN_OR_RETURN(ScopedStatement stmt, conn_->Prepare(Sql::kGet));
    RETURN_IF_ERROR(stmt.BindBlob(1, key));
    ASSIGN_OR_RETURN(bool row, stmt.Step("get"));
    if (!row) return std::optional<std::string>();
    ASSIGN_OR_RETURN(std::string value, stmt.ColumnBytes(0));
    return std::optional<std::string>(std::move(value));
  }

  Status DoPut(std::string_view key, std::string_view value) {
    RETURN_IF_ERROR(CheckWritable());
    RETURN_IF_ERROR(CheckUsable());
    ASSIGN_OR_RETURN(ScopedStatement stmt, conn_->Prepare(Sql::kPut));
    RETURN_IF_ERROR(stmt.BindBlob(1, key));
    RETURN_IF_ERROR(stmt.BindBlob(2, value));
    return stmt.Run("put");
  }

  Status DoDelete(std::string_view key) {
    RETURN_IF_ERROR(CheckWritable());
    RETURN_IF_ERROR(CheckUsable());
    ASSIGN_OR_RETURN(ScopedStatement stmt, conn_->Prepare(Sql::kDelete));
    RETURN_IF_ERROR(stmt.BindBlob(1, key));
    return stmt.Run("delete");
  }

  Result<std::vector<KeyValue>> DoScan(std::string_view prefix, std::string_view start_after,
                                       size_t limit) {
    RETURN_IF_ERROR(CheckUsable());
    // Keys in [lower, upper): lower is the prefix, or the immediate successor of
    // start_after (start_after + 0x00) when that is greater.
    std::string lower(prefix);
    if (!start_after.empty()) {
      std::string successor(start_after);
      successor.push_back('\0');
      if (successor > lower) lower = std::move(successor);  // bytewise, as unsigned
    }
    std::optional<std::string> upper = PrefixUpperBound(prefix);
    int64_t sql_limit = -1;  // SQLite: negative means no limit
    if (limit != 0) {
      sql_limit = limit > static_cast<size_t>(std::numeric_limits<int64_t>::max())
                      ? std::numeric_limits<int64_t>::max()
                      : static_cast<int64_t>(limit);
    }
    ASSIGN_OR_RETURN(ScopedStatement stmt,
                     conn_->Prepare(upper ? Sql::kScanBounded : Sql::kScanUnbounded));
    RETURN_IF_ERROR(stmt.BindBlob(1, lower));
    if (upper) {
      RETURN_IF_ERROR(stmt.BindBlob(2, *upper));
      RETURN_IF_ERROR(stmt.BindInt64(3, sql_limit));
    } else {
      RETURN_IF_ERROR(stmt.BindInt64(2, sql_limit));
    }
    std::vector<KeyValue> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step("scan"));
      if (!row) break;
      KeyValue kv;
      ASSIGN_OR_RETURN(kv.key, stmt.ColumnBytes(0));
      ASSIGN_OR_RETURN(kv.value, stmt.ColumnBytes(1));
      out.push_back(std::move(kv));
    }
    return out;
  }

  // Rolls back unless committed, and gives the connection back. Idempotent.
  void Finish();

  SqliteStore* store_;
  std::unique_ptr<Connection> reader_;  // read transactions only
  Connection* conn_;
  bool writable_;
  bool finished_ = false;
  bool failed_ = false;
  bool committed_ = false;  // a COMMIT was attempted on the writer
};

class SqliteStore final : public KvStore {
 public:
  static Result<std::unique_ptr<KvStore>> Open(const std::string& path) {
    if (sqlite3_threadsafe() == 0) {
      return StorageError("the SQLite library was built without thread safety");
    }
    RETURN_IF_ERROR(PrepareDatabaseFile(path));
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer, Connection::Open(path, Role::kWriter));
    RETURN_IF_ERROR(writer->MigrateSchema());
    // After the migration's transaction, so the -shm file exists and is initialized.
    std::unique_ptr<WalIndexWatch> watch = WalIndexWatch::Open(path);
    return std::unique_ptr<KvStore>(new SqliteStore(path, std::move(writer), std::move(watch)));
  }

  Result<std::unique_ptr<Transaction>> Begin() override {
    {
      std::unique_lock lock(writer_mu_);
      if (writer_busy_ && writer_owner_ == std::this_thread::get_id()) {
        return StorageError(
            "this thread already holds a write transaction; a second one would deadlock");
      }
      writer_cv_.wait(lock, [this] { return !writer_busy_; });
      writer_busy_ = true;
      writer_owner_ = std::this_thread::get_id();
    }
    // A previous transaction whose rollback failed may have left one open.
    if (writer_->InTransaction()) (void)writer_->Run(Sql::kRollback, "roll back");
    Status status = writer_->Run(Sql::kBeginImmediate, "begin");
    if (!status.ok()) {
      ReleaseWriter();
      return status;
    }
    return std::unique_ptr<Transaction>(new SqliteTransaction(this, writer_.get()));
  }

  Result<std::unique_ptr<Transaction>> BeginReadOnly() override {
    std::unique_ptr<Connection> reader;
    {
      std::lock_guard lock(readers_mu_);
      if (!idle_readers_.empty()) {
        reader = std::move(idle_readers_.back());
        idle_readers_.pop_back();
      }
    }
    const std::optional<WalStamp> now = Stamp();
    if (reader != nullptr && !reader->EndSnapshotUnless(now)) reader.reset();
    if (reader == nullptr) {
      ASSIGN_OR_RETURN(reader, Connection::Open(path_, Role::kReader));
    }
    if (!reader->InTransaction()) {
      // Deferred: the snapshot is taken at the first read and held until the end.
      Status status = reader->BeginSnapshot(now);
      if (!status.ok()) return status;  // the connection is dropped, not pooled
    }
    return std::unique_ptr<Transaction>(new SqliteTransaction(this, std::move(reader)));
  }

  // The WAL-index header now, or nullopt when snapshots are not kept.
  std::optional<WalStamp> Stamp() const {
    if (!watch_) return std::nullopt;
    return watch_->Read();
  }

  // After a commit on the writer: the idle readers' snapshots are older than it, and
  // ending them now lets checkpoints go past them.
  void EndIdleSnapshots() { EndIdleSnapshotsUnless(std::nullopt); }

  void ReleaseIdle() override { EndIdleSnapshotsUnless(Stamp()); }

  void EndIdleSnapshotsUnless(const std::optional<WalStamp>& now) {
    std::lock_guard lock(readers_mu_);
    std::erase_if(idle_readers_, [&](const std::unique_ptr<Connection>& reader) {
      return !reader->EndSnapshotUnless(now);
    });
  }

  void ReleaseWriter() {
    {
      std::lock_guard lock(writer_mu_);
      writer_busy_ = false;
      writer_owner_ = std::thread::id();
    }
    writer_cv_.notify_one();
  }

  // A reader back from a transaction, its snapshot still open unless it is already stale.
  void ReleaseReader(std::unique_ptr<Connection> reader) {
    if (!reader->EndSnapshotUnless(Stamp())) return;
    std::lock_guard lock(readers_mu_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
  }

 private:
  SqliteStore(std::string path, std::unique_ptr<Connection> writer,
              std::unique_ptr<WalIndexWatch> watch)
      : path_(std::move(path)), writer_(std::move(writer)), watch_(std::move(watch)) {}

  const std::string path_;
  std::unique_ptr<Connection> writer_;
  std::unique_ptr<WalIndexWatch> watch_;  // null: no snapshot outlives its transaction
  // The write lock: not a held std::mutex, so a transaction may end on another thread
  // than the one that began it.
  std::mutex writer_mu_;
  std::condition_variable writer_cv_;
  bool writer_busy_ = false;
  std::thread::id writer_owner_;

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

void SqliteTransaction::Finish() {
  if (finished_) return;
  finished_ = true;
  if (writable_) {
    if (conn_->InTransaction()) (void)conn_->Run(Sql::kRollback, "roll back");
    store_->ReleaseWriter();
    if (committed_) store_->EndIdleSnapshots();
    return;
  }
  // A reader that failed ends its snapshot; a healthy one keeps it for the next user.
  if (failed_ && !conn_->EndSnapshotUnless(std::nullopt)) return;
  store_->ReleaseReader(std::move(reader_));
}

}  // namespace

Result<std::unique_ptr<KvStore>> OpenSqlite(const std::string& path) {
  return SqliteStore::Open(path);
}

}  // namespace bulwark::storage
