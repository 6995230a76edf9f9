// The storage contract, run against every backend: each backend is one instantiation
// of KvStoreTest at the bottom of this file.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/kv.h"

namespace bulwark::storage {
namespace {

using namespace std::string_literals;

struct Backend {
  std::string name;
  // Opens, or reopens, the store whose data lives under the directory `dir`.
  std::function<Result<std::unique_ptr<KvStore>>(const std::string& dir)> open;
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

// Bytewise (unsigned) order, the order of the interface.
bool BytewiseLess(const std::string& a, const std::string& b) {
  int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  return c != 0 ? c < 0 : a.size() < b.size();
}

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/bulwark_kv_XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << std::strerror(errno);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class KvStoreTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto opened = GetParam().open(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
  }

  std::optional<std::string> MustGet(std::string_view key) {
    auto got = store_->Get(key);
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got.ok() ? *got : std::nullopt;
  }

  std::vector<std::string> ScanKeys(std::string_view prefix, std::string_view start_after = {},
                                    size_t limit = 0) {
    auto rows = store_->Scan(prefix, start_after, limit);
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    std::vector<std::string> keys;
    if (rows.ok()) {
      for (const KeyValue& kv : *rows) keys.push_back(kv.key);
    }
    return keys;
  }

  TempDir dir_;
  std::unique_ptr<KvStore> store_;
};

TEST_P(KvStoreTest, PutGetDeleteAndOverwrite) {
  EXPECT_EQ(MustGet("missing"), std::nullopt);
  ASSERT_TRUE(store_->Put("k", "v1").ok());
  EXPECT_EQ(MustGet("k"), "v1");
  ASSERT_TRUE(store_->Put("k", "v2").ok());
  EXPECT_EQ(MustGet("k"), "v2");
  ASSERT_TRUE(store_->Delete("k").ok());
  EXPECT_EQ(MustGet("k"), std::nullopt);
  // Deleting a missing key is not an error.
  EXPECT_TRUE(store_->Delete("k").ok());
  EXPECT_TRUE(store_->Delete("never-existed").ok());
}

TEST_P(KvStoreTest, EmptyValueIsNotAbsentAndEmptyKeyWorks) {
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(MustGet("empty"), ""s);
  ASSERT_TRUE(store_->Put("", "value of the empty key").ok());
  EXPECT_EQ(MustGet(""), "value of the empty key");
  EXPECT_EQ(ScanKeys(""), (std::vector<std::string>{"", "empty"}));
  ASSERT_TRUE(store_->Delete("").ok());
  EXPECT_EQ(MustGet(""), std::nullopt);
}

TEST_P(KvStoreTest, BinaryKeysAndValuesRoundTripAndScanInBytewiseOrder) {
  std::vector<std::string> keys = {"b"s,    "\xff"s,     "\x00"s,  ""s,       "\x00\x00"s,
                                   "\x01"s, "a"s,        "a\x00"s, "a\xff"s,  "\x7f"s,
                                   "\x80"s, "\xff\xff"s, "A"s,     "a\x00b"s, "\xfe\xff"s};
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string value = "v\x00\xff"s + std::to_string(i) + keys[i];
    ASSERT_TRUE(store_->Put(keys[i], value).ok());
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(MustGet(keys[i]), "v\x00\xff"s + std::to_string(i) + keys[i]) << i;
  }
  // A key that differs only after an embedded NUL is a different key.
  EXPECT_EQ(MustGet("a\x00c"s), std::nullopt);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end(), BytewiseLess);
  EXPECT_EQ(ScanKeys(""), sorted);
}

