// The audit journal: durable appends, newest-first and oldest-first scans that resume
// where they stopped, torn lines skipped, the feed, pruning, and write failures reported
// to the appends they concern.
#include "services/cloudtrail/event_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

namespace bulwark::cloudtrail {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1796320800000;  // 2026-12-03T18:00:00Z
constexpr int64_t kHourMs = 3600 * 1000;

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bulwark-events-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<EventLog> Open() {
    EventLog::Options options;
    options.dir = dir_.string();
    options.flush_interval = std::chrono::milliseconds(20);
    auto log = EventLog::Open(options);
    EXPECT_TRUE(log.ok()) << log.status().message();
    return std::move(log).value();
  }

  static Event Make(int64_t time_ms, int n, std::string account = "111122223333") {
    Event e;
    e.index.time_ms = time_ms;
    e.index.account = std::move(account);
    e.index.region = "us-east-1";
    e.index.event_id = "id-" + std::to_string(n);
    e.index.event_name = n % 2 ? "Encrypt" : "CreateKey";
    e.index.event_source = "kms.amazonaws.com";
    e.index.username = "alice";
    e.index.access_key_id = "AKIAEXAMPLE";
    e.index.read_only = n % 2 == 1;
    e.index.resources = {
        {"AWS::KMS::Key", "arn:aws:kms:us-east-1:111122223333:key/k" + std::to_string(n)}};
    e.record = nlohmann::json{{"eventID", e.index.event_id}, {"n", n}}.dump();
    return e;
  }

  std::vector<std::string> Backward(EventLog& log, Position before = {}, size_t limit = 0,
                                    Position* last = nullptr) {
    std::vector<std::string> ids;
    EXPECT_TRUE(log.ScanBackward(before, "",
                                 [&](const EventView& e, const Position& at) {
                                   if (limit && ids.size() == limit) return false;
                                   ids.emplace_back(e.event_id);
                                   if (last) *last = at;
                                   return true;
                                 })
                    .ok());
    return ids;
  }

  fs::path dir_;
};

TEST_F(EventLogTest, LineRoundTripsAndSanitizesIndexFields) {
  Event e = Make(kT0, 1);
  e.index.username = "bad\tname\nx";
  e.index.resources.push_back({"AWS::IAM::User", "arn:aws:iam::111122223333:user/u\x1f"});
  std::string line;
  AppendEventLine(e, &line);
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EventView v;
  ASSERT_TRUE(ParseEventLine(line, &v));
  EXPECT_EQ(v.time_ms, kT0);
  EXPECT_EQ(v.username, "bad?name?x");
  EXPECT_EQ(v.event_name, "Encrypt");
  EXPECT_TRUE(v.read_only);
  EXPECT_EQ(v.record, e.record);
  std::vector<std::pair<std::string, std::string>> resources;
  v.ForEachResource([&](std::string_view t, std::string_view n) {
    resources.emplace_back(t, n);
    return true;
  });
  ASSERT_EQ(resources.size(), 2u);
  EXPECT_EQ(resources[1].second, "arn:aws:iam::111122223333:user/u?");
  // Malformed lines are refused.
  for (std::string bad : {std::string(), std::string("1\t2"), line.substr(0, line.size() - 1),
                          "2" + line.substr(1), line.substr(0, 2) + "x" + line.substr(2)}) {
    EXPECT_FALSE(ParseEventLine(bad, &v)) << bad;
  }
}

