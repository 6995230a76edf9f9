// Writing JSON text by hand, for the records written on every request (access log,
// audit events) where building a document first would cost more than the record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark {

// Appends `s` as a JSON string: quotes, backslashes and control characters escaped,
// valid UTF-8 kept as it is, and every byte that is not part of valid UTF-8 written as
// U+FFFD, so the text is valid JSON whatever the bytes were.
void AppendJsonString(std::string& out, std::string_view s);

// Appends `value` in decimal, zero-padded to `width` digits.
void AppendDecimal(std::string& out, int64_t value, int width = 1);

// Appends `unix_seconds` as ISO 8601 in UTC: 2026-12-03T18:53:26Z, or with
// `millis` >= 0 2026-12-03T18:53:26.123Z.
void AppendIsoTime(std::string& out, int64_t unix_seconds, int millis = -1);
// The same as a string.
std::string IsoTime(int64_t unix_seconds);

}  // namespace bulwark