TEST_P(KvStoreTest, PrefixScanBoundsWithHighAndLowBytes) {
  for (const std::string& k :
       {"`"s, "a"s, "a\x00"s, "a\xff"s, "a\xff\xff"s, "a\xff\xff\x00"s, "ab"s, "b"s, "\xfe"s,
        "\xff"s, "\xff\x00"s, "\xff\xff"s, "\xff\xff\x01"s, "\x00"s, "\x00\xff"s, "\x01"s}) {
    ASSERT_TRUE(store_->Put(k, "x").ok());
  }
  EXPECT_EQ(ScanKeys("a"), (std::vector<std::string>{"a"s, "a\x00"s, "ab"s, "a\xff"s, "a\xff\xff"s,
                                                     "a\xff\xff\x00"s}));
  EXPECT_EQ(ScanKeys("a\xff"s),
            (std::vector<std::string>{"a\xff"s, "a\xff\xff"s, "a\xff\xff\x00"s}));
  EXPECT_EQ(ScanKeys("a\xff\xff"s), (std::vector<std::string>{"a\xff\xff"s, "a\xff\xff\x00"s}));
  EXPECT_EQ(ScanKeys("\xff"s),
            (std::vector<std::string>{"\xff"s, "\xff\x00"s, "\xff\xff"s, "\xff\xff\x01"s}));
  EXPECT_EQ(ScanKeys("\xff\xff"s), (std::vector<std::string>{"\xff\xff"s, "\xff\xff\x01"s}));
  EXPECT_EQ(ScanKeys("\x00"s), (std::vector<std::string>{"\x00"s, "\x00\xff"s}));
  EXPECT_EQ(ScanKeys("c"), std::vector<std::string>{});
  EXPECT_EQ(ScanKeys("a\x01"s), std::vector<std::string>{});
  EXPECT_EQ(ScanKeys("").size(), 16u);
}

// Against a reference model: random binary keys over an alphabet rich in boundary
// bytes, every short prefix, a range of start_after values and limits.
TEST_P(KvStoreTest, ScanMatchesReferenceModel) {
  const std::string alphabet = "\x00\x01\x7f\x80\xfe\xff"s + "a";
  std::mt19937 rng(20240601);
  std::map<std::string, std::string, decltype(&BytewiseLess)> model(&BytewiseLess);
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  for (int i = 0; i < 300; ++i) {
    std::string key;
    size_t len = rng() % 5;
    for (size_t j = 0; j < len; ++j) key.push_back(alphabet[rng() % alphabet.size()]);
    std::string value = std::to_string(i);
    model[key] = value;
    ASSERT_TRUE((*txn)->Put(key, value).ok());
  }
  ASSERT_TRUE((*txn)->Commit().ok());

  std::vector<std::string> prefixes = {""};
  for (char a : alphabet) {
    prefixes.push_back(std::string(1, a));
    for (char b : alphabet) prefixes.push_back(std::string{a, b});
  }
  std::vector<std::string> starts = {"",      "\x00"s,         "\x7f"s, "\x80\x80"s,
                                     "\xff"s, "\xff\xff\xff"s, "a",     "a\xff"s};
  for (const auto& [k, v] : model) {
    if (rng() % 10 == 0) starts.push_back(k);  // existing keys as cursors too
  }
  for (const std::string& prefix : prefixes) {
    for (const std::string& start : starts) {
      for (size_t limit : {size_t{0}, size_t{1}, size_t{3}}) {
        std::vector<std::string> expected;
        for (const auto& [k, v] : model) {
          if (!k.starts_with(prefix)) continue;
          if (!start.empty() && !BytewiseLess(start, k)) continue;
          expected.push_back(k);
          if (limit != 0 && expected.size() == limit) break;
        }
        ASSERT_EQ(ScanKeys(prefix, start, limit), expected)
            << "prefix=" << testing::PrintToString(prefix)
            << " start_after=" << testing::PrintToString(start) << " limit=" << limit;
      }
    }
  }
  // Values come back with their keys.
  auto rows = store_->Scan("");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), model.size());
  for (const KeyValue& kv : *rows) EXPECT_EQ(kv.value, model.at(kv.key));
}

