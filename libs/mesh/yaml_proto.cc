#include "libs/mesh/yaml_proto.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "libs/common/edit_distance.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace keel::mesh {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// How YAML 1.1 (as Kubernetes reads it) resolves a plain scalar.
enum class PlainType { kString, kNull, kBool, kInt, kFloat };

template <typename N>
bool IsPlain(const N& node) {
  return node.Tag() == "?" || node.Tag().empty();
}

// [-+]?[0-9]+
bool IsIntText(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, or .inf / .nan forms.
bool IsFloatText(std::string_view s) {
  std::string_view rest = s;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) rest.remove_prefix(1);
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") return true;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  size_t i = 0;
  size_t digits = 0;
  while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i, ++digits;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    size_t fraction = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i, ++fraction;
    if (digits == 0 && fraction == 0) return false;  // "." alone
  } else if (digits == 0) {
    return false;
  }
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    if (i < rest.size() && (rest[i] == '-' || rest[i] == '+')) ++i;
    size_t exponent = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == rest.size();
}

PlainType ClassifyPlain(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return PlainType::kNull;
  // Booleans are at most 5 letters: skip the lowering for anything longer.
  if (s.size() <= 5) {
    const std::string lower = absl::AsciiStrToLower(s);
    if (lower == "true" || lower == "false" || lower == "yes" || lower == "no" || lower == "on" ||
        lower == "off") {
      return PlainType::kBool;
    }
  }
  if (IsIntText(s)) return PlainType::kInt;
  if (IsFloatText(s)) return PlainType::kFloat;
  return PlainType::kString;
}

