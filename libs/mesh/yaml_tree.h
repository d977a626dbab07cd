// A YAML document read with libyaml's event parser into a compact node tree,
// for the hot path (every config file Galley and keelctl read).
//
// yaml-cpp's loader alone capped Galley near 13k resources/s; this reader
// keeps what Keel needs from it (line and column marks, tags as yaml-cpp
// reports them, null resolution, anchors shared rather than copied) in one
// array of nodes. `yaml::Node` has the small subset of `YAML::Node`'s
// interface the converters use, so they are written once for both.
//
//   yaml::Document doc;
//   yaml::LoadError error;
//   if (!yaml::Load(text, doc, error)) ... error.message, error.line ...
//   yaml::Node root = doc.root();
#ifndef KEEL_LIBS_MESH_YAML_TREE_H_
#define KEEL_LIBS_MESH_YAML_TREE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace keel::yaml {

// Where a node starts; 0-based, as yaml-cpp's Mark.
struct Mark {
  int line = -1;
  int column = -1;
  bool is_null() const { return line < 0; }
};

class Document;

class Node {
 public:
  Node() = default;  // undefined (a missing map key)

  bool IsDefined() const { return doc_ != nullptr; }
  bool IsNull() const;
  bool IsScalar() const;
  bool IsSequence() const;
  bool IsMap() const;
  // The scalar's text ("" for anything but a scalar).
  const std::string& Scalar() const;
  // yaml-cpp's tags: "?" for a plain scalar or an untagged collection, "!"
  // for a quoted scalar, the resolved tag ("tag:yaml.org,2002:str") when
  // one is written.
  const std::string& Tag() const;
  keel::yaml::Mark Mark() const;
  // Entries of a map, items of a list, 0 for anything else.
  size_t size() const;
  // A list's item (undefined if out of range).
  Node operator[](size_t index) const;
  // A map's value for a scalar key (the first, if repeated; undefined if
  // absent).
  Node operator[](const std::string& key) const;
  Node operator[](const char* key) const { return (*this)[std::string(key)]; }

  // Iteration as yaml-cpp's: over a list, each item is a Node; over a map,
  // each entry has .first (key) and .second (value).
  class Iterator;
  Iterator begin() const;
  Iterator end() const;

 private:
  friend class Document;
  Node(const Document* doc, int32_t index) : doc_(doc), index_(index) {}

  const Document* doc_ = nullptr;
  int32_t index_ = -1;
};

// What iterating a Node yields: the item (a list's) or .first and .second
// (a map's).
struct NodeEntry : Node, std::pair<Node, Node> {};

class Node::Iterator {
 public:
  Iterator(const Node* parent, size_t index) : parent_(parent), index_(index) {}
  const NodeEntry& operator*() const;
  const NodeEntry* operator->() const { return &**this; }
  Iterator& operator++() {
    ++index_;
    return *this;
  }
  bool operator!=(const Iterator& other) const { return index_ != other.index_; }
  bool operator==(const Iterator& other) const { return index_ == other.index_; }

 private:
  const Node* parent_;
  size_t index_;
  mutable NodeEntry entry_;
};

inline Node::Iterator Node::begin() const { return Iterator(this, 0); }
inline Node::Iterator Node::end() const { return Iterator(this, size()); }

// The node array of one document. Nodes refer into it: keep the Document
// alive while they are used.
class Document {
 public:
  Node root() const { return nodes_.empty() ? Node() : Node(this, 0); }

 private:
  friend class Node;
  friend class Builder;
  friend bool Load(const std::string& text, Document& document, struct LoadError& error);
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  struct Data {
    Kind kind = Kind::kNull;
    int32_t line = 0;
    int32_t column = 0;
    std::string tag;
    std::string scalar;
    // A list's items; a map's keys and values, alternating.
    std::vector<int32_t> children;
  };
  std::vector<Data> nodes_;
};

struct LoadError {
  std::string message;  // libyaml's problem and context
  int line = 0;         // 0-based
  int column = 0;
  bool too_deep = false;  // nested past kMaxReaderDepth
};

// How deep the reader itself goes before refusing (validation applies a
// tighter limit to what it reads).
inline constexpr int kMaxReaderDepth = 256;

// Load reads the first document of `text` (an empty text is a null root).
// Returns false with `error` set when the YAML is malformed.
bool Load(const std::string& text, Document& document, LoadError& error);

}  // namespace keel::yaml

#endif  // KEEL_LIBS_MESH_YAML_TREE_H_
