#include "services/cloudtrail/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/json_text.h"

namespace bulwark::cloudtrail {
namespace {

constexpr size_t kFields = 12;
constexpr int64_t kHourMs = 3600 * 1000;
constexpr size_t kChunk = 256 * 1024;
// A line longer than this is not one the server wrote (records are capped well below).
constexpr size_t kMaxLine = 8 * 1024 * 1024;
// Failures kept for the durable appends still waiting to learn of them.
constexpr size_t kKeptFailures = 1024;
// Bytes of lines waiting to be written at most, before non-durable appends wait for the
// disk; and the amount that wakes the writer before its interval.
constexpr size_t kMaxPendingBytes = 64u << 20;
constexpr size_t kWakeBytes = 256u << 10;
// Lines appended without `durable` reach the disk (fdatasync) at most this long after
// they are written; durable ones before their append returns.
constexpr std::chrono::seconds kSyncInterval{1};
constexpr std::chrono::microseconds kGroupCommitDelay{1000};

Status Errno(const std::string& what) {
  return Status(ErrorKind::kInternalFailure, what + ": " + std::strerror(errno));
}

void AppendIndexField(std::string* out, std::string_view s) {
  const size_t start = out->size();
  out->append(s);
  for (size_t i = start; i < out->size(); ++i) {
    if (static_cast<unsigned char>((*out)[i]) < 0x20) (*out)[i] = '?';
  }
}

bool IsSegmentName(std::string_view name) {
  return name.size() == 10 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write audit event");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<int> OpenForReading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open " + path);
  return fd;
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

Status ReadAt(int fd, uint64_t offset, size_t n, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read audit events");
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  out->resize(done);
  return Status::Ok();
}

}  // namespace

bool ParseEventLine(std::string_view line, EventView* out) {
  std::string_view f[kFields];
  for (size_t i = 0; i + 1 < kFields; ++i) {
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) return false;
    f[i] = line.substr(0, tab);
    line.remove_prefix(tab + 1);
  }
  f[kFields - 1] = line;
  if (f[0] != "1" || (f[9] != "0" && f[9] != "1")) return false;
  if (f[11].empty() || f[11].front() != '{' || f[11].back() != '}') return false;
  int64_t t = 0;
  auto [p, ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), t);
  if (ec != std::errc() || p != f[1].data() + f[1].size() || t < 0) return false;
  out->time_ms = t;
  out->account = f[2];
  out->region = f[3];
  out->event_id = f[4];
  out->event_name = f[5];
  out->event_source = f[6];
  out->username = f[7];
  out->access_key_id = f[8];
  out->read_only = f[9] == "1";
  out->resources = f[10];
  out->record = f[11];
  return true;
}

void AppendEventLine(const EventView& x, std::string* out) {
  out->append("1\t");
  AppendDecimal(*out, std::max<int64_t>(x.time_ms, 0));
  for (std::string_view s : {x.account, x.region, x.event_id, x.event_name, x.event_source,
                             x.username, x.access_key_id}) {
    out->push_back('\t');
    AppendIndexField(out, s);
  }
  out->append(x.read_only ? "\t1\t" : "\t0\t");
  // The resources keep their separators; anything else below 0x20 becomes '?'.
  const size_t start = out->size();
  out->append(x.resources);
  for (size_t i = start; i < out->size(); ++i) {
    const char c = (*out)[i];
    if (static_cast<unsigned char>(c) < 0x20 && c != '\x1e' && c != '\x1f') (*out)[i] = '?';
  }
  out->push_back('\t');
  // The record is one line of JSON (its writers escape newlines); one that is not would
  // split the line, so its newlines are replaced all the same.
  const size_t record = out->size();
  out->append(x.record);
  for (char c : {'\n', '\r'}) {
    for (size_t at = out->find(c, record); at != std::string::npos; at = out->find(c, at + 1)) {
      (*out)[at] = ' ';
    }
  }
  out->push_back('\n');
}

void AppendEventLine(const Event& event, std::string* out) {
  const EventIndex& x = event.index;
  std::string resources;
  for (size_t i = 0; i < x.resources.size(); ++i) {
    if (i > 0) resources.push_back('\x1e');
    AppendIndexField(&resources, x.resources[i].type);
    resources.push_back('\x1f');
    AppendIndexField(&resources, x.resources[i].name);
  }
  EventView view;
  view.time_ms = x.time_ms;
  view.account = x.account;
  view.region = x.region;
  view.event_id = x.event_id;
  view.event_name = x.event_name;
  view.event_source = x.event_source;
  view.username = x.username;
  view.access_key_id = x.access_key_id;
  view.read_only = x.read_only;
  view.resources = resources;
  view.record = event.record;
  AppendEventLine(view, out);
}

