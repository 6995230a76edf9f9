// Trail delivery (delivery.h): every maintenance pass, each logging trail whose delivery
// interval has passed gets the events it selects since its last delivery as log files,
// and each trail with log file validation whose digest interval has passed a digest
// file per Region. The journal position delivery reached is committed with the trail
// after the files are on disk: a crash in between delivers those events again (at
// least once, as AWS).
#include "services/cloudtrail/delivery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>

#include "core/file_util.h"
#include "core/json_text.h"
#include "crypto/asymmetric.h"
#include "crypto/crypto.h"
#include "services/cloudtrail/common.h"
#include "services/cloudtrail/event_log.h"
#include "services/cloudtrail/selectors.h"
#include "storage/sealer.h"

namespace bulwark::cloudtrail {
namespace {

constexpr size_t kMaxRecordsPerFile = 5000;
constexpr size_t kMaxEventsPerPass = 200000;
constexpr char kAlphanumeric[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::tm Utc(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

// "YYYY/MM/DD" and the compact time of a log file ("YYYYMMDDTHHmmZ") or a digest
// ("YYYYMMDDTHHmmssZ").
std::string DatePath(const std::tm& tm) {
  std::string s;
  AppendDecimal(s, tm.tm_year + 1900, 4);
  s.push_back('/');
  AppendDecimal(s, tm.tm_mon + 1, 2);
  s.push_back('/');
  AppendDecimal(s, tm.tm_mday, 2);
  return s;
}

std::string Compact(const std::tm& tm, bool seconds) {
  std::string s;
  AppendDecimal(s, tm.tm_year + 1900, 4);
  AppendDecimal(s, tm.tm_mon + 1, 2);
  AppendDecimal(s, tm.tm_mday, 2);
  s.push_back('T');
  AppendDecimal(s, tm.tm_hour, 2);
  AppendDecimal(s, tm.tm_min, 2);
  if (seconds) AppendDecimal(s, tm.tm_sec, 2);
  s.push_back('Z');
  return s;
}

std::string Base(const Json& trail) {
  std::string prefix = trail.value("S3KeyPrefix", "");
  if (!prefix.empty() && !prefix.ends_with('/')) prefix.push_back('/');
  return prefix + "AWSLogs/" + AccountOfTrail(trail) + "/";
}

std::string LogFileKey(const Json& trail, std::string_view region, int64_t now) {
  const std::tm tm = Utc(now);
  const std::string account = AccountOfTrail(trail);
  return Base(trail) + "CloudTrail/" + std::string(region) + "/" + DatePath(tm) + "/" + account +
         "_CloudTrail_" + std::string(region) + "_" + Compact(tm, false) + "_" +
         crypto::RandomString(kAlphanumeric, 16) + ".json.gz";
}

std::string DigestFileKey(const Json& trail, std::string_view region, int64_t now) {
  const std::tm tm = Utc(now);
  const std::string account = AccountOfTrail(trail);
  return Base(trail) + "CloudTrail-Digest/" + std::string(region) + "/" + DatePath(tm) + "/" +
         account + "_CloudTrail-Digest_" + std::string(region) + "_" +
         trail["Name"].get<std::string>() + "_" + trail["HomeRegion"].get<std::string>() + "_" +
         Compact(tm, true) + ".json.gz";
}

// Writes a file of the bucket (directories 0700, file 0600), atomically.
Status WriteObject(const std::string& bucket_dir, const std::string& bucket, const std::string& key,
                   std::string_view data) {
  const std::filesystem::path path = std::filesystem::path(bucket_dir) / bucket / key;
  return WriteFileAtomically(path.string(), data, /*create_parents=*/true);
}

bool IsGlobal(const EventView& e) {
  return e.event_source == "iam.amazonaws.com" || e.event_source == "organizations.amazonaws.com" ||
         (e.event_source == "sts.amazonaws.com" && e.region == "us-east-1");
}

// Whether the trail was logging when the event happened: since its last start, or up to
// its last stop (what it logged before that stop and has not delivered yet).
bool InLoggingWindow(const Json& trail, int64_t time_ms) {
  const Json status = trail.value("Status", Json::object());
  const int64_t start = status.value("StartLoggingTime", int64_t{0}) * 1000;
  const bool logging = trail.value("Logging", false);
  const int64_t stop = status.contains("StopLoggingTime")
                           ? status["StopLoggingTime"].get<int64_t>() * 1000 + 999
                           : INT64_MAX;
  if (logging) return time_ms >= start || (stop < start && time_ms <= stop);
  return time_ms <= stop;
}

bool TrailTakes(const Json& trail, const EventView& e) {
  if (e.account != AccountOfTrail(trail)) return false;
  const bool global = IsGlobal(e);
  const bool include_global = trail.value("IncludeGlobalServiceEvents", true);
  if (global && !include_global) return false;
  if (!trail.value("IsMultiRegionTrail", false) && e.region != trail.value("HomeRegion", "") &&
      !global) {
    return false;
  }
  if (!InLoggingWindow(trail, e.time_ms)) return false;
  Json parsed;
  bool have = false;
  return SelectsEvent(trail, e, [&]() -> const Json& {
    if (!have) {
      parsed = Json::parse(e.record, nullptr, false);
      have = true;
    }
    return parsed;
  });
}

// The Region's digest signing key, made on first use: {"PrivateKey" (sealed, base64),
// "PublicKey" (DER, base64), "Fingerprint", "ValidityStartTime"}.
Result<Json> DigestKey(ServiceEnvironment& env, std::string_view region, int64_t now) {
  const std::string key = std::string(kDigestKeyPrefix) + std::string(region);
  ASSIGN_OR_RETURN(std::optional<std::string> text, env.store->Get(key));
  if (text) return Json::parse(*text);
  ASSIGN_OR_RETURN(crypto::KeyPair pair, crypto::GenerateKeyPair(crypto::KeySpec::kRsa2048));
  ASSIGN_OR_RETURN(std::string sealed, env.sealer->Seal(key, pair.private_key.view()));
  Json record = {{"PrivateKey", crypto::Base64Encode(sealed)},
                 {"PublicKey", crypto::Base64Encode(pair.public_key)},
                 // The fingerprint: the first 16 bytes of the SHA-256 of the DER, in hex.
                 {"Fingerprint", crypto::Sha256Hex(pair.public_key).substr(0, 32)},
                 {"ValidityStartTime", now}};
  ASSIGN_OR_RETURN(bool created, env.store->CompareAndSet(key, std::nullopt, record.dump()));
  if (!created) {
    ASSIGN_OR_RETURN(text, env.store->Get(key));
    if (!text) return Status(ErrorKind::kInternalFailure, "digest key vanished");
    return Json::parse(*text);
  }
  return record;
}

// A digest for one Region of a trail: written, and the chain moved on in `chain`.
Status WriteDigest(ServiceEnvironment& env, const Json& trail, const std::string& region,
                   Json& chain, int64_t now) {
  ASSIGN_OR_RETURN(Json key, DigestKey(env, region, now));
  const std::string bucket = trail["S3BucketName"].get<std::string>();
  const std::string object = DigestFileKey(trail, region, now);
  const Json previous = chain.value("Previous", Json());
  const Json pending = chain.value("Pending", Json::array());
  Json digest = {{"awsAccountId", AccountOfTrail(trail)},
                 {"digestStartTime", IsoTime(chain.value("Start", now))},
                 {"digestEndTime", IsoTime(now)},
                 {"digestS3Bucket", bucket},
                 {"digestS3Object", object},
                 {"digestPublicKeyFingerprint", key["Fingerprint"]},
                 {"digestSignatureAlgorithm", "SHA256withRSA"},
                 {"newestEventTime", nullptr},
                 {"oldestEventTime", nullptr},
                 {"previousDigestS3Bucket", nullptr},
                 {"previousDigestS3Object", nullptr},
                 {"previousDigestHashValue", nullptr},
                 {"previousDigestHashAlgorithm", nullptr},
                 {"previousDigestSignature", nullptr},
                 {"logFiles", pending}};
  std::string newest, oldest;
  for (const Json& f : pending) {
    const std::string n = f.value("newestEventTime", ""), o = f.value("oldestEventTime", "");
    if (newest.empty() || n > newest) newest = n;
    if (oldest.empty() || o < oldest) oldest = o;
  }
  if (!newest.empty()) digest["newestEventTime"] = newest;
  if (!oldest.empty()) digest["oldestEventTime"] = oldest;
  std::string previous_signature = "null";
  if (previous.is_object()) {
    digest["previousDigestS3Bucket"] = previous["Bucket"];
    digest["previousDigestS3Object"] = previous["Object"];
    digest["previousDigestHashValue"] = previous["Hash"];
    digest["previousDigestHashAlgorithm"] = "SHA-256";
    digest["previousDigestSignature"] = previous["Signature"];
    previous_signature = previous["Signature"].get<std::string>();
  }
  const std::string text = digest.dump();
  const std::string hash = crypto::Sha256Hex(text);
  std::optional<std::string> sealed = crypto::Base64Decode(key["PrivateKey"].get<std::string>());
  if (!sealed) return Status(ErrorKind::kInternalFailure, "corrupt digest key");
  ASSIGN_OR_RETURN(SecretBytes private_key,
                   env.sealer->Open(std::string(kDigestKeyPrefix) + region, *sealed));
  ASSIGN_OR_RETURN(
      std::string signature,
      crypto::Sign(private_key, crypto::SigningAlgorithm::kRsassaPkcs1V15Sha256,
                   crypto::MessageType::kRaw,
                   DigestSigningString(IsoTime(now), bucket, object, hash, previous_signature)));
  const std::string signature_hex = crypto::HexEncode(signature);
  ASSIGN_OR_RETURN(std::string gz, Gzip(text));
  RETURN_IF_ERROR(WriteObject(env.trail_bucket_dir, bucket, object, gz));
  const Json metadata = {{"signature", signature_hex}, {"signature-algorithm", "SHA256withRSA"}};
  RETURN_IF_ERROR(
      WriteObject(env.trail_bucket_dir, bucket, object + ".metadata.json", metadata.dump()));
  chain["Previous"] = {
      {"Bucket", bucket}, {"Object", object}, {"Hash", hash}, {"Signature", signature_hex}};
  chain["Pending"] = Json::array();
  chain["Start"] = now;
  return Status::Ok();
}

// One trail's pass: log files if due, digests if due. Changes `trail`'s Delivery and
// Status; the caller commits them.
Status DeliverTrail(ServiceEnvironment& env, Json& trail, int64_t now_ms) {
  const int64_t now = now_ms / 1000;
  Json& delivery = trail["Delivery"];
  Json& status = trail["Status"];
  const bool logging = trail.value("Logging", false);
  const bool log_due =
      now - delivery.value("LastDelivery", int64_t{0}) >= env.trail_delivery_interval;
  const bool validating = trail.value("LogFileValidationEnabled", false);
  if (!delivery.contains("Chains")) delivery["Chains"] = Json::object();
  Json& chains = delivery["Chains"];
  if (log_due) {
    Position from{delivery.value("Segment", ""), delivery.value("Offset", uint64_t{0})};
    // Events per Region, in journal order.
    std::map<std::string, std::vector<std::pair<int64_t, std::string>>> by_region;
    Position reached = from;
    size_t seen = 0;
    RETURN_IF_ERROR(env.audit_log->ScanForward(from, [&](const EventView& e, const Position& at) {
      reached = at;
      if (TrailTakes(trail, e)) by_region[std::string(e.region)].emplace_back(e.time_ms, e.record);
      return ++seen < kMaxEventsPerPass;
    }));
    status["LatestDeliveryAttemptTime"] = now;
    for (auto& [region, events] : by_region) {
      for (size_t i = 0; i < events.size(); i += kMaxRecordsPerFile) {
        const size_t end = std::min(events.size(), i + kMaxRecordsPerFile);
        std::string text = "{\"Records\":[";
        int64_t oldest = INT64_MAX, newest = 0;
        for (size_t k = i; k < end; ++k) {
          if (k > i) text.push_back(',');
          text.append(events[k].second);
          oldest = std::min(oldest, events[k].first);
          newest = std::max(newest, events[k].first);
        }
        text.append("]}");
        const std::string bucket = trail["S3BucketName"].get<std::string>();
        const std::string object = LogFileKey(trail, region, now);
        ASSIGN_OR_RETURN(std::string gz, Gzip(text));
        Status written = WriteObject(env.trail_bucket_dir, bucket, object, gz);
        if (!written.ok()) {
          status["LatestDeliveryError"] = written.message();
          return written;
        }
        if (validating) {
          Json& chain = chains[region];
          if (!chain.contains("Start")) chain["Start"] = delivery.value("LastDigest", now);
          chain["Pending"].push_back({{"s3Bucket", bucket},
                                      {"s3Object", object},
                                      {"hashValue", crypto::Sha256Hex(text)},
                                      {"hashAlgorithm", "SHA-256"},
                                      {"newestEventTime", IsoTime(newest / 1000)},
                                      {"oldestEventTime", IsoTime(oldest / 1000)}});
        }
        status["LatestDeliveryTime"] = now;
      }
    }
    status.erase("LatestDeliveryError");
    delivery["Segment"] = reached.segment;
    delivery["Offset"] = reached.offset;
    delivery["LastDelivery"] = now;
  }
  const bool digest_due =
      validating && (logging || !chains.empty()) &&
      now - delivery.value("LastDigest", int64_t{0}) >= env.trail_digest_interval;
  if (digest_due) {
    // A digest every interval for the home Region (and each Region delivered to), even
    // with no log files, so that a gap in the chain shows.
    if (!chains.contains(trail["HomeRegion"].get<std::string>())) {
      chains[trail["HomeRegion"].get<std::string>()] = {
          {"Start", delivery.value("LastDigest", now)}};
    }
    for (auto& [region, chain] : chains.items()) {
      Status st = WriteDigest(env, trail, region, chain, now);
      if (!st.ok()) {
        status["LatestDigestDeliveryError"] = st.message();
        return st;
      }
    }
    status.erase("LatestDigestDeliveryError");
    status["LatestDigestDeliveryTime"] = now;
    delivery["LastDigest"] = now;
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> Gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status(ErrorKind::kInternalFailure, "deflateInit2 failed");
  }
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Status(ErrorKind::kInternalFailure, "gzip failed");
  return out;
}

Result<std::string> Gunzip(std::string_view data, size_t max_size) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    return Status(ErrorKind::kInternalFailure, "inflateInit2 failed");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof(buf) - z.avail_out);
    if (out.size() > max_size) {
      rc = Z_MEM_ERROR;
      break;
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) break;  // truncated
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return Status(ErrorKind::kValidation, "not a complete gzip file");
  return out;
}

std::string DigestSigningString(std::string_view end_time, std::string_view bucket,
                                std::string_view object, std::string_view digest_sha256_hex,
                                std::string_view previous_signature) {
  std::string s;
  s.append(end_time).push_back('\n');
  s.append(bucket).push_back('/');
  s.append(object).push_back('\n');
  s.append(digest_sha256_hex).push_back('\n');
  s.append(previous_signature);
  return s;
}

Status DeliverTrails(ServiceEnvironment& env) {
  if (!env.audit_log || env.trail_bucket_dir.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, env.store->Scan(kTrailPrefix));
  if (rows.empty()) return Status::Ok();
  RETURN_IF_ERROR(env.audit_log->Flush());
  const int64_t now_ms = NowMs();
  Status first_error;
  for (storage::KeyValue& row : rows) {
    Json trail = Json::parse(row.value, nullptr, false);
    if (!trail.is_object() || !trail.contains("Delivery")) continue;  // never logged
    Status st = DeliverTrail(env, trail, now_ms);
    // What was delivered is committed even when a later step failed; the trail as the
    // API may have changed it meanwhile keeps its settings.
    ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn, env.store->Begin());
    ASSIGN_OR_RETURN(std::optional<std::string> now_text, txn->Get(row.key));
    if (now_text) {
      Json fresh = Json::parse(*now_text);
      fresh["Delivery"] = trail["Delivery"];
      Json& status = fresh["Status"];
      for (const char* k :
           {"LatestDeliveryTime", "LatestDeliveryAttemptTime", "LatestDeliveryError",
            "LatestDigestDeliveryTime", "LatestDigestDeliveryError"}) {
        if (trail["Status"].contains(k)) {
          status[k] = trail["Status"][k];
        } else {
          status.erase(k);
        }
      }
      RETURN_IF_ERROR(txn->Put(row.key, fresh.dump()));
      RETURN_IF_ERROR(txn->Commit());
    }
    if (!st.ok() && first_error.ok()) first_error = st;
  }
  return first_error;
}

Result<std::vector<Json>> DigestPublicKeys(storage::KvStore& store) {
  ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, store.Scan(kDigestKeyPrefix));
  std::vector<Json> out;
  for (const storage::KeyValue& row : rows) {
    Json key = Json::parse(row.value, nullptr, false);
    if (!key.is_object()) continue;
    out.push_back({{"Fingerprint", key["Fingerprint"]},
                   {"Value", key["PublicKey"]},
                   {"ValidityStartTime", key["ValidityStartTime"]},
                   {"Region", row.key.substr(kDigestKeyPrefix.size())}});
  }
  return out;
}

