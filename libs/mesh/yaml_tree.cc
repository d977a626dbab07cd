#include "libs/mesh/yaml_tree.h"

#include <yaml.h>

#include <map>
#include <memory>

namespace keel::yaml {
namespace {

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

// yaml-cpp's null: a plain, untagged scalar spelled as YAML's null.
bool IsNullText(const char* text, size_t length) {
  const std::string_view s(text, length);
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// "!!str" arrives resolved ("tag:yaml.org,2002:str"), as yaml-cpp reports it.
std::string TagOf(const yaml_char_t* tag, bool plain) {
  if (tag != nullptr) return reinterpret_cast<const char*>(tag);
  return plain ? "?" : "!";
}

}  // namespace

class Builder {
 public:
  explicit Builder(Document& document) : document_(document) {}

  bool Run(const std::string& text, LoadError& error) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
      error.message = "cannot start the YAML reader";
      return false;
    }
    std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> guard(&parser, yaml_parser_delete);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    bool in_document = false;
    bool done = false;
    while (!done) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        error.message = parser.problem != nullptr ? parser.problem : "malformed YAML";
        if (parser.context != nullptr) {
          error.message = std::string(parser.context) + ": " + error.message;
        }
        error.line = static_cast<int>(parser.problem_mark.line);
        error.column = static_cast<int>(parser.problem_mark.column);
        return false;
      }
      std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> event_guard(&event, yaml_event_delete);
      const int line = static_cast<int>(event.start_mark.line);
      const int column = static_cast<int>(event.start_mark.column);
      switch (event.type) {
        case YAML_STREAM_END_EVENT:
          done = true;
          break;
        case YAML_DOCUMENT_START_EVENT:
          // Only the first document: callers split streams themselves.
          if (in_document) done = true;
          in_document = true;
          break;
        case YAML_DOCUMENT_END_EVENT:
          done = true;
          break;
        case YAML_ALIAS_EVENT: {
          auto it = anchors_.find(reinterpret_cast<const char*>(event.data.alias.anchor));
          if (it == anchors_.end()) {
            error.message = "unknown anchor \"" +
                            std::string(reinterpret_cast<const char*>(event.data.alias.anchor)) +
                            "\"";
            error.line = line;
            error.column = column;
            return false;
          }
          Attach(it->second);
          break;
        }
        case YAML_SCALAR_EVENT: {
          const auto& scalar = event.data.scalar;
          const bool plain = scalar.style == YAML_PLAIN_SCALAR_STYLE;
          const char* value = reinterpret_cast<const char*>(scalar.value);
          Document::Data data;
          data.line = line;
          data.column = column;
          data.tag = TagOf(scalar.tag, plain);
          if (plain && scalar.tag == nullptr && IsNullText(value, scalar.length)) {
            data.kind = Document::Kind::kNull;
            data.tag.clear();  // yaml-cpp keeps no tag on a null
          } else {
            data.kind = Document::Kind::kScalar;
            data.scalar.assign(value, scalar.length);
          }
          const int32_t index = Add(std::move(data), scalar.anchor);
          Attach(index);
          break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
          const bool map = event.type == YAML_MAPPING_START_EVENT;
          if (static_cast<int>(open_.size()) >= kMaxReaderDepth) {
            error.too_deep = true;
            error.message = "nested too deep";
            error.line = line;
            error.column = column;
            return false;
          }
          Document::Data data;
          data.kind = map ? Document::Kind::kMap : Document::Kind::kSequence;
          data.line = line;
          data.column = column;
          data.tag =
              TagOf(map ? event.data.mapping_start.tag : event.data.sequence_start.tag, true);
          const int32_t index = Add(std::move(data), map ? event.data.mapping_start.anchor
                                                         : event.data.sequence_start.anchor);
          Attach(index);
          open_.push_back(index);
          break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          open_.pop_back();
          break;
        default:
          break;
      }
    }
    return true;
  }

 private:
  int32_t Add(Document::Data data, const yaml_char_t* anchor) {
    const int32_t index = static_cast<int32_t>(document_.nodes_.size());
    document_.nodes_.push_back(std::move(data));
    if (anchor != nullptr) anchors_[reinterpret_cast<const char*>(anchor)] = index;
    return index;
  }

  // Adds `index` to the open collection (a map alternates key, value).
  void Attach(int32_t index) {
    if (open_.empty()) return;  // the root
    document_.nodes_[open_.back()].children.push_back(index);
  }

  Document& document_;
  std::vector<int32_t> open_;
  std::map<std::string, int32_t> anchors_;
};

bool Load(const std::string& text, Document& document, LoadError& error) {
  document = Document();
  // About one node per 8 bytes of Istio YAML: one allocation, not a dozen.
  document.nodes_.reserve(text.size() / 8 + 4);
  if (!Builder(document).Run(text, error)) return false;
  // An empty document is a null, as yaml-cpp reads it.
  if (document.nodes_.empty()) {
    Document::Data empty;
    empty.line = empty.column = -1;  // no position, as yaml-cpp's
    document.nodes_.push_back(std::move(empty));
  }
  return true;
}

bool Node::IsNull() const {
  return doc_ != nullptr && doc_->nodes_[index_].kind == Document::Kind::kNull;
}
bool Node::IsScalar() const {
  return doc_ != nullptr && doc_->nodes_[index_].kind == Document::Kind::kScalar;
}
bool Node::IsSequence() const {
  return doc_ != nullptr && doc_->nodes_[index_].kind == Document::Kind::kSequence;
}
bool Node::IsMap() const {
  return doc_ != nullptr && doc_->nodes_[index_].kind == Document::Kind::kMap;
}

const std::string& Node::Scalar() const {
  return doc_ == nullptr ? EmptyString() : doc_->nodes_[index_].scalar;
}

const std::string& Node::Tag() const {
  return doc_ == nullptr ? EmptyString() : doc_->nodes_[index_].tag;
}

Mark Node::Mark() const {
  if (doc_ == nullptr) return {};
  const Document::Data& data = doc_->nodes_[index_];
  return {data.line, data.column};
}

size_t Node::size() const {
  if (doc_ == nullptr) return 0;
  const Document::Data& data = doc_->nodes_[index_];
  switch (data.kind) {
    case Document::Kind::kSequence:
      return data.children.size();
    case Document::Kind::kMap:
      return data.children.size() / 2;
    default:
      return 0;
  }
}

Node Node::operator[](size_t index) const {
  if (!IsSequence()) return Node();
  const auto& children = doc_->nodes_[index_].children;
  return index < children.size() ? Node(doc_, children[index]) : Node();
}

Node Node::operator[](const std::string& key) const {
  if (!IsMap()) return Node();
  const auto& children = doc_->nodes_[index_].children;
  for (size_t i = 0; i + 1 < children.size(); i += 2) {
    const Document::Data& k = doc_->nodes_[children[i]];
    if (k.kind == Document::Kind::kScalar && k.scalar == key) return Node(doc_, children[i + 1]);
  }
  return Node();
}

const NodeEntry& Node::Iterator::operator*() const {
  const Document* doc = parent_->doc_;
  const auto& children = doc->nodes_[parent_->index_].children;
  if (parent_->IsMap()) {
    entry_.first = Node(doc, children[2 * index_]);
    entry_.second = Node(doc, children[2 * index_ + 1]);
    static_cast<Node&>(entry_) = Node();
  } else {
    static_cast<Node&>(entry_) = Node(doc, children[index_]);
    entry_.first = entry_.second = Node();
  }
  return entry_;
}

}  // namespace keel::yaml