std::string EventLog::SegmentOf(int64_t time_ms) {
  std::time_t secs = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string name;
  AppendDecimal(name, tm.tm_year + 1900, 4);
  AppendDecimal(name, tm.tm_mon + 1, 2);
  AppendDecimal(name, tm.tm_mday, 2);
  AppendDecimal(name, tm.tm_hour, 2);
  return name;
}

EventLog::EventLog(const Options& options)
    : dir_(options.dir), flush_interval_(options.flush_interval) {}

Result<std::unique_ptr<EventLog>> EventLog::Open(const Options& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return Status(ErrorKind::kInternalFailure, "mkdir " + options.dir + ": " + ec.message());
  }
  if (::chmod(options.dir.c_str(), 0700) != 0) return Errno("chmod " + options.dir);
  std::unique_ptr<EventLog> log(new EventLog(options));
  // A segment left by a crash may end in a torn line: the next write starts a new one.
  ASSIGN_OR_RETURN(std::vector<std::string> segments, log->Segments());
  if (!segments.empty()) {
    const std::string path = options.dir + "/" + segments.back();
    ASSIGN_OR_RETURN(int fd, OpenForReading(path));
    FdCloser closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      std::string last;
      RETURN_IF_ERROR(ReadAt(fd, static_cast<uint64_t>(st.st_size) - 1, 1, &last));
      log->torn_ = last != "\n";
    }
  }
  log->flusher_ = std::thread([l = log.get()] { l->FlushLoop(); });
  return log;
}

EventLog::~EventLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (flusher_.joinable()) flusher_.join();
  (void)Flush();
  if (fd_ >= 0) ::close(fd_);
}

void EventLog::Subscribe(Subscriber fn) {
  std::lock_guard lock(mu_);
  subscribers_.push_back(std::move(fn));
}

Status EventLog::Append(const Event& event, bool durable) {
  // The line is made on the appending thread, in a buffer it keeps: the shared queue only
  // takes a copy of its bytes, and nothing allocated here is freed by the writer.
  thread_local std::string line;
  line.clear();
  AppendEventLine(event, &line);
  Status st = AppendLine(line, durable);
  if (line.capacity() > 64 * 1024) line = std::string();
  return st;
}

Status EventLog::AppendLine(std::string_view line, bool durable) {
  if (line.size() < 2 || line.back() != '\n') {
    return Status(ErrorKind::kInternalFailure, "not one journal line");
  }
  std::unique_lock lock(mu_);
  pending_.append(line);
  const uint64_t seq = ++appended_;
  if (!durable) {
    // Memory is bounded: past kMaxPendingBytes (a disk that stalls), appends wait.
    if (pending_.size() >= kMaxPendingBytes) return WaitWritten(lock, seq, /*durable=*/false);
    if (pending_.size() >= kWakeBytes) wake_.notify_one();
    return Status::Ok();
  }
  return WaitWritten(lock, seq, /*durable=*/true);
}

void EventLog::AppendLineThen(std::string_view line, Written done) {
  if (line.size() < 2 || line.back() != '\n') {
    return done(Status(ErrorKind::kInternalFailure, "not one journal line"));
  }
  std::unique_lock lock(mu_);
  pending_.append(line);
  const uint64_t seq = ++appended_;
  waiters_.push_back(std::move(done));
  if (pending_.size() >= kMaxPendingBytes) {
    (void)WaitWritten(lock, seq, /*durable=*/false);  // memory is bounded, as for AppendLine
    return;
  }
  wake_.notify_one();
}

Status EventLog::Flush() {
  std::unique_lock lock(mu_);
  return WaitWritten(lock, appended_, /*durable=*/true);
}

Status EventLog::WaitWritten(std::unique_lock<std::mutex>& lock, uint64_t seq, bool durable) {
  while (durable ? synced_ < seq : written_ < seq) {
    if (writing_) {
      written_cv_.wait(lock);
      continue;
    }
    // This thread writes everything pending, its own event included. The queue and the
    // batch trade buffers, so both keep their capacity.
    writing_ = true;
    batch_.swap(pending_);
    const uint64_t first = written_ + 1;
    const uint64_t unsynced = synced_ + 1;  // the first line a sync now makes durable
    const uint64_t last = appended_;
    std::vector<Subscriber> subscribers = subscribers_;
    std::vector<Written> waiters;
    waiters.swap(waiters_);
    const auto now = std::chrono::steady_clock::now();
    const bool sync = durable || !waiters.empty() || now - last_sync_ >= kSyncInterval;
    lock.unlock();
    Status st = WriteBatch(batch_, sync);
    // Before written_ moves, so that Flush returns only after every callback ran.
    for (const Written& done : waiters) done(st);
    if (st.ok() && !subscribers.empty()) {
      std::string_view rest = batch_;
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        EventView view;
        if (ParseEventLine(rest.substr(0, nl), &view)) {
          for (const Subscriber& fn : subscribers) {
            try {
              fn(view);
            } catch (...) {
              // A consumer's failure is its own; the journal goes on.
            }
          }
        }
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      }
    }
    batch_.clear();
    if (batch_.capacity() > 4 * kMaxPendingBytes) batch_ = std::string();
    lock.lock();
    if (!st.ok()) {
      // A failed sync leaves every line since the last good one in doubt.
      failures_.push_back({sync ? unsynced : first, last, st});
      if (failures_.size() > kKeptFailures) failures_.pop_front();
    }
    written_ = last;
    if (sync) {
      synced_ = last;  // the lines failed or are on disk: their waiters may go on
      last_sync_ = now;
    }
    writing_ = false;
    written_cv_.notify_all();
  }
  for (const Failure& f : failures_) {
    if (seq >= f.first && seq <= f.last) return f.status;
  }
  return Status::Ok();
}

