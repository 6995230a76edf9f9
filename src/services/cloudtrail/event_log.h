// The journal of audit events: every request's CloudTrail record, appended by the request
// pipeline, read by event history (LookupEvents), by trail delivery and by the detectors'
// feed. Files of one hour each (SEGMENT = YYYYMMDDHH, in UTC) in one directory, one
// event per line:
//
//   1 TAB time_ms TAB account TAB region TAB event_id TAB event_name TAB event_source TAB
//   username TAB access_key_id TAB read_only(0|1) TAB resources TAB record NEWLINE
//
// where resources is TYPE US NAME [RS TYPE US NAME]... (US = 0x1F, RS = 0x1E) and record
// is the CloudTrail record, JSON text without a newline. The index fields let a lookup
// filter without parsing the record; their control characters are written as '?'.
// A line torn by a crash is skipped by readers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"

namespace bulwark::cloudtrail {

struct EventResource {
  std::string type;  // AWS::KMS::Key
  std::string name;  // the resource's ARN
};

// What event history looks events up by.
struct EventIndex {
  int64_t time_ms = 0;
  std::string account;  // recipientAccountId; empty when the caller was not known
  std::string region;
  std::string event_id;
  std::string event_name;
  std::string event_source;
  std::string username;
  std::string access_key_id;
  bool read_only = false;
  std::vector<EventResource> resources;
};

struct Event {
  EventIndex index;
  std::string record;  // the CloudTrail record: JSON text on one line
};

// A line of the journal without copies: views into the line.
struct EventView {
  int64_t time_ms = 0;
  std::string_view account, region, event_id, event_name, event_source, username, access_key_id;
  bool read_only = false;
  std::string_view resources;  // TYPE US NAME [RS TYPE US NAME]...
  std::string_view record;

  // Calls fn(type, name) for each resource; stops when fn returns false.
  template <typename Fn>
  void ForEachResource(Fn&& fn) const;
};

// Parses one line (without its newline). False when it is not a well-formed line.
bool ParseEventLine(std::string_view line, EventView* out);
// The line for an event, newline included.
void AppendEventLine(const Event& event, std::string* out);
void AppendEventLine(const EventView& event, std::string* out);

// Where in the journal a reader is: a segment and a byte offset in it.
struct Position {
  std::string segment;  // YYYYMMDDHH; empty: the journal's end (or start, reading forward)
  uint64_t offset = 0;
};

class EventLog {
 public:
  struct Options {
    std::string dir;
    // Events appended without `durable` are written within this interval (sooner when
    // many are waiting), and fdatasync'd within a second of being written.
    std::chrono::milliseconds flush_interval{200};
  };
  // Creates the directory (mode 0700) if needed.
  static Result<std::unique_ptr<EventLog>> Open(const Options& options);
  ~EventLog();  // writes what is pending
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends an event. With `durable`, returns once it is on disk (written and
  // fdatasync'd, in one batch with the other appends waiting at that moment), or the
  // error that kept it from being written. Without, returns at once.
  Status Append(const Event& event, bool durable);
  // The same for a line AppendEventLine made (one line, ending in its newline).
  Status AppendLine(std::string_view line, bool durable);
  // Appends a line durably without waiting: `done` is called once it is on disk, or
  // with the error that kept it from being written, on whichever thread wrote its batch
  // (the journal's own, as soon as it is free; keep `done` short). Concurrent callers
  // share one fdatasync.
  using Written = std::function<void(const Status&)>;
  void AppendLineThen(std::string_view line, Written done);
  // Writes and syncs everything appended so far (every `done` called before it returns).
  Status Flush();

  // The feed: `fn` sees every event written from now on, once, in the order they are
  // written, on the thread that wrote them (keep it short; hand heavy work off). The view
  // lasts for the call.
  using Subscriber = std::function<void(const EventView&)>;
  void Subscribe(Subscriber fn);

  // Segment names, oldest first.
  Result<std::vector<std::string>> Segments() const;
  // Newest first: the events before `before` (an empty segment: the end), in segments
  // back to `oldest_segment` (empty: all). fn(event, at) returns false to stop; `at` is
  // where the event's line starts, so that a later scan from it resumes after it.
  using Visitor = std::function<bool(const EventView& event, const Position& at)>;
  Status ScanBackward(const Position& before, std::string_view oldest_segment,
                      const Visitor& fn) const;
  // Oldest first: the events at or after `from` (an empty segment: the start). `at` is
  // the position after the event's line.
  Status ScanForward(const Position& from, const Visitor& fn) const;
  // The position after the last event written (Flush first for all appended).
  Result<Position> End() const;
  // Deletes the segments of hours that ended before `before_ms`.
  Status Prune(int64_t before_ms);

  static std::string SegmentOf(int64_t time_ms);
  const std::string& dir() const { return dir_; }

 private:
  explicit EventLog(const Options& options);
  // Waits until event `seq` is written (with `durable`: and fdatasync'd), writing the
  // pending batch itself when no other thread is.
  Status WaitWritten(std::unique_lock<std::mutex>& lock, uint64_t seq, bool durable);
  // Writes the lines; with `sync`, fdatasyncs everything written so far.
  Status WriteBatch(std::string_view batch, bool sync);
  void FlushLoop();

  std::string dir_;
  std::chrono::milliseconds flush_interval_;

  mutable std::mutex mu_;
  std::condition_variable written_cv_;
  std::condition_variable wake_;
  std::string pending_;    // lines appended, not yet written
  uint64_t appended_ = 0;  // sequence number of the last event appended
  uint64_t written_ = 0;   // ... of the last one whose batch is done (written or failed)
  uint64_t synced_ = 0;    // ... of the last one whose sync is done (on disk or failed)
  bool writing_ = false;
  bool stop_ = false;
  struct Failure {
    uint64_t first, last;
    Status status;
  };
  std::deque<Failure> failures_;
  std::vector<Subscriber> subscribers_;
  std::vector<Written> waiters_;  // AppendLineThen's, of the lines in pending_

  // Used by the writing thread only.
  int fd_ = -1;
  int64_t hour_ = 0;    // of the open segment, in hours since the epoch
  bool torn_ = false;   // a write failed part-way: the next starts a new line
  bool dirty_ = false;  // the open segment has lines not yet fdatasync'd
  std::chrono::steady_clock::time_point last_sync_;  // (under mu_) when synced_ last moved
  std::string batch_;  // what is being written (trades buffers with pending_)

  std::thread flusher_;
};

template <typename Fn>
void EventView::ForEachResource(Fn&& fn) const {
  std::string_view rest = resources;
  while (!rest.empty()) {
    size_t rs = rest.find('\x1e');
    std::string_view item = rest.substr(0, rs);
    rest = rs == std::string_view::npos ? std::string_view() : rest.substr(rs + 1);
    size_t us = item.find('\x1f');
    if (us == std::string_view::npos) continue;
    if (!fn(item.substr(0, us), item.substr(us + 1))) return;
  }
}

}  // namespace bulwark::cloudtrail
