// SecretBytes: move-only heap buffer for key material and secret values.
// Wiped with OPENSSL_cleanse (via crypto::Cleanse) on destruction and on reassignment;
// prints as [redacted]; no implicit conversion to std::string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>
#include <vector>

namespace bulwark {

// Implemented in crypto/ (the only folder that includes OpenSSL).
void SecureWipe(void* data, size_t size);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : data_(size) {}
  SecretBytes(const void* data, size_t size)
      : data_(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size) {}
  static SecretBytes FromView(std::string_view s) { return SecretBytes(s.data(), s.size()); }
  ~SecretBytes() { Wipe(); }
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      Wipe();
      data_ = std::move(o.data_);
      o.data_.clear();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  // Explicit copy, so that duplicating a secret is always visible in the code.
  SecretBytes Clone() const { return SecretBytes(data_.data(), data_.size()); }

  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  // A view for passing to crypto functions; never store it beyond this object's life.
  std::string_view view() const {
    return {reinterpret_cast<const char*>(data_.data()), data_.size()};
  }

 private:
  void Wipe() {
    if (!data_.empty()) SecureWipe(data_.data(), data_.size());
  }
  std::vector<uint8_t> data_;
};

inline std::ostream& operator<<(std::ostream& os, const SecretBytes&) { return os << "[redacted]"; }

}  // namespace bulwark