namespace {

// The hour (since the epoch) of a journal line's event, from its time field; -1 when the
// line has none.
int64_t HourOfLine(std::string_view line) {
  if (line.size() < 3 || line[0] != '1' || line[1] != '\t') return -1;
  line.remove_prefix(2);
  int64_t t = 0;
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), t);
  if (ec != std::errc() || p == line.data()) return -1;
  return t / kHourMs;
}

}  // namespace

Status EventLog::WriteBatch(std::string_view batch, bool sync) {
  while (!batch.empty()) {
    // The lines of one hour's file: a later hour starts a new file; lines of an earlier
    // hour (a slow request) stay in the current one.
    const int64_t hour = HourOfLine(batch);
    if (fd_ < 0 || hour > hour_) {
      const std::string segment = SegmentOf(std::max<int64_t>(hour, 0) * kHourMs);
      const std::string path = dir_ + "/" + segment;
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd < 0) return Errno("open " + path);
      // What the old file holds unsynced reaches the disk before it is closed.
      if (fd_ >= 0 && dirty_ && ::fdatasync(fd_) != 0) {
        Status st = Errno("fdatasync audit events");
        ::close(fd);
        return st;
      }
      if (fd_ >= 0) ::close(fd_);
      dirty_ = false;
      fd_ = fd;
      hour_ = std::max<int64_t>(hour, 0);
      // The new file's name is durable too.
      int dirfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dirfd >= 0) {
        ::fsync(dirfd);
        ::close(dirfd);
      }
    }
    size_t end = 0;
    while (end < batch.size()) {
      const size_t nl = batch.find('\n', end);
      const size_t next = nl == std::string_view::npos ? batch.size() : nl + 1;
      if (end > 0 && HourOfLine(batch.substr(end)) > hour_) break;
      end = next;
    }
    Status st = torn_ ? WriteAll(fd_, "\n") : Status::Ok();
    if (st.ok()) st = WriteAll(fd_, batch.substr(0, end));
    if (!st.ok()) {
      torn_ = true;
      return st;
    }
    torn_ = false;
    dirty_ = true;
    batch.remove_prefix(end);
  }
  if (sync && dirty_) {
    if (::fdatasync(fd_) != 0) {
      torn_ = true;  // what reached the disk may end anywhere
      return Errno("fdatasync audit events");
    }
    dirty_ = false;
  }
  return Status::Ok();
}

void EventLog::FlushLoop() {
  std::unique_lock lock(mu_);
  bool stream = false;  // durable lines came while the last durable batch was written
  while (!stop_) {
    if (waiters_.empty()) {
      wake_.wait_for(lock, flush_interval_);
    } else if (stream) {
      // Group commit: under a stream of durable appends, a moment's wait lets one
      // fdatasync cover several of them (a lone one is written at once).
      wake_.wait_for(lock, kGroupCommitDelay,
                     [&] { return stop_ || pending_.size() >= kWakeBytes; });
    }
    if (stop_) break;
    // Lines written without a sync reach the disk within kSyncInterval.
    const bool sync_due =
        synced_ < written_ && std::chrono::steady_clock::now() - last_sync_ >= kSyncInterval;
    if (written_ < appended_ || sync_due) {
      const bool durable = !waiters_.empty();
      Status st = WaitWritten(lock, appended_, /*durable=*/sync_due);
      if (!st.ok()) {
        std::fprintf(stderr, "bulwark: audit events not written: %s\n", st.message().c_str());
      }
      stream = durable && !waiters_.empty();
    }
  }
}