TEST_F(EventLogTest, DurableAppendIsOnDiskAndScansNewestFirst) {
  auto log = Open();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(Make(kT0 + i, i), true).ok());
  // Durable: in the file before Append returned, without a flush.
  std::ifstream in(dir_ / EventLog::SegmentOf(kT0));
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), 5);
  EXPECT_EQ(Backward(*log), (std::vector<std::string>{"id-4", "id-3", "id-2", "id-1", "id-0"}));
  EXPECT_EQ(fs::status(dir_ / EventLog::SegmentOf(kT0)).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(EventLogTest, ScansResumeAcrossChunksAndSegments) {
  auto log = Open();
  // Enough events, over three hours, that a segment spans several read chunks.
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    Event e = Make(kT0 + static_cast<int64_t>(i) * (3 * kHourMs / n), i);
    e.record = nlohmann::json{{"n", i}, {"pad", std::string(300, 'x')}}.dump();
    ASSERT_TRUE(log->Append(std::move(e), false).ok());
  }
  ASSERT_TRUE(log->Flush().ok());
  auto segments = log->Segments();
  ASSERT_TRUE(segments.ok());
  EXPECT_EQ(segments->size(), 3u);
  // Pages of 7, each resuming before the last one seen, visit every event once.
  std::vector<std::string> all;
  Position before;
  while (true) {
    Position last;
    auto page = Backward(*log, before, 7, &last);
    if (page.empty()) break;
    all.insert(all.end(), page.begin(), page.end());
    before = last;
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(all[i], "id-" + std::to_string(n - 1 - i));
  // Forward, resuming after the last one seen.
  std::vector<std::string> forward;
  Position from;
  while (true) {
    size_t got = 0;
    ASSERT_TRUE(log->ScanForward(from,
                                 [&](const EventView& e, const Position& at) {
                                   forward.emplace_back(e.event_id);
                                   from = at;
                                   return ++got < 11;
                                 })
                    .ok());
    if (got == 0) break;
  }
  ASSERT_EQ(forward.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(forward[i], "id-" + std::to_string(i));
}

TEST_F(EventLogTest, TornLineFromACrashIsSkipped) {
  {
    auto log = Open();
    ASSERT_TRUE(log->Append(Make(kT0, 0), true).ok());
  }
  {
    std::ofstream out(dir_ / EventLog::SegmentOf(kT0), std::ios::app);
    out << "1\t123\t111122223333\tus-east-1\tid-torn\tEnc";  // no newline: torn
  }
  auto log = Open();
  ASSERT_TRUE(log->Append(Make(kT0 + 1, 1), true).ok());
  EXPECT_EQ(Backward(*log), (std::vector<std::string>{"id-1", "id-0"}));
}

TEST_F(EventLogTest, ConcurrentDurableAppendsAllLandOnceAndFeedSeesThemInOrder) {
  auto log = Open();
  std::vector<std::string> fed;
  log->Subscribe([&](const EventView& e) { fed.emplace_back(e.event_id); });
  constexpr int kThreads = 8, kEach = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!log->Append(Make(kT0 + i, t * kEach + i), i % 3 == 0).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(failures.load(), 0);
  auto ids = Backward(*log);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  // The feed saw each event once, in the journal's order.
  ASSERT_EQ(fed.size(), ids.size());
  EXPECT_TRUE(std::equal(fed.begin(), fed.end(), ids.rbegin()));
}

TEST_F(EventLogTest, WriteFailureFailsTheDurableAppend) {
  auto log = Open();
  // The segment's path is a directory: it cannot be opened for writing (even by root).
  fs::create_directories(dir_ / EventLog::SegmentOf(kT0));
  Status st = log->Append(Make(kT0, 0), true);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.kind(), ErrorKind::kInternalFailure);
  // The next hour writes again.
  EXPECT_TRUE(log->Append(Make(kT0 + kHourMs, 1), true).ok());
}

// AppendLineThen returns at once; its callback hears once the line is in the file, or
// of the failure that kept it out. Appends from many threads share the writes.
TEST_F(EventLogTest, AppendLineThenCallsBackOnceWrittenOrFailed) {
  auto log = Open();
  constexpr int kThreads = 4, kEach = 50;
  std::mutex mu;
  std::condition_variable cv;
  int called = 0, ok = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string line;
        AppendEventLine(Make(kT0 + i, t * kEach + i), &line);
        log->AppendLineThen(line, [&](const Status& st) {
          std::lock_guard lock(mu);
          ++called;
          ok += st.ok();
          cv.notify_all();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(30), [&] { return called == kThreads * kEach; }));
  }
  EXPECT_EQ(ok, kThreads * kEach);
  // Every line is in the file once (read without a Flush).
  std::ifstream in(dir_ / EventLog::SegmentOf(kT0));
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), kThreads * kEach);

  // A line its segment cannot take: the callback hears of the failure.
  fs::create_directories(dir_ / EventLog::SegmentOf(kT0 + 2 * kHourMs));
  std::promise<Status> failed;
  std::string line;
  AppendEventLine(Make(kT0 + 2 * kHourMs, 999), &line);
  log->AppendLineThen(line, [&](const Status& st) { failed.set_value(st); });
  auto result = failed.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(result.get().kind(), ErrorKind::kInternalFailure);
  // Not one journal line: refused at once.
  Status refused;
  log->AppendLineThen("no newline", [&](const Status& st) { refused = st; });
  EXPECT_FALSE(refused.ok());
}

// Lines appended without durability are written within the flush interval.
TEST_F(EventLogTest, NonDurableAppendIsWrittenWithinTheInterval) {
  auto log = Open();
  ASSERT_TRUE(log->Append(Make(kT0, 0), false).ok());
  std::string content;
  for (int i = 0; i < 500 && content.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in(dir_ / EventLog::SegmentOf(kT0));
    content.assign((std::istreambuf_iterator<char>(in)), {});
  }
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), 1);
}

TEST_F(EventLogTest, PruneDeletesHoursOutsideTheWindow) {
  auto log = Open();
  for (int h = 0; h < 5; ++h) ASSERT_TRUE(log->Append(Make(kT0 + h * kHourMs, h), true).ok());
  ASSERT_TRUE(log->Prune(kT0 + 3 * kHourMs + 10).ok());
  auto segments = log->Segments();
  ASSERT_TRUE(segments.ok());
  // Hours 0 and 1 ended more than an hour before the cut; hour 2 may hold late events.
  EXPECT_EQ(*segments, (std::vector<std::string>{EventLog::SegmentOf(kT0 + 2 * kHourMs),
                                                 EventLog::SegmentOf(kT0 + 3 * kHourMs),
                                                 EventLog::SegmentOf(kT0 + 4 * kHourMs)}));
}

}  // namespace
}  // namespace bulwark::cloudtrail
