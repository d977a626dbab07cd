// JsonWriter builds JSON text with every string escaped and every comma in
// place, for debug pages, status output and files Keel writes. Hand-joined
// JSON strings are where a client-supplied string (a node id, a type URL)
// breaks a page.
//
//   JsonWriter json;
//   json.BeginObject().Key("proxy").String(node_id).Key("acked").Bool(true).EndObject();
//   std::string text = json.Take();
#ifndef KEEL_LIBS_COMMON_JSON_WRITER_H_
#define KEEL_LIBS_COMMON_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel {

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  // Key names the next value of the enclosing object.
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Double writes a number; NaN and infinities (which JSON lacks) as null.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  // Raw inserts `json`, already valid JSON (e.g. protobuf's JSON mapping).
  JsonWriter& Raw(std::string_view json);

  // Take returns the text and resets the writer.
  std::string Take();

 private:
  JsonWriter& Open(char bracket);
  JsonWriter& Close(char bracket);
  void BeforeValue();

  std::string out_;
  std::vector<bool> first_;  // per open container: no value written yet
  bool after_key_ = false;
};

// JsonEscape returns `text` escaped for use inside a JSON string literal.
std::string JsonEscape(std::string_view text);

}  // namespace keel

#endif  // KEEL_LIBS_COMMON_JSON_WRITER_H_