Result<std::vector<std::string>> EventLog::Segments() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (IsSegmentName(name)) out.push_back(std::move(name));
  }
  if (ec) return Status(ErrorKind::kInternalFailure, "list " + dir_ + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Status EventLog::ScanBackward(const Position& before, std::string_view oldest_segment,
                              const Visitor& fn) const {
  ASSIGN_OR_RETURN(std::vector<std::string> segments, Segments());
  std::string chunk, line;
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    const std::string& segment = *it;
    if (!before.segment.empty() && segment > before.segment) continue;
    if (!oldest_segment.empty() && segment < oldest_segment) break;
    Result<int> opened = OpenForReading(dir_ + "/" + segment);
    if (!opened.ok()) continue;  // pruned meanwhile
    FdCloser closer{*opened};
    struct stat st {};
    if (::fstat(closer.fd, &st) != 0) return Errno("stat " + segment);
    uint64_t end = static_cast<uint64_t>(st.st_size);
    if (segment == before.segment) end = std::min(end, before.offset);
    // Lines are read from the end in chunks; `tail` holds the start of the chunk read
    // last, a line whose beginning is in the chunk before.
    std::string tail;
    uint64_t pos = end;
    // Only whole lines: an unfinished last line (being written) is left for later.
    bool at_line_end = false;
    while (true) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, pos));
      pos -= n;
      RETURN_IF_ERROR(ReadAt(closer.fd, pos, n, &chunk));
      chunk.append(tail);
      size_t stop = chunk.size();  // the end of the text not yet visited
      if (!at_line_end) {
        size_t nl = chunk.rfind('\n');
        if (nl == std::string::npos) {
          if (pos == 0) break;
          tail = std::move(chunk);
          continue;
        }
        stop = nl + 1;
        at_line_end = true;
      }
      // Visit the complete lines in chunk[..stop), last first. A line whose start is not
      // in this chunk waits for the next read (unless the file starts here).
      while (stop > 0) {
        const size_t line_end = stop - 1;  // chunk[line_end] == '\n'
        size_t start = line_end == 0 ? std::string::npos : chunk.rfind('\n', line_end - 1);
        if (start == std::string::npos && pos > 0) break;
        start = start == std::string::npos ? 0 : start + 1;
        std::string_view text(chunk.data() + start, line_end - start);
        EventView view;
        if (ParseEventLine(text, &view)) {
          if (!fn(view, Position{segment, pos + start})) return Status::Ok();
        }
        stop = start;
      }
      if (pos == 0) break;
      tail.assign(chunk, 0, stop);
      if (tail.size() > kMaxLine) tail.clear();  // not a line of ours
    }
  }
  return Status::Ok();
}

Status EventLog::ScanForward(const Position& from, const Visitor& fn) const {
  ASSIGN_OR_RETURN(std::vector<std::string> segments, Segments());
  std::string chunk;
  for (const std::string& segment : segments) {
    if (!from.segment.empty() && segment < from.segment) continue;
    Result<int> opened = OpenForReading(dir_ + "/" + segment);
    if (!opened.ok()) continue;
    FdCloser closer{*opened};
    uint64_t pos = segment == from.segment ? from.offset : 0;
    std::string carry;
    while (true) {
      RETURN_IF_ERROR(ReadAt(closer.fd, pos, kChunk, &chunk));
      if (chunk.empty()) break;
      const uint64_t chunk_start = pos - carry.size();
      pos += chunk.size();
      carry.append(chunk);
      size_t begin = 0;
      while (true) {
        size_t nl = carry.find('\n', begin);
        if (nl == std::string::npos) break;
        std::string_view text(carry.data() + begin, nl - begin);
        EventView view;
        if (ParseEventLine(text, &view)) {
          if (!fn(view, Position{segment, chunk_start + nl + 1})) return Status::Ok();
        }
        begin = nl + 1;
      }
      carry.erase(0, begin);
      if (carry.size() > kMaxLine) carry.clear();
    }
  }
  return Status::Ok();
}

Result<Position> EventLog::End() const {
  ASSIGN_OR_RETURN(std::vector<std::string> segments, Segments());
  if (segments.empty()) return Position{};
  struct stat st {};
  const std::string path = dir_ + "/" + segments.back();
  if (::stat(path.c_str(), &st) != 0) return Errno("stat " + path);
  return Position{segments.back(), static_cast<uint64_t>(st.st_size)};
}

Status EventLog::Prune(int64_t before_ms) {
  // A segment holds its hour's events (and a few late ones of the hour before): it is
  // old once the hour after it has ended.
  const std::string keep_from = SegmentOf(before_ms - kHourMs);
  ASSIGN_OR_RETURN(std::vector<std::string> segments, Segments());
  for (const std::string& segment : segments) {
    if (segment >= keep_from) break;
    std::error_code ec;
    std::filesystem::remove(dir_ + "/" + segment, ec);
  }
  return Status::Ok();
}

}  // namespace bulwark::cloudtrail