TEST_P(KvStoreTest, PaginationWithStartAfterVisitsEveryKeyOnce) {
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "p/%03d", i);
    keys.push_back(buf);
    ASSERT_TRUE(store_->Put(buf, std::to_string(i)).ok());
  }
  ASSERT_TRUE(store_->Put("o", "before").ok());
  ASSERT_TRUE(store_->Put("q", "after").ok());
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  while (true) {
    std::vector<std::string> page = ScanKeys("p/", cursor, 10);
    if (page.empty()) break;
    ASSERT_LE(page.size(), 10u);
    seen.insert(seen.end(), page.begin(), page.end());
    cursor = page.back();
    ASSERT_LT(++pages, 10) << "pagination does not terminate";
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, keys);
  // A cursor that is not itself a key, before the prefix range, and after it.
  EXPECT_EQ(ScanKeys("p/", "p/0105", 2), (std::vector<std::string>{"p/011", "p/012"}));
  EXPECT_EQ(ScanKeys("p/", "a", 1), (std::vector<std::string>{"p/000"}));
  EXPECT_EQ(ScanKeys("p/", "p0"), std::vector<std::string>{});
  EXPECT_EQ(ScanKeys("p/", "p/024"), std::vector<std::string>{});
}

TEST_P(KvStoreTest, ScanLimits) {
  for (const char* k : {"l/a", "l/b", "l/c"}) ASSERT_TRUE(store_->Put(k, "x").ok());
  EXPECT_EQ(ScanKeys("l/", "", 1), (std::vector<std::string>{"l/a"}));
  EXPECT_EQ(ScanKeys("l/", "", 2).size(), 2u);
  EXPECT_EQ(ScanKeys("l/", "", 3).size(), 3u);
  EXPECT_EQ(ScanKeys("l/", "", 100).size(), 3u);
  EXPECT_EQ(ScanKeys("l/", "", 0).size(), 3u);  // 0 = no limit
  EXPECT_EQ(ScanKeys("l/", "", std::numeric_limits<size_t>::max()).size(), 3u);
}

TEST_P(KvStoreTest, LargeValueRoundTrips) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + 7);
  ASSERT_TRUE(store_->Put("big", big).ok());
  EXPECT_EQ(MustGet("big"), big);
}

TEST_P(KvStoreTest, CommittedTransactionIsVisibleOnlyAfterCommit) {
  ASSERT_TRUE(store_->Put("existing", "old").ok());
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok()) << txn.status().message();
  ASSERT_TRUE((*txn)->Put("x", "1").ok());
  ASSERT_TRUE((*txn)->Put("y", "2").ok());
  ASSERT_TRUE((*txn)->Delete("existing").ok());
  // Readers see committed data only.
  EXPECT_EQ(MustGet("x"), std::nullopt);
  EXPECT_EQ(MustGet("existing"), "old");
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_EQ(MustGet("x"), "1");
  EXPECT_EQ(MustGet("y"), "2");
  EXPECT_EQ(MustGet("existing"), std::nullopt);
}

TEST_P(KvStoreTest, TransactionDestroyedWithoutCommitRollsBack) {
  ASSERT_TRUE(store_->Put("keep", "original").ok());
  {
    auto txn = store_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Put("new", "value").ok());
    ASSERT_TRUE((*txn)->Put("keep", "changed").ok());
    ASSERT_TRUE((*txn)->Delete("keep").ok());
  }
  EXPECT_EQ(MustGet("new"), std::nullopt);
  EXPECT_EQ(MustGet("keep"), "original");
  // The store is usable again afterwards: the write lock was released.
  ASSERT_TRUE(store_->Put("after", "ok").ok());
  EXPECT_EQ(MustGet("after"), "ok");
}

TEST_P(KvStoreTest, TransactionReadsItsOwnWrites) {
  ASSERT_TRUE(store_->Put("r/gone", "1").ok());
  ASSERT_TRUE(store_->Put("r/stays", "2").ok());
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  Transaction& t = **txn;
  ASSERT_TRUE(t.Put("r/new", "3").ok());
  ASSERT_TRUE(t.Put("r/stays", "2b").ok());
  ASSERT_TRUE(t.Delete("r/gone").ok());
  auto got = t.Get("r/new");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "3");
  got = t.Get("r/gone");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::nullopt);
  auto rows = t.Scan("r/");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].key, "r/new");
  EXPECT_EQ((*rows)[1].key, "r/stays");
  EXPECT_EQ((*rows)[1].value, "2b");
}

