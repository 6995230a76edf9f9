// What only the SQLite backend promises: file modes, WAL on disk, the schema and its
// version, and refusal of files it must not use.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "storage/kv.h"

namespace bulwark::storage {
namespace {

class SqliteStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/bulwark_sqlite_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;
    db_path_ = dir_ + "/kv.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static unsigned Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  // Runs one query with the raw SQLite API and returns the first column as text.
  static std::string RawQuery(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
        out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      }
      EXPECT_TRUE(rc == SQLITE_ROW || rc == SQLITE_DONE) << sqlite3_errmsg(db);
    } else {
      ADD_FAILURE() << sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

  // Whether a truncating checkpoint, which must wait for every reader of the WAL, is
  // held back by one (its first column, "busy", is then 1).
  bool CheckpointBlocked() const {
    return RawQuery(db_path_, "PRAGMA wal_checkpoint(TRUNCATE)") != "0";
  }

  std::string dir_;
  std::string db_path_;
};

TEST_F(SqliteStoreTest, FilesAreCreatedWithMode0600EvenUnderAPermissiveUmask) {
  mode_t old = ::umask(0);
  auto store = OpenSqlite(db_path_);
  ::umask(old);
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE((*store)->Put("k", "v").ok());
  EXPECT_EQ(Mode(db_path_), 0600u);
  ASSERT_TRUE(std::filesystem::exists(db_path_ + "-wal"));
  EXPECT_EQ(Mode(db_path_ + "-wal"), 0600u);
  ASSERT_TRUE(std::filesystem::exists(db_path_ + "-shm"));
  EXPECT_EQ(Mode(db_path_ + "-shm"), 0600u);
}

TEST_F(SqliteStoreTest, ExistingWorldReadableFilesAreNarrowedTo0600) {
  {
    auto store = OpenSqlite(db_path_);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("k", "v").ok());
  }
  ASSERT_EQ(::chmod(db_path_.c_str(), 0644), 0);
  // A write-ahead log left behind, world-writable (an empty log is a valid one).
  { std::ofstream wal(db_path_ + "-wal"); }
  ASSERT_EQ(::chmod((db_path_ + "-wal").c_str(), 0666), 0);
  auto store = OpenSqlite(db_path_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(Mode(db_path_), 0600u);
  EXPECT_EQ(Mode(db_path_ + "-wal"), 0600u);
  auto got = (*store)->Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "v");
}

TEST_F(SqliteStoreTest, DatabaseIsInWalModeOnDisk) {
  {
    auto store = OpenSqlite(db_path_);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("k", "v").ok());
  }
  // The file header's read and write format versions (bytes 18 and 19) are 2 for WAL.
  std::ifstream in(db_path_, std::ios::binary);
  std::string header(100, '\0');
  in.read(header.data(), header.size());
  ASSERT_EQ(in.gcount(), 100);
  EXPECT_EQ(header.substr(0, 16), std::string("SQLite format 3\0", 16));
  EXPECT_EQ(header[18], 2);
  EXPECT_EQ(header[19], 2);
  EXPECT_EQ(RawQuery(db_path_, "PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, SchemaIsOneWithoutRowidTableAndAVersion) {
  {
    auto store = OpenSqlite(db_path_);
    ASSERT_TRUE(store.ok());
  }
  std::string sql = RawQuery(db_path_, "SELECT sql FROM sqlite_master WHERE name = 'kv'");
  EXPECT_NE(sql.find("WITHOUT ROWID"), std::string::npos) << sql;
  EXPECT_NE(sql.find("key BLOB PRIMARY KEY"), std::string::npos) << sql;
  EXPECT_EQ(RawQuery(db_path_, "SELECT version FROM schema_version"), "1");
  EXPECT_EQ(RawQuery(db_path_, "SELECT count(*) FROM schema_version"), "1");
  // Reopening does not migrate again.
  {
    auto store = OpenSqlite(db_path_);
    ASSERT_TRUE(store.ok()) << store.status().message();
  }
  EXPECT_EQ(RawQuery(db_path_, "SELECT count(*) FROM schema_version"), "1");
}

TEST_F(SqliteStoreTest, KeysAreStoredAsBlobs) {
  auto store = OpenSqlite(db_path_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("text-looking", "value").ok());
  store->reset();
  EXPECT_EQ(RawQuery(db_path_, "SELECT typeof(key) || ',' || typeof(value) FROM kv"), "blob,blob");
}

TEST_F(SqliteStoreTest, RefusesASchemaNewerThanItKnows) {
  {
    auto store = OpenSqlite(db_path_);
    ASSERT_TRUE(store.ok());
  }
  RawQuery(db_path_, "UPDATE schema_version SET version = 99");
  auto store = OpenSqlite(db_path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().kind(), ErrorKind::kInternalFailure);
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos)
      << store.status().message();
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  {
    std::ofstream out(db_path_, std::ios::binary);
    std::string junk(4096, '\x5a');
    out << "this is not an sqlite database" << junk;
  }
  auto store = OpenSqlite(db_path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().kind(), ErrorKind::kInternalFailure);
  EXPECT_TRUE(store.status().message().starts_with("storage: ")) << store.status().message();
  // The path is not echoed into the message.
  EXPECT_EQ(store.status().message().find(dir_), std::string::npos);
}

