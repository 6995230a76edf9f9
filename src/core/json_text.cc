#include "core/json_text.h"

#include <climits>
#include <cstring>
#include <ctime>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace bulwark {
namespace {

// The length of the valid UTF-8 sequence starting at s[i], or 0 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Where the run of bytes starting at s[i] that JSON takes as they are (printable ASCII
// other than '"' and '\\') ends, or a little before: 16 bytes at a time.
size_t SafeRunEnd(std::string_view s, size_t i) {
#ifdef __SSE2__
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  while (i + 16 <= s.size()) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    // Signed: bytes >= 0x80 are negative, so "< 0x20" takes them too.
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    i += 16;
  }
#endif
  return i;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // A run of bytes that need nothing goes in at once.
    size_t run = SafeRunEnd(s, i);
    while (run < s.size()) {
      const unsigned char b = static_cast<unsigned char>(s[run]);
      if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\') break;
      ++run;
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8Length(s, i);
      if (n == 0) {
        out.append("\\ufffd");
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out.push_back('"');
}

void AppendDecimal(std::string& out, int64_t value, int width) {
  char digits[24];
  int n = 0;
  uint64_t v = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (value < 0) out.push_back('-');
  for (int i = n; i < width; ++i) out.push_back('0');
  while (n > 0) out.push_back(digits[--n]);
}

void AppendIsoTime(std::string& out, int64_t unix_seconds, int millis) {
  // Records written in the same second share its text: this thread keeps the last one.
  thread_local int64_t last_seconds = INT64_MIN;
  thread_local char last_text[32];
  thread_local size_t last_size = 0;
  if (unix_seconds != last_seconds) {
    std::time_t secs = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::string text;
    AppendDecimal(text, tm.tm_year + 1900, 4);
    text.push_back('-');
    AppendDecimal(text, tm.tm_mon + 1, 2);
    text.push_back('-');
    AppendDecimal(text, tm.tm_mday, 2);
    text.push_back('T');
    AppendDecimal(text, tm.tm_hour, 2);
    text.push_back(':');
    AppendDecimal(text, tm.tm_min, 2);
    text.push_back(':');
    AppendDecimal(text, tm.tm_sec, 2);
    // At most 25 characters: tm_year is an int.
    last_size = text.size();
    std::memcpy(last_text, text.data(), last_size);
    last_seconds = unix_seconds;
  }
  out.append(last_text, last_size);
  if (millis >= 0) {
    out.push_back('.');
    AppendDecimal(out, millis % 1000, 3);
  }
  out.push_back('Z');
}

std::string IsoTime(int64_t unix_seconds) {
  std::string s;
  AppendIsoTime(s, unix_seconds);
  return s;
}

}  // namespace bulwark