TEST_P(KvStoreTest, FinishedTransactionRefusesFurtherUse) {
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Put("a", "1").ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  Status again = (*txn)->Commit();
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.kind(), ErrorKind::kInternalFailure);
  EXPECT_FALSE((*txn)->Put("b", "2").ok());
  EXPECT_FALSE((*txn)->Get("a").ok());
  EXPECT_EQ(MustGet("b"), std::nullopt);
  // Committing released the write lock even though the object still exists.
  EXPECT_TRUE(store_->Put("c", "3").ok());
}

TEST_P(KvStoreTest, ReadOnlyTransactionIsASnapshotAndRefusesWrites) {
  ASSERT_TRUE(store_->Put("s", "1").ok());
  auto ro = store_->BeginReadOnly();
  ASSERT_TRUE(ro.ok()) << ro.status().message();
  auto got = (*ro)->Get("s");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "1");
  // A writer commits meanwhile; the snapshot does not move.
  ASSERT_TRUE(store_->Put("s", "2").ok());
  ASSERT_TRUE(store_->Put("t", "new").ok());
  got = (*ro)->Get("s");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "1");
  auto rows = (*ro)->Scan("t");
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
  Status put = (*ro)->Put("u", "x");
  EXPECT_FALSE(put.ok());
  EXPECT_EQ(put.kind(), ErrorKind::kInternalFailure);
  EXPECT_FALSE((*ro)->Delete("s").ok());
  ro->reset();
  EXPECT_EQ(MustGet("s"), "2");
  EXPECT_EQ(MustGet("u"), std::nullopt);
}

TEST_P(KvStoreTest, SecondWriteOnTheSameThreadFailsInsteadOfDeadlocking) {
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  auto nested = store_->Begin();
  EXPECT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().kind(), ErrorKind::kInternalFailure);
  EXPECT_FALSE(store_->Put("k", "v").ok());
  auto cas = store_->CompareAndSet("k", std::nullopt, "v");
  EXPECT_FALSE(cas.ok());
  // Reads do not need the write lock.
  EXPECT_EQ(MustGet("k"), std::nullopt);
  ASSERT_TRUE((*txn)->Put("k", "from txn").ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_EQ(MustGet("k"), "from txn");
}