TEST_F(SqliteStoreTest, RefusesADirectoryAMissingDirectoryAndAnEmptyPath) {
  auto dir = OpenSqlite(dir_);
  EXPECT_FALSE(dir.ok());
  auto missing = OpenSqlite(dir_ + "/no/such/dir/kv.db");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kInternalFailure);
  auto empty = OpenSqlite("");
  EXPECT_FALSE(empty.ok());
}

TEST_F(SqliteStoreTest, RelativePathIsAFileNameNeverAUri) {
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  auto store = OpenSqlite("file:kv.db?mode=memory");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE((*store)->Put("k", "v").ok());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/file:kv.db?mode=memory"));
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileSerializeWriters) {
  // As two processes would: separate stores, one file, busy timeout instead of errors.
  auto a = OpenSqlite(db_path_);
  auto b = OpenSqlite(db_path_);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*a)->Put("n", "0").ok());
  auto bump = [](KvStore& s) {
    for (int i = 0; i < 30; ++i) {
      while (true) {
        auto cur = s.Get("n");
        ASSERT_TRUE(cur.ok()) << cur.status().message();
        auto ok = s.CompareAndSet("n", *cur, std::to_string(std::stoi(**cur) + 1));
        ASSERT_TRUE(ok.ok()) << ok.status().message();
        if (*ok) break;
      }
    }
  };
  std::thread ta([&] { bump(**a); });
  std::thread tb([&] { bump(**b); });
  ta.join();
  tb.join();
  auto n = (*a)->Get("n");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, "60");
}

TEST_F(SqliteStoreTest, KeptSnapshotsNeverHideACommitOfThisStoreOrAnother) {
  // Readers keep their snapshot between transactions while nobody commits; every commit,
  // by this store's writer or by another store (as another process would), ends that.
  auto a = OpenSqlite(db_path_);
  auto b = OpenSqlite(db_path_);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 50; ++i) {
    KvStore& writer = (i % 2 == 0) ? **a : **b;
    const std::string value = std::to_string(i);
    ASSERT_TRUE(writer.Put("k", value).ok());
    for (KvStore* reader : {&**a, &**b}) {
      auto got = reader->Get("k");
      ASSERT_TRUE(got.ok()) << got.status().message();
      ASSERT_EQ(*got, value) << "round " << i;
      auto rows = reader->Scan("k");
      ASSERT_TRUE(rows.ok());
      ASSERT_EQ(rows->size(), 1u);
      EXPECT_EQ((*rows)[0].value, value);
    }
  }
}

TEST_F(SqliteStoreTest, AnIdleReaderKeepsItsSnapshotOnlyUntilTheNextCommit) {
  auto store = OpenSqlite(db_path_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("k", "1").ok());
  auto got = (*store)->Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "1");
  // The idle reader still holds the snapshot its transaction read...
  EXPECT_TRUE(CheckpointBlocked());
  // ...until this store commits again: then no snapshot outlives the commit.
  ASSERT_TRUE((*store)->Put("k", "2").ok());
  EXPECT_FALSE(CheckpointBlocked());
  got = (*store)->Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "2");
}

TEST_F(SqliteStoreTest, ReleaseIdleEndsSnapshotsThatAnotherStoresCommitMadeStale) {
  auto a = OpenSqlite(db_path_);
  auto b = OpenSqlite(db_path_);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Put("k", "1").ok());
  ASSERT_TRUE((*a)->Get("k").ok());
  // Nobody has committed since: the idle reader's snapshot is current, and kept.
  (*a)->ReleaseIdle();
  EXPECT_TRUE(CheckpointBlocked());
  // A commit in the other store (another process) does not reach this one's idle reader
  // by itself; ReleaseIdle ends its snapshot.
  ASSERT_TRUE((*b)->Put("k", "2").ok());
  EXPECT_TRUE(CheckpointBlocked());
  (*a)->ReleaseIdle();
  EXPECT_FALSE(CheckpointBlocked());
  auto got = (*a)->Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "2");
}

}  // namespace
}  // namespace bulwark::storage
