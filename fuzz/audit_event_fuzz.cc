// Fuzzes the audit journal's line parser, the reading of delivered files, (what readers take back
// from files a crash or an intruder may have changed) and the writer of request values into records
// (what a client sends, through the KMS and IAM models). A parsed line written again must parse to
// the same event; a value's text must always be valid JSON. Traps otherwise.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "protocol/protocol.h"
#include "server/audit.h"
#include "services/cloudtrail/delivery.h"
#include "services/cloudtrail/event_log.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  using namespace bulwark;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 4 == 2) {
    // A delivered file as `bulwark trail verify` reads it: gunzip within a bound, then JSON.
    bulwark::Result<std::string> text = cloudtrail::Gunzip(in, 1 << 20);
    if (text.ok()) {
      Check(text->size() <= (1 << 20));
      (void)Json::parse(*text, nullptr, false);
    }
    return 0;
  }
  if (data[0] % 2 == 0) {
    cloudtrail::EventView view;
    if (!cloudtrail::ParseEventLine(in, &view)) return 0;
    cloudtrail::Event event;
    event.index.time_ms = view.time_ms;
    event.index.account = std::string(view.account);
    event.index.region = std::string(view.region);
    event.index.event_id = std::string(view.event_id);
    event.index.event_name = std::string(view.event_name);
    event.index.event_source = std::string(view.event_source);
    event.index.username = std::string(view.username);
    event.index.access_key_id = std::string(view.access_key_id);
    event.index.read_only = view.read_only;
    view.ForEachResource([&](std::string_view type, std::string_view name) {
      event.index.resources.push_back({std::string(type), std::string(name)});
      return true;
    });
    event.record = std::string(view.record);
    std::string line;
    cloudtrail::AppendEventLine(event, &line);
    Check(!line.empty() && line.back() == '\n');
    line.pop_back();
    cloudtrail::EventView again;
    Check(cloudtrail::ParseEventLine(line, &again));
    Check(again.time_ms == view.time_ms && again.event_id.size() == view.event_id.size() &&
          again.read_only == view.read_only);
    return 0;
  }
  const Json value = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return 0;
  const auto& models = protocol::ModelRegistry::Instance();
  static const protocol::Shape* shapes[] = {
      models.Find("kms")->FindOperation("Encrypt")->input(),
      models.Find("kms")->FindOperation("CreateKey")->input(),
      models.Find("iam")->FindOperation("PutUserPolicy")->input(),
      models.Find("secretsmanager")->FindOperation("CreateSecret")->input(), nullptr};
  const protocol::Shape* shape = shapes[(data[0] / 2) % 5];
  std::string text;
  server::AppendAuditValue(shape, value, &text);
  Check(!Json::parse(text, nullptr, false).is_discarded());
  return 0;
}