// Protobuf strings must be UTF-8: anything else would be refused by every
// client that parses the resource.
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int extra;
    if (c < 0x80) {
      extra = 0;
    } else if ((c >> 5) == 0x6) {
      extra = 1;
    } else if ((c >> 4) == 0xe) {
      extra = 2;
    } else if ((c >> 3) == 0x1e) {
      extra = 3;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    uint32_t code = extra == 0 ? c : c & (0x3f >> extra);
    for (int k = 1; k <= extra; ++k) {
      const unsigned char next = s[i + k];
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3f);
    }
    static constexpr uint32_t kMinByLength[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinByLength[extra] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

template <typename N>
PlainType TypeOf(const N& node) {
  if (node.IsNull()) return PlainType::kNull;
  if (!IsPlain(node)) return PlainType::kString;
  return ClassifyPlain(node.Scalar());
}


template <typename N>
class Converter {
 public:
  using MarkT = decltype(std::declval<const N&>().Mark());

  Converter(FieldPositions* positions, std::vector<ConversionError>& errors)
      : positions_(positions), errors_(errors) {}

  // `mark` is where errors about `node` as a whole point: the key that holds
  // it, or the list item.
  void Message(const N& node, const std::string& path, const MarkT& mark,
               google::protobuf::Message& msg) {
    const Descriptor* descriptor = msg.GetDescriptor();
    if (IsWellKnown(descriptor)) {
      WellKnown(node, path, mark, msg);
      return;
    }
    if (node.IsNull()) return;
    if (!node.IsMap()) {
      Error(path, mark,
            absl::StrCat("expected a map (", descriptor->name(), "), got ", DescribeYaml(node)));
      return;
    }
    const Reflection* reflection = msg.GetReflection();
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: the iterator hands out a temporary pair.
      const N key = it->first;
      const N value = it->second;
      if (!key.IsScalar()) {
        Error(path, key.Mark(), "field names must be strings");
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string field_path = path.empty() ? name : absl::StrCat(path, ".", name);
      if (positions_ != nullptr) positions_->Record(field_path, key.Mark());
      const FieldDescriptor* field = FindField(descriptor, name);
      if (field == nullptr) {
        Error(field_path, key.Mark(), UnknownFieldMessage(descriptor, name));
        continue;
      }
      if (value.IsNull() && !IsValueMessage(field)) continue;  // null means unset
      if (const auto* oneof = field->real_containing_oneof()) {
        const FieldDescriptor* already = reflection->GetOneofFieldDescriptor(msg, oneof);
        if (already != nullptr && already != field) {
          Error(field_path, key.Mark(),
                absl::StrCat("only one of ", OneofFieldNames(oneof), " may be set (\"",
                             already->json_name(), "\" is set too)"));
          continue;
        }
      }
      if (field->is_map()) {
        MapField(value, field_path, key.Mark(), msg, field);
      } else if (field->is_repeated()) {
        RepeatedField(value, field_path, key.Mark(), msg, field);
      } else {
        SingularField(value, field_path, key.Mark(), msg, field);
      }
    }
  }

 private:
  static bool IsWellKnown(const Descriptor* d) {
    return d->file()->package() == "google.protobuf" &&
           d->full_name() != "google.protobuf.Any";  // Any has no YAML form here
  }

  static bool IsValueMessage(const FieldDescriptor* field) {
    return field->message_type() != nullptr &&
           field->message_type()->full_name() == "google.protobuf.Value";
  }

  static const FieldDescriptor* FindField(const Descriptor* d, const std::string& name) {
    // Hash lookups first (the lowerCamelCase name is the JSON name unless a
    // field sets json_name), then a scan for a custom json_name.
    if (const FieldDescriptor* f = d->FindFieldByCamelcaseName(name);
        f != nullptr && f->json_name() == name) {
      return f;
    }
    if (const FieldDescriptor* f = d->FindFieldByName(name)) return f;
    for (int i = 0; i < d->field_count(); ++i) {
      if (d->field(i)->json_name() == name) return d->field(i);
    }
    return nullptr;
  }

  static std::string OneofFieldNames(const google::protobuf::OneofDescriptor* oneof) {
    std::vector<std::string> names;
    for (int i = 0; i < oneof->field_count(); ++i) names.push_back(oneof->field(i)->json_name());
    return absl::StrJoin(names, ", ");
  }

  static std::string UnknownFieldMessage(const Descriptor* d, const std::string& name) {
    std::string message = absl::StrCat("unknown field \"", name, "\" in ", d->name());
    const FieldDescriptor* best = nullptr;
    size_t best_distance = 3;
    for (int i = 0; i < d->field_count(); ++i) {
      size_t distance = EditDistance(absl::AsciiStrToLower(name),
                                     absl::AsciiStrToLower(d->field(i)->json_name()));
      if (distance < best_distance) {
        best = d->field(i);
        best_distance = distance;
      }
    }
    if (best != nullptr) absl::StrAppend(&message, " (did you mean \"", best->json_name(), "\"?)");
    return message;
  }

  void Error(const std::string& path, const MarkT& mark, std::string message) {
    FieldPositions::LineColumn position;
    if (!mark.is_null()) position = {mark.line + 1, mark.column + 1};
    errors_.push_back(ConversionError{path, position, std::move(message)});
  }

  void RepeatedField(const N& node, const std::string& path, const MarkT& mark,
                     google::protobuf::Message& msg, const FieldDescriptor* field) {
    if (!node.IsSequence()) {
      Error(path, mark, absl::StrCat("expected a list, got ", DescribeYaml(node)));
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string item_path = absl::StrCat(path, "[", i, "]");
      if (positions_ != nullptr) positions_->Record(item_path, node[i].Mark());
      AddValue(node[i], item_path, msg, field);
    }
  }

  void MapField(const N& node, const std::string& path, const MarkT& mark,
                google::protobuf::Message& msg, const FieldDescriptor* field) {
    if (!node.IsMap()) {
      Error(path, mark, absl::StrCat("expected a map, got ", DescribeYaml(node)));
      return;
    }
    const FieldDescriptor* key_field = field->message_type()->map_key();
    const FieldDescriptor* value_field = field->message_type()->map_value();
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key_text = it->first.IsScalar() ? it->first.Scalar() : "";
      const std::string entry_path = absl::StrCat(path, "[\"", key_text, "\"]");
      if (positions_ != nullptr) positions_->Record(entry_path, it->first.Mark());
      google::protobuf::Message* entry = msg.GetReflection()->AddMessage(&msg, field);
      // Map keys are strings in JSON whatever their proto type.
      if (key_field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        if (!it->first.IsScalar() || !IsValidUtf8(key_text)) {
          Error(entry_path, it->first.Mark(), "map keys must be UTF-8 strings");
          continue;
        }
        entry->GetReflection()->SetString(entry, key_field, key_text);
      } else {
        SetScalar(it->first, entry_path, it->first.Mark(), *entry, key_field, /*key=*/true);
      }
      if (it->second.IsNull() && !IsValueMessage(value_field)) {
        if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          Error(entry_path, it->first.Mark(), "expected string, got null");
        }
        continue;
      }
      SingularField(it->second, entry_path, it->first.Mark(), *entry, value_field);
    }
  }

  void AddValue(const N& node, const std::string& path, google::protobuf::Message& msg,
                const FieldDescriptor* field) {
    const Reflection* reflection = msg.GetReflection();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Message(node, path, node.Mark(), *reflection->AddMessage(&msg, field));
      return;
    }
    if (node.IsNull()) {
      Error(path, node.Mark(), "list items cannot be null");
      return;
    }
    SetScalar(node, path, node.Mark(), msg, field, /*key=*/false);
  }

  void SingularField(const N& node, const std::string& path, const MarkT& mark,
                     google::protobuf::Message& msg, const FieldDescriptor* field) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Message(node, path, mark, *msg.GetReflection()->MutableMessage(&msg, field));
      return;
    }
    SetScalar(node, path, mark, msg, field, /*key=*/false);
  }

  // Sets (or, for repeated fields, adds) one scalar value.
  void SetScalar(const N& node, const std::string& path, const MarkT& mark,
                 google::protobuf::Message& msg, const FieldDescriptor* field, bool key) {
    const Reflection* r = msg.GetReflection();
    const bool repeated = field->is_repeated();
    if (!node.IsScalar()) {
      Error(path, mark,
            absl::StrCat("expected ", ExpectedName(field), ", got ", DescribeYaml(node)));
      return;
    }
    const std::string& text = node.Scalar();
    const PlainType type =
        key ? (ClassifyPlain(text) == PlainType::kInt ? PlainType::kInt : PlainType::kString)
            : TypeOf(node);
    auto wrong = [&]() {
      Error(path, mark,
            absl::StrCat("expected ", ExpectedName(field), ", got ", DescribeYaml(node)));
    };
    // Numbers may be quoted in JSON; so in YAML.
    const bool numeric_text = type == PlainType::kInt || type == PlainType::kFloat ||
                              (type == PlainType::kString && !text.empty());
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        if (type != PlainType::kString) return wrong();
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          std::string decoded;
          if (!absl::Base64Unescape(text, &decoded) &&
              !absl::WebSafeBase64Unescape(text, &decoded)) {
            Error(path, mark, absl::StrCat("expected base64 bytes, got ", DescribeYaml(node)));
            return;
          }
          repeated ? r->AddString(&msg, field, decoded) : r->SetString(&msg, field, decoded);
          return;
        }
        if (!IsValidUtf8(text)) {
          Error(path, mark, "string is not valid UTF-8");
          return;
        }
        repeated ? r->AddString(&msg, field, text) : r->SetString(&msg, field, text);
        return;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        if (type != PlainType::kBool && !(key && (text == "true" || text == "false")))
          return wrong();
        const std::string lower = absl::AsciiStrToLower(text);
        const bool value = lower == "true" || lower == "yes" || lower == "on";
        repeated ? r->AddBool(&msg, field, value) : r->SetBool(&msg, field, value);
        return;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumDescriptor* enum_type = field->enum_type();
        const EnumValueDescriptor* value = nullptr;
        int64_t number = 0;
        if (type == PlainType::kInt && absl::SimpleAtoi(text, &number)) {
          value = enum_type->FindValueByNumber(static_cast<int>(number));
        } else if (type == PlainType::kString || type == PlainType::kBool) {
          value = enum_type->FindValueByName(text);
        }
        if (value == nullptr) {
          std::vector<std::string> names;
          for (int i = 0; i < enum_type->value_count(); ++i)
            names.push_back(enum_type->value(i)->name());
          Error(path, mark,
                absl::StrCat("unknown value ", DescribeYaml(node), " for ", enum_type->name(),
                             " (want one of ", absl::StrJoin(names, ", "), ")"));
          return;
        }
        repeated ? r->AddEnum(&msg, field, value) : r->SetEnum(&msg, field, value);
        return;
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        if (!numeric_text) return wrong();
        SetInteger(node, text, path, mark, msg, field);
        return;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double value = 0;
        if (!numeric_text) return wrong();
        if (text == "NaN" || text == ".nan") {
          value = std::numeric_limits<double>::quiet_NaN();
        } else if (text == "Infinity" || text == ".inf" || text == "+.inf") {
          value = std::numeric_limits<double>::infinity();
        } else if (text == "-Infinity" || text == "-.inf") {
          value = -std::numeric_limits<double>::infinity();
        } else if (!absl::SimpleAtod(text, &value)) {
          return wrong();
        }
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          repeated ? r->AddFloat(&msg, field, static_cast<float>(value))
                   : r->SetFloat(&msg, field, static_cast<float>(value));
        } else {
          repeated ? r->AddDouble(&msg, field, value) : r->SetDouble(&msg, field, value);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return wrong();
    }
  }

  void SetInteger(const N& node, const std::string& text, const std::string& path,
                  const MarkT& mark, google::protobuf::Message& msg, const FieldDescriptor* field) {
    const Reflection* r = msg.GetReflection();
    const bool repeated = field->is_repeated();
    auto out_of_range = [&](const char* type) {
      Error(path, mark, absl::StrCat("value ", text, " is out of range for ", type));
    };
    int64_t s = 0;
    uint64_t u = 0;
    const bool is_signed = field->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                           field->cpp_type() == FieldDescriptor::CPPTYPE_INT64;
    if (is_signed ? !absl::SimpleAtoi(text, &s) : !absl::SimpleAtoi(text, &u)) {
      if (!is_signed && absl::SimpleAtoi(text, &s) && s < 0) {
        out_of_range(field->cpp_type_name());
      } else if (IsIntText(text)) {
        out_of_range(field->cpp_type_name());
      } else {
        Error(path, mark, absl::StrCat("expected integer, got ", DescribeYaml(node)));
      }
      return;
    }
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        if (s < std::numeric_limits<int32_t>::min() || s > std::numeric_limits<int32_t>::max()) {
          return out_of_range("int32");
        }
        repeated ? r->AddInt32(&msg, field, static_cast<int32_t>(s))
                 : r->SetInt32(&msg, field, static_cast<int32_t>(s));
        return;
      case FieldDescriptor::CPPTYPE_INT64:
        repeated ? r->AddInt64(&msg, field, s) : r->SetInt64(&msg, field, s);
        return;
      case FieldDescriptor::CPPTYPE_UINT32:
        if (u > std::numeric_limits<uint32_t>::max()) return out_of_range("uint32");
        repeated ? r->AddUInt32(&msg, field, static_cast<uint32_t>(u))
                 : r->SetUInt32(&msg, field, static_cast<uint32_t>(u));
        return;
      default:
        repeated ? r->AddUInt64(&msg, field, u) : r->SetUInt64(&msg, field, u);
        return;
    }
  }

  void WellKnown(const N& node, const std::string& path, const MarkT& mark,
                 google::protobuf::Message& msg) {
    const std::string& name = msg.GetDescriptor()->full_name();
    const Reflection* r = msg.GetReflection();
    const Descriptor* d = msg.GetDescriptor();
    if (name == "google.protobuf.Value") {
      ToValue(node, path, mark, msg);
      return;
    }
    if (node.IsNull()) return;
    if (name == "google.protobuf.Struct") {
      if (!node.IsMap()) {
        Error(path, mark, absl::StrCat("expected a map, got ", DescribeYaml(node)));
        return;
      }
      const FieldDescriptor* fields = d->FindFieldByName("fields");
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar() || !IsValidUtf8(it->first.Scalar())) {
          Error(path, it->first.Mark(), "map keys must be UTF-8 strings");
          continue;
        }
        google::protobuf::Message* entry = r->AddMessage(&msg, fields);
        entry->GetReflection()->SetString(entry, entry->GetDescriptor()->map_key(),
                                          it->first.Scalar());
        const std::string entry_path = absl::StrCat(path, ".", it->first.Scalar());
        if (positions_ != nullptr) positions_->Record(entry_path, it->first.Mark());
        ToValue(
            it->second, entry_path, it->first.Mark(),
            *entry->GetReflection()->MutableMessage(entry, entry->GetDescriptor()->map_value()));
      }
      return;
    }
    if (name == "google.protobuf.ListValue") {
      if (!node.IsSequence()) {
        Error(path, mark, absl::StrCat("expected a list, got ", DescribeYaml(node)));
        return;
      }
      const FieldDescriptor* values = d->FindFieldByName("values");
      for (size_t i = 0; i < node.size(); ++i) {
        ToValue(node[i], absl::StrCat(path, "[", i, "]"), node[i].Mark(),
                *r->AddMessage(&msg, values));
      }
      return;
    }
    if (name == "google.protobuf.Duration") {
      absl::Duration duration;
      if (!node.IsScalar() || !absl::ParseDuration(node.Scalar(), &duration) ||
          duration == absl::InfiniteDuration() || duration == -absl::InfiniteDuration()) {
        Error(path, mark,
              absl::StrCat("expected a duration such as \"1s\", \"100ms\" or \"1m30s\", got ",
                           DescribeYaml(node)));
        return;
      }
      const int64_t seconds = absl::IDivDuration(duration, absl::Seconds(1), &duration);
      r->SetInt64(&msg, d->FindFieldByName("seconds"), seconds);
      r->SetInt32(&msg, d->FindFieldByName("nanos"),
                  static_cast<int32_t>(absl::ToInt64Nanoseconds(duration)));
      return;
    }
    if (name == "google.protobuf.Timestamp") {
      absl::Time time;
      std::string error;
      if (!node.IsScalar() || !absl::ParseTime(absl::RFC3339_full, node.Scalar(), &time, &error)) {
        Error(path, mark,
              absl::StrCat("expected an RFC 3339 time such as \"2026-01-02T15:04:05Z\", got ",
                           DescribeYaml(node)));
        return;
      }
      const absl::Duration since_epoch = time - absl::UnixEpoch();
      absl::Duration rem;
      const int64_t seconds = absl::IDivDuration(since_epoch, absl::Seconds(1), &rem);
      r->SetInt64(&msg, d->FindFieldByName("seconds"), seconds);
      r->SetInt32(&msg, d->FindFieldByName("nanos"),
                  static_cast<int32_t>(absl::ToInt64Nanoseconds(rem)));
      return;
    }
    if (name == "google.protobuf.Empty") {
      if (!node.IsMap() || node.size() != 0) {
        Error(path, mark, absl::StrCat("expected {}, got ", DescribeYaml(node)));
      }
      return;
    }
    if (name == "google.protobuf.FieldMask") {
      Error(path, mark, "FieldMask is not supported in configuration");
      return;
    }
    // Wrapper types: the JSON form is the wrapped value itself.
    const FieldDescriptor* value = d->FindFieldByName("value");
    if (value != nullptr) {
      SingularField(node, path, mark, msg, value);
      return;
    }
    Error(path, mark, absl::StrCat(name, " is not supported in configuration"));
  }

  void ToValue(const N& node, const std::string& path, const MarkT& mark,
               google::protobuf::Message& msg) {
    const Reflection* r = msg.GetReflection();
    const Descriptor* d = msg.GetDescriptor();
    if (node.IsMap()) {
      WellKnown(node, path, mark, *r->MutableMessage(&msg, d->FindFieldByName("struct_value")));
    } else if (node.IsSequence()) {
      WellKnown(node, path, mark, *r->MutableMessage(&msg, d->FindFieldByName("list_value")));
    } else {
      switch (TypeOf(node)) {
        case PlainType::kNull:
          r->SetEnumValue(&msg, d->FindFieldByName("null_value"), 0);
          break;
        case PlainType::kBool: {
          const std::string lower = absl::AsciiStrToLower(node.Scalar());
          r->SetBool(&msg, d->FindFieldByName("bool_value"),
                     lower == "true" || lower == "yes" || lower == "on");
          break;
        }
        case PlainType::kInt:
        case PlainType::kFloat: {
          double number = 0;
          if (absl::SimpleAtod(node.Scalar(), &number)) {
            r->SetDouble(&msg, d->FindFieldByName("number_value"), number);
          } else {
            r->SetString(&msg, d->FindFieldByName("string_value"), node.Scalar());
          }
          break;
        }
        case PlainType::kString:
          if (!IsValidUtf8(node.Scalar())) {
            Error(path, mark, "string is not valid UTF-8");
            break;
          }
          r->SetString(&msg, d->FindFieldByName("string_value"), node.Scalar());
          break;
      }
    }
  }

  static std::string ExpectedName(const FieldDescriptor* field) {
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return field->type() == FieldDescriptor::TYPE_BYTES ? "base64 bytes" : "string";
      case FieldDescriptor::CPPTYPE_BOOL:
        return "boolean";
      case FieldDescriptor::CPPTYPE_ENUM:
        return absl::StrCat("one of the ", field->enum_type()->name(), " names");
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT:
        return "number";
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return absl::StrCat("a map (", field->message_type()->name(), ")");
      default:
        return "integer";
    }
  }

  FieldPositions* positions_;
  std::vector<ConversionError>& errors_;
};

}  // namespace