TEST_P(KvStoreTest, CompareAndSet) {
  // Absent → present.
  auto r = store_->CompareAndSet("c", std::nullopt, "1");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(*r);
  EXPECT_EQ(MustGet("c"), "1");
  // Expecting absence when present: no change.
  r = store_->CompareAndSet("c", std::nullopt, "2");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(MustGet("c"), "1");
  // Mismatch leaves the value.
  r = store_->CompareAndSet("c", "wrong", "2");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(MustGet("c"), "1");
  // The empty string is a value, not absence.
  r = store_->CompareAndSet("c", "", "2");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  // Match swaps.
  r = store_->CompareAndSet("c", "1", "2");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(MustGet("c"), "2");
  // Delete through nullopt.
  r = store_->CompareAndSet("c", "2", std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(MustGet("c"), std::nullopt);
  // Expecting a value of a missing key fails.
  r = store_->CompareAndSet("c", "2", "3");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(MustGet("c"), std::nullopt);
  // Absent → absent succeeds and leaves it absent.
  r = store_->CompareAndSet("c", std::nullopt, std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(MustGet("c"), std::nullopt);
  // Binary values compare bytewise.
  ASSERT_TRUE(store_->Put("b", "\x00\xff"s).ok());
  r = store_->CompareAndSet("b", "\x00"s, "x");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  r = store_->CompareAndSet("b", "\x00\xff"s, "x");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
}

TEST_P(KvStoreTest, ConcurrentCompareAndSetIncrementsAreExact) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 60;
  ASSERT_TRUE(store_->Put("counter", "0").ok());
  std::atomic<int> errors{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        while (true) {
          auto current = store_->Get("counter");
          if (!current.ok() || !current->has_value()) {
            ++errors;
            return;
          }
          std::string next = std::to_string(std::stoi(**current) + 1);
          auto swapped = store_->CompareAndSet("counter", *current, next);
          if (!swapped.ok()) {
            ++errors;
            return;
          }
          if (*swapped) break;
          ++conflicts;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(MustGet("counter"), std::to_string(kThreads * kIncrements));
}

TEST_P(KvStoreTest, ConcurrentReadersNeverSeeAHalfCommittedTransaction) {
  ASSERT_TRUE(store_->Put("pair/a", "0").ok());
  ASSERT_TRUE(store_->Put("pair/b", "0").ok());
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 1; i <= 40; ++i) {
        auto txn = store_->Begin();
        if (!txn.ok()) {
          ++errors;
          continue;
        }
        std::string v = std::to_string(w * 1000 + i);
        if (!(*txn)->Put("pair/a", v).ok() || !(*txn)->Put("pair/b", v).ok() ||
            !(*txn)->Commit().ok()) {
          ++errors;
        }
      }
    });
  }
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto rows = store_->Scan("pair/");
        if (!rows.ok() || rows->size() != 2) {
          ++errors;
          continue;
        }
        if ((*rows)[0].value != (*rows)[1].value) ++torn;
        auto ro = store_->BeginReadOnly();
        if (!ro.ok()) {
          ++errors;
          continue;
        }
        auto a = (*ro)->Get("pair/a");
        auto b = (*ro)->Get("pair/b");
        if (!a.ok() || !b.ok()) {
          ++errors;
          continue;
        }
        if (*a != *b) ++torn;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(torn.load(), 0);
}

TEST_P(KvStoreTest, DataSurvivesCloseAndReopen) {
  ASSERT_TRUE(store_->Put("durable", "yes").ok());
  ASSERT_TRUE(store_->Put("gone", "soon").ok());
  ASSERT_TRUE(store_->Delete("gone").ok());
  {
    auto txn = store_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Put("uncommitted", "no").ok());
  }
  Reopen();
  EXPECT_EQ(MustGet("durable"), "yes");
  EXPECT_EQ(MustGet("gone"), std::nullopt);
  EXPECT_EQ(MustGet("uncommitted"), std::nullopt);
  ASSERT_TRUE(store_->Put("second", "session").ok());
  Reopen();
  EXPECT_EQ(MustGet("durable"), "yes");
  EXPECT_EQ(MustGet("second"), "session");
}