Result<Json> ListPublicKeys(RequestContext& ctx, const Json& input) {
  const int64_t now = NowMs() / 1000;
  const int64_t start = input.contains("StartTime")
                            ? static_cast<int64_t>(input["StartTime"].get<double>())
                            : INT64_MIN;
  const int64_t end =
      input.contains("EndTime") ? static_cast<int64_t>(input["EndTime"].get<double>()) : now;
  if (start > end) {
    return InvalidTimeRange();
  }
  if (input.contains("NextToken")) return Error("InvalidTokenException", "Invalid token.");
  ASSIGN_OR_RETURN(std::vector<Json> keys, DigestPublicKeys(*ctx.env->store));
  Json list = Json::array();
  for (const Json& key : keys) {
    if (key.value("Region", "") != ctx.region) continue;
    // A key is valid from its start until now (Bulwark does not rotate them yet).
    if (key["ValidityStartTime"].get<int64_t>() > end) continue;
    std::optional<std::string> der = crypto::Base64Decode(key["Value"].get<std::string>());
    if (!der) continue;
    list.push_back({{"Value", Json::binary(std::vector<uint8_t>(der->begin(), der->end()))},
                    {"ValidityStartTime", key["ValidityStartTime"]},
                    {"ValidityEndTime", now + 24 * 3600},
                    {"Fingerprint", key["Fingerprint"]}});
  }
  return Json{{"PublicKeyList", std::move(list)}};
}

}  // namespace bulwark::cloudtrail