FieldPositions::LineColumn FieldPositions::Find(std::string_view path) const {
  std::string current(path);
  while (!current.empty()) {
    // The latest record of a path wins, as it would in a map.
    for (auto it = positions_.rbegin(); it != positions_.rend(); ++it) {
      if (it->first == current) return it->second;
    }
    size_t cut = current.find_last_of(".[");
    if (cut == std::string::npos) break;
    current.resize(cut);
  }
  return {};
}

bool ValidUtf8(const std::string& text) { return IsValidUtf8(text); }

namespace {

template <typename N>
std::string Describe(const N& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  std::string text = node.Scalar();
  if (text.size() > 64) text = text.substr(0, 61) + "...";
  return absl::StrCat("\"", absl::CEscape(text), "\"");
}

}  // namespace

std::string DescribeYaml(const YAML::Node& node) { return Describe(node); }
std::string DescribeYaml(const yaml::Node& node) { return Describe(node); }

void YamlToProto(const YAML::Node& node, const std::string& path,
                 google::protobuf::Message& message, FieldPositions* positions,
                 std::vector<ConversionError>& errors) {
  Converter<YAML::Node>(positions, errors).Message(node, path, node.Mark(), message);
}

void YamlToProto(const yaml::Node& node, const std::string& path,
                 google::protobuf::Message& message, FieldPositions* positions,
                 std::vector<ConversionError>& errors) {
  Converter<yaml::Node>(positions, errors).Message(node, path, node.Mark(), message);
}

}  // namespace keel::mesh