// A child process commits puts one by one and acknowledges each after Commit() returns;
// it is killed with SIGKILL mid-way. Every acknowledged put must be there on reopen.
TEST_P(KvStoreTest, AcknowledgedCommitsSurviveSigkill) {
  store_.reset();  // the child opens its own store
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  constexpr int kMaxPuts = 1000000;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto child_store = GetParam().open(dir_.path());
    if (!child_store.ok()) ::_exit(2);
    for (int i = 0; i < kMaxPuts; ++i) {
      std::string key = "crash/" + std::to_string(i);
      auto txn = (*child_store)->Begin();
      if (!txn.ok()) ::_exit(3);
      if (!(*txn)->Put(key, "value-" + std::to_string(i)).ok()) ::_exit(4);
      if (!(*txn)->Put("crash/last", std::to_string(i)).ok()) ::_exit(5);
      if (!(*txn)->Commit().ok()) ::_exit(6);
      int32_t ack = i;
      if (::write(fds[1], &ack, sizeof(ack)) != sizeof(ack)) ::_exit(7);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  // Let it get going, then kill it without warning.
  int32_t last_ack = -1;
  int32_t ack = 0;
  while (last_ack < 500) {
    ssize_t n = ::read(fds[0], &ack, sizeof(ack));
    if (n != sizeof(ack)) break;
    EXPECT_EQ(ack, last_ack + 1);
    last_ack = ack;
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with status " << WEXITSTATUS(wstatus);
  // Acknowledgements written before the kill are still in the pipe.
  while (::read(fds[0], &ack, sizeof(ack)) == sizeof(ack)) {
    EXPECT_EQ(ack, last_ack + 1);
    last_ack = ack;
  }
  ::close(fds[0]);
  ASSERT_GE(last_ack, 500);

  Reopen();
  for (int32_t i = 0; i <= last_ack; ++i) {
    ASSERT_EQ(MustGet("crash/" + std::to_string(i)), "value-" + std::to_string(i)) << i;
  }
  // Each transaction was all-or-nothing: the last committed index has its own key.
  auto last = MustGet("crash/last");
  ASSERT_TRUE(last.has_value());
  int committed = std::stoi(*last);
  EXPECT_GE(committed, last_ack);
  EXPECT_LE(committed, last_ack + 1);  // at most one commit beat its acknowledgement
  EXPECT_EQ(MustGet("crash/" + std::to_string(committed)), "value-" + std::to_string(committed));
  EXPECT_EQ(MustGet("crash/" + std::to_string(committed + 1)), std::nullopt);
  // And the store still takes writes.
  ASSERT_TRUE(store_->Put("after-crash", "ok").ok());
}

INSTANTIATE_TEST_SUITE_P(
    Backends, KvStoreTest,
    testing::Values(Backend{"sqlite",
                            [](const std::string& dir) { return OpenSqlite(dir + "/kv.db"); }}),
    [](const testing::TestParamInfo<Backend>& info) { return info.param.name; });

TEST(PrefixUpperBoundTest, IncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(PrefixUpperBound("a"), "b");
  EXPECT_EQ(PrefixUpperBound("abc"), "abd");
  EXPECT_EQ(PrefixUpperBound("\x00"s), "\x01"s);
  EXPECT_EQ(PrefixUpperBound("a\x7f"s), "a\x80"s);
  EXPECT_EQ(PrefixUpperBound("a\xfe"s), "a\xff"s);
}

TEST(PrefixUpperBoundTest, DropsTrailing0xffBytes) {
  EXPECT_EQ(PrefixUpperBound("a\xff"s), "b");
  EXPECT_EQ(PrefixUpperBound("a\xff\xff"s), "b");
  EXPECT_EQ(PrefixUpperBound("\x00\xff"s), "\x01"s);
  EXPECT_EQ(PrefixUpperBound("\xff"
                             "a\xff"s),
            "\xff"
            "b"s);
}

TEST(PrefixUpperBoundTest, NoBoundForEmptyOrAll0xff) {
  EXPECT_EQ(PrefixUpperBound(""), std::nullopt);
  EXPECT_EQ(PrefixUpperBound("\xff"s), std::nullopt);
  EXPECT_EQ(PrefixUpperBound("\xff\xff\xff"s), std::nullopt);
}

TEST(PrefixUpperBoundTest, BoundIsAboveEveryExtensionAndBelowEveryOtherKey) {
  const std::string alphabet = "\x00\x01\x7f\x80\xfe\xff"s;
  std::vector<std::string> strings = {""};
  for (int len = 1; len <= 3; ++len) {
    std::vector<std::string> next;
    for (const std::string& s : strings) {
      if (static_cast<int>(s.size()) != len - 1) continue;
      for (char c : alphabet) next.push_back(s + c);
    }
    strings.insert(strings.end(), next.begin(), next.end());
  }
  for (const std::string& prefix : strings) {
    std::optional<std::string> bound = PrefixUpperBound(prefix);
    for (const std::string& key : strings) {
      bool in_range = !BytewiseLess(key, prefix) && (!bound || BytewiseLess(key, *bound));
      EXPECT_EQ(in_range, key.starts_with(prefix))
          << testing::PrintToString(prefix) << " " << testing::PrintToString(key);
    }
  }
}

}  // namespace
}  // namespace bulwark::storage
