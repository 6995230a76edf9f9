// Input validation against the model's constraints, with AWS's (Coral's) message format:
//   "2 validation errors detected: Value 'x' at 'keyId' failed to satisfy constraint:
//    Member must have length less than or equal to 2048; Value null at 'tags.1.member.key'
//    failed to satisfy constraint: Member must not be null"
#include <cmath>

#include "protocol/internal.h"
#include "protocol/protocol.h"

namespace bulwark::protocol {
namespace {

using nlohmann::json;

constexpr int kMaxValidateDepth = 100;
constexpr size_t kMaxQuotedValue = 1024;  // longer values are cut in messages

std::string LowerCamel(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] + 32);
  return out;
}

std::string FormatNumber(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9.2e18) {
    return std::to_string(static_cast<int64_t>(d));
  }
  return FormatDouble(d);
}

// Java's toString of a value, as Coral prints it inside quotes.
std::string Render(const json& v, int depth = 0) {
  if (depth > 8) return "...";
  switch (v.type()) {
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (s.size() <= kMaxQuotedValue) return s;
      return s.substr(0, kMaxQuotedValue) + "...";
    }
    case json::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case json::value_t::number_float:
      return FormatNumber(v.get<double>());
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::array: {
      std::string out = "[";
      size_t n = 0;
      for (const json& item : v) {
        if (n++) out += ", ";
        if (n > 100) {
          out += "...";
          break;
        }
        out += Render(item, depth + 1);
      }
      return out + "]";
    }
    case json::value_t::object: {
      std::string out = "{";
      size_t n = 0;
      for (const auto& [k, item] : v.items()) {
        if (n++) out += ", ";
        if (n > 100) {
          out += "...";
          break;
        }
        out += k + "=" + Render(item, depth + 1);
      }
      return out + "}";
    }
    case json::value_t::binary:
      return "java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string(v.get_binary().size()) +
             " cap=" + std::to_string(v.get_binary().size()) + "]";
    default:
      return "null";
  }
}

class Validator {
 public:
  void Check(const Shape& shape, const json& value, const std::string& path, bool sensitive,
             int depth) {
    if (depth > kMaxValidateDepth || shape.document) return;
    sensitive = sensitive || shape.sensitive;
    switch (shape.type) {
      case ShapeType::kStructure: {
        if (!value.is_object()) return;
        for (const Member& m : shape.members) {
          std::string child = path.empty() ? LowerCamel(m.name) : path + "." + LowerCamel(m.name);
          auto it = value.find(m.name);
          if (it == value.end() || it->is_null()) {
            if (m.required) Add("Value null at '" + child + "'", "Member must not be null");
            continue;
          }
          Check(*m.shape, *it, child, sensitive, depth + 1);
        }
        break;
      }
      case ShapeType::kList: {
        if (!value.is_array()) return;
        CheckLength(shape, value, value.size(), path, sensitive);
        for (size_t i = 0; i < value.size(); ++i) {
          std::string child = path + "." + std::to_string(i + 1) + ".member";
          if (value[i].is_null()) {
            Add("Value null at '" + child + "'", "Member must not be null");
            continue;
          }
          Check(*shape.member, value[i], child, sensitive, depth + 1);
        }
        break;
      }
      case ShapeType::kMap: {
        if (!value.is_object()) return;
        CheckLength(shape, value, value.size(), path, sensitive);
        for (const auto& [k, item] : value.items()) {
          Check(*shape.key, json(k), path, sensitive, depth + 1);
          if (item.is_null()) {
            Add("Value null at '" + path + "." + k + "'", "Member must not be null");
            continue;
          }
          Check(*shape.value, item, path + "." + k, sensitive, depth + 1);
        }
        break;
      }
      case ShapeType::kString: {
        if (!value.is_string()) return;
        const std::string& s = value.get_ref<const std::string&>();
        if (!shape.enum_values.empty()) {
          bool found = false;
          for (const std::string& e : shape.enum_values) found = found || e == s;
          if (!found) {
            std::string set;
            for (const std::string& e : shape.enum_values) {
              if (!set.empty()) set += ", ";
              set += e;
            }
            Add(Subject(value, path, sensitive),
                "Member must satisfy enum value set: [" + set + "]");
          }
        }
        CheckLength(shape, value, Utf16Length(s), path, sensitive);
        if (const PatternMatcher* matcher = shape.Pattern()) {
          auto decoded = DecodeUtf8(s);
          if (decoded && matcher->Matches(*decoded) == std::optional<bool>(false)) {
            Add(Subject(value, path, sensitive),
                "Member must satisfy regular expression pattern: " + shape.pattern);
          }
        }
        break;
      }
      case ShapeType::kBlob: {
        if (!value.is_binary() && !value.is_string()) return;
        size_t n = value.is_binary() ? value.get_binary().size()
                                     : value.get_ref<const std::string&>().size();
        CheckLength(shape, value, n, path, /*sensitive=*/true);
        break;
      }
      case ShapeType::kInteger:
      case ShapeType::kLong:
      case ShapeType::kFloat:
      case ShapeType::kDouble: {
        if (!value.is_number()) return;
        double d = value.get<double>();
        if (shape.min && d < *shape.min) {
          Add(Subject(value, path, sensitive),
              "Member must have value greater than or equal to " + FormatNumber(*shape.min));
        }
        if (shape.max && d > *shape.max) {
          Add(Subject(value, path, sensitive),
              "Member must have value less than or equal to " + FormatNumber(*shape.max));
        }
        break;
      }
      default:
        break;
    }
  }

  Status Result() const {
    if (errors_.empty()) return Status::Ok();
    std::string msg =
        std::to_string(errors_.size()) +
        (errors_.size() == 1 ? " validation error detected: " : " validation errors detected: ");
    for (size_t i = 0; i < errors_.size(); ++i) {
      if (i) msg += "; ";
      msg += errors_[i];
    }
    return Status(ErrorKind::kValidation, std::move(msg));
  }

 private:
  static std::string Subject(const json& value, const std::string& path, bool sensitive) {
    if (sensitive) return "Value at '" + path + "'";
    return "Value '" + Render(value) + "' at '" + path + "'";
  }

  void CheckLength(const Shape& shape, const json& value, size_t length, const std::string& path,
                   bool sensitive) {
    if (shape.min && static_cast<double>(length) < *shape.min) {
      Add(Subject(value, path, sensitive),
          "Member must have length greater than or equal to " + FormatNumber(*shape.min));
    }
    if (shape.max && static_cast<double>(length) > *shape.max) {
      Add(Subject(value, path, sensitive),
          "Member must have length less than or equal to " + FormatNumber(*shape.max));
    }
  }

  void Add(const std::string& subject, const std::string& constraint) {
    errors_.push_back(subject + " failed to satisfy constraint: " + constraint);
  }

  std::vector<std::string> errors_;
};

}  // namespace

Status ValidateInput(const ServiceModel& service, const OperationModel& operation,
                     const nlohmann::json& input) {
  const Shape* shape = operation.input();
  if (shape == nullptr) return Status::Ok();
  Validator v;
  static const json kEmpty = json::object();
  v.Check(*shape, input.is_object() ? input : kEmpty, "", false, 0);
  return v.Result();
}

}  // namespace bulwark::protocol
