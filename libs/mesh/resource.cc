#include "libs/mesh/resource.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "libs/common/stable_hash.h"
#include "re2/re2.h"

namespace keel::mesh {
namespace {

// ObjectMeta fields Keel reads, and those it accepts and ignores (they are
// set by Kubernetes and appear in `kubectl get -o yaml` output).
const char* const kIgnoredMetadata[] = {"uid",
                                        "resourceVersion",
                                        "generation",
                                        "creationTimestamp",
                                        "managedFields",
                                        "selfLink",
                                        "finalizers",
                                        "ownerReferences",
                                        "generateName",
                                        "deletionTimestamp",
                                        "deletionGracePeriodSeconds"};

struct Document {
  std::string text;
  int first_line = 1;  // 1-based line of the document's first line in the file
};

// Splits a multi-document stream at "---" lines so that a syntax error in
// one document does not lose the others.
std::vector<Document> SplitDocuments(const std::string& content) {
  std::vector<Document> documents;
  Document current;
  int line_number = 0;
  size_t start = 0;
  while (start <= content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    std::string_view line(content.data() + start, end - start);
    ++line_number;
    const bool separator = line.substr(0, 3) == "---" && (line.size() == 3 || line[3] == ' ' ||
                                                          line[3] == '\t' || line[3] == '\r');
    if (separator) {
      documents.push_back(std::move(current));
      current = Document{.text = std::string(line.substr(3)) + "\n", .first_line = line_number};
    } else {
      current.text.append(line.data(), line.size()).append("\n");
    }
    if (end == content.size()) break;
    start = end + 1;
  }
  documents.push_back(std::move(current));
  return documents;
}

// The work a document may cost, in node visits: proportional to its size.
// Aliases let a few hundred bytes name billions of nodes ("billion laughs");
// every walk of the tree spends from this budget, so such a document is
// rejected in time proportional to its bytes, never expanded.
size_t NodeBudgetFor(size_t document_bytes) { return 8 * document_bytes + 4096; }

enum class Shape { kOk, kTooDeep, kTooManyNodes };

constexpr char kAliasBombMessage[] =
    "YAML aliases expand to too many nodes for the document's size (an alias bomb?): "
    "refused without expanding them";

// CheckShape walks the node tree (aliases followed, as readers will) within
// `budget` node visits and kMaxNestingDepth levels.
Shape CheckShape(const yaml::Node& root, size_t& budget) {
  std::vector<std::pair<yaml::Node, int>> stack = {{root, 1}};
  while (!stack.empty()) {
    auto [node, depth] = std::move(stack.back());
    stack.pop_back();
    if (depth > kMaxNestingDepth) return Shape::kTooDeep;
    if (budget == 0) return Shape::kTooManyNodes;
    --budget;
    if (node.IsSequence()) {
      for (const auto& child : node) stack.push_back({child, depth + 1});
    } else if (node.IsMap()) {
      for (const auto& child : node) {
        stack.push_back({child.first, depth + 1});
        stack.push_back({child.second, depth + 1});
      }
    }
  }
  return Shape::kOk;
}

class DocumentParser {
 public:
  DocumentParser(const std::string& file, int line_offset, size_t document_bytes, ParsedFile& out)
      : file_(file),
        line_offset_(line_offset),
        node_budget_(NodeBudgetFor(document_bytes)),
        out_(out) {}

  void Parse(const yaml::Node& root) {
    if (!root.IsDefined() || root.IsNull()) return;  // an empty document
    // Each object costs a visit too: a List whose items alias Lists would
    // otherwise multiply.
    if (node_budget_ == 0) {
      if (!budget_reported_) Error(root.Mark(), "", "", kAliasBombMessage);
      budget_reported_ = true;
      return;
    }
    --node_budget_;
    if (!root.IsMap()) {
      Error(root.Mark(), "", "",
            absl::StrCat("expected a Kubernetes object (a map), got ", DescribeYaml(root)));
      return;
    }
    const std::string api_version = Scalar(root["apiVersion"]);
    const std::string kind = Scalar(root["kind"]);
    if (api_version.empty() || kind.empty()) {
      Error(root.Mark(), "", api_version.empty() ? "apiVersion" : "kind",
            "missing or not a string");
      return;
    }
    if (api_version == "v1" && kind == "List") {
      const yaml::Node items = root["items"];
      if (items.IsSequence()) {
        for (const auto& item : items) Parse(item);
      }
      return;
    }
    bool group_known = false;
    const KindInfo* info = FindKind(api_version, kind, &group_known);
    const yaml::Node metadata = root["metadata"];
    const std::string name = metadata.IsMap() ? Scalar(metadata["name"]) : "";
    std::string namespace_name = metadata.IsMap() ? Scalar(metadata["namespace"]) : "";
    if (namespace_name.empty()) namespace_name = "default";
    const std::string display = absl::StrCat(kind, " ", namespace_name, "/", name);
    if (info == nullptr && api_version == "v1" &&
        (kind == "Service" || kind == "Namespace" || kind == "Pod")) {
      ReadKubeObject(root, kind, name, namespace_name);
      return;
    }
    if (info == nullptr) {
      if (group_known && FindKindByName(kind) != nullptr) {
        Error(root["apiVersion"].Mark(), display, "apiVersion",
              absl::StrCat("version \"", api_version, "\" of ", kind, " is not supported (want ",
                           absl::StrJoin(FindKindByName(kind)->accepted_versions, ", "), ")"));
        return;
      }
      Diagnostic note;
      note.level = Level::kInfo;
      note.position = Position(root.Mark());
      note.resource = display;
      note.message =
          absl::StrCat("skipped: ", api_version, " ", kind, " is not a kind Keel handles");
      out_.diagnostics.push_back(std::move(note));
      return;
    }

    switch (CheckShape(root, node_budget_)) {
      case Shape::kOk:
        break;
      case Shape::kTooDeep:
        Error(root.Mark(), display, "",
              absl::StrCat("nested more than ", kMaxNestingDepth, " levels deep"));
        return;
      case Shape::kTooManyNodes:
        Error(root.Mark(), display, "", kAliasBombMessage);
        budget_reported_ = true;
        return;
    }

    Resource resource;
    resource.kind = info;
    resource.api_version = api_version;
    resource.name = name;
    resource.namespace_name = namespace_name;
    resource.position = Position(root.Mark());
    resource.line_offset = line_offset_;
    auto positions = std::make_shared<FieldPositions>();
    bool ok = true;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string key = it->first.Scalar();
      positions->Record(key, it->first.Mark());
      if (key == "apiVersion" || key == "kind" || key == "status") continue;
      if (key == "metadata") {
        ok &= ReadMetadata(it->second, display, resource, *positions);
        continue;
      }
      if (key == "spec") continue;
      Error(it->first.Mark(), display, key,
            absl::StrCat("unknown field \"", key, "\" (want apiVersion, kind, metadata, spec)"));
      ok = false;
    }
    if (name.empty()) {
      Error(metadata.IsDefined() ? metadata.Mark() : root.Mark(), display, "metadata.name",
            "required");
      ok = false;
    }
    std::unique_ptr<google::protobuf::Message> spec = info->NewSpec();
    std::vector<ConversionError> errors;
    yaml::Node spec_node = root["spec"];
    if (spec_node.IsDefined()) {
      YamlToProto(spec_node, "spec", *spec, positions.get(), errors);
    }
    for (const ConversionError& error : errors) {
      Diagnostic d;
      d.position = SourcePosition{file_, error.position.line + line_offset_, error.position.column};
      d.resource = display;
      d.field = error.path;
      d.message = error.message;
      out_.diagnostics.push_back(std::move(d));
      ok = false;
    }
    if (!ok) return;
    resource.spec = std::move(spec);
    resource.field_positions = std::move(positions);
    resource.spec_bytes = resource.SpecBytes();
    resource.content_hash = resource.ComputeContentHash();
    out_.resources.push_back(std::move(resource));
  }

 private:
  static std::string Scalar(const yaml::Node& node) {
    return node.IsDefined() && node.IsScalar() ? node.Scalar() : "";
  }

  static std::map<std::string, std::string> StringMap(const yaml::Node& node) {
    std::map<std::string, std::string> out;
    if (!node.IsDefined() || !node.IsMap()) return out;
    for (const auto& entry : node) {
      if (entry.first.IsScalar() && entry.second.IsScalar()) {
        out[entry.first.Scalar()] = entry.second.Scalar();
      }
    }
    return out;
  }

  void ReadKubeObject(const yaml::Node& root, const std::string& kind, const std::string& name,
                      const std::string& namespace_name) {
    KubeObject object{.kind = kind, .name = name, .position = Position(root.Mark())};
    object.namespace_name = kind == "Namespace" ? "" : namespace_name;
    const yaml::Node metadata = root["metadata"];
    if (metadata.IsDefined() && metadata.IsMap()) {
      object.labels = StringMap(metadata["labels"]);
      object.annotations = StringMap(metadata["annotations"]);
    }
    const yaml::Node spec = root["spec"];
    if (kind == "Service" && spec.IsDefined() && spec.IsMap()) {
      object.selector = StringMap(spec["selector"]);
      const yaml::Node ports = spec["ports"];
      if (ports.IsDefined() && ports.IsSequence()) {
        for (const auto& port : ports) {
          if (!port.IsMap()) continue;
          uint32_t number = 0;
          if (!absl::SimpleAtoi(Scalar(port["port"]), &number)) continue;
          std::string protocol = Scalar(port["protocol"]);
          object.ports.push_back(
              {.number = number, .name = Scalar(port["name"]), .protocol = protocol});
        }
      }
    }
    out_.kube_objects.push_back(std::move(object));
  }

  SourcePosition Position(const yaml::Mark& mark) const {
    if (mark.is_null()) return SourcePosition{file_, 0, 0};
    return SourcePosition{file_, mark.line + 1 + line_offset_, mark.column + 1};
  }

  void Error(const yaml::Mark& mark, const std::string& resource, const std::string& field,
             std::string message) {
    Diagnostic d;
    d.position = Position(mark);
    d.resource = resource;
    d.field = field;
    d.message = std::move(message);
    out_.diagnostics.push_back(std::move(d));
  }

  bool ReadStringMap(const yaml::Node& node, const std::string& path, const std::string& display,
                     std::map<std::string, std::string>& out) {
    if (node.IsNull()) return true;
    if (!node.IsMap()) {
      Error(node.Mark(), display, path, absl::StrCat("expected a map, got ", DescribeYaml(node)));
      return false;
    }
    bool ok = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar() || !ValidUtf8(it->first.Scalar())) {
        Error(it->first.Mark(), display, path, "keys must be UTF-8 strings");
        ok = false;
        continue;
      }
      if (!it->second.IsScalar() || (it->second.Tag() == "?" && it->second.Scalar().empty()) ||
          !ValidUtf8(it->second.Scalar())) {
        Error(it->first.Mark(), display, absl::StrCat(path, "[\"", it->first.Scalar(), "\"]"),
              absl::StrCat("expected string, got ", DescribeYaml(it->second)));
        ok = false;
        continue;
      }
      out[it->first.Scalar()] = it->second.Scalar();
    }
    return ok;
  }

  bool ReadMetadata(const yaml::Node& node, const std::string& display, Resource& resource,
                    FieldPositions& positions) {
    if (!node.IsMap()) {
      Error(node.Mark(), display, "metadata",
            absl::StrCat("expected a map, got ", DescribeYaml(node)));
      return false;
    }
    bool ok = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      const std::string path = "metadata." + key;
      positions.Record(path, it->first.Mark());
      if (key == "name" || key == "namespace") {
        if (!it->second.IsScalar() || !ValidUtf8(it->second.Scalar())) {
          Error(it->first.Mark(), display, path, "expected string");
          ok = false;
        }
      } else if (key == "labels") {
        ok &= ReadStringMap(it->second, path, display, resource.labels);
      } else if (key == "annotations") {
        ok &= ReadStringMap(it->second, path, display, resource.annotations);
      } else if (key == "resourceVersion") {
        if (!it->second.IsScalar()) {
          Error(it->first.Mark(), display, path, "expected string");
          ok = false;
        } else {
          resource.resource_version = it->second.Scalar();
        }
      } else if (std::find(std::begin(kIgnoredMetadata), std::end(kIgnoredMetadata), key) ==
                 std::end(kIgnoredMetadata)) {
        Error(it->first.Mark(), display, path, absl::StrCat("unknown field \"", key, "\""));
        ok = false;
      }
    }
    return ok;
  }

  const std::string& file_;
  int line_offset_;
  size_t node_budget_;  // shared by every object of the document (a List's items too)
  bool budget_reported_ = false;
  ParsedFile& out_;
};

}  // namespace

std::string Resource::Key() const {
  return absl::StrCat(kind->kind, "/", namespace_name, "/", name);
}

std::string Resource::DisplayName() const {
  return absl::StrCat(kind->kind, " ", namespace_name, "/", name);
}

SourcePosition Resource::PositionOf(const std::string& field) const {
  SourcePosition out = position;
  if (field_positions != nullptr) {
    FieldPositions::LineColumn found = field_positions->Find(field);
    if (found.line > 0) {
      out.line = found.line + line_offset;
      out.column = found.column;
    }
  }
  return out;
}

std::string Resource::SpecBytes() const {
  if (!spec_bytes.empty() || spec == nullptr) return spec_bytes;
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    spec->SerializeToCodedStream(&coded);
  }
  return bytes;
}

uint64_t Resource::ComputeContentHash() const {
  const std::string bytes = SpecBytes();
  StableHash hash;
  hash.Add(Key());
  for (const auto& [k, v] : labels) hash.Add(k).Add(v);
  hash.Add("|");
  for (const auto& [k, v] : annotations) hash.Add(k).Add(v);
  hash.Add("|").Add(bytes);
  return hash.value();
}

ParsedFile ParseConfigFile(const std::string& file, const std::string& content) {
  ParsedFile out;
  if (content.size() > kMaxDocumentBytes * 16) {
    out.diagnostics.push_back(Diagnostic{
        .position = {file, 0, 0},
        .message = absl::StrCat("file is larger than ", kMaxDocumentBytes * 16, " bytes")});
    return out;
  }
  for (const Document& document : SplitDocuments(content)) {
    const int line_offset = document.first_line - 1;
    if (document.text.size() > kMaxDocumentBytes) {
      out.diagnostics.push_back(Diagnostic{
          .position = {file, document.first_line, 1},
          .message = absl::StrCat("document is larger than ", kMaxDocumentBytes, " bytes")});
      continue;
    }
    yaml::Document tree;
    yaml::LoadError error;
    if (!yaml::Load(document.text, tree, error)) {
      const int line = error.line + 1 + line_offset;
      if (error.too_deep) {
        out.diagnostics.push_back(Diagnostic{
            .position = {file, line, error.column + 1},
            .message = absl::StrCat("malformed YAML: nested more than ", kMaxNestingDepth,
                                    " levels deep (the reader stopped at depth ",
                                    yaml::kMaxReaderDepth, ")")});
      } else {
        out.diagnostics.push_back(
            Diagnostic{.position = {file, line, error.column + 1},
                       .message = absl::StrCat("malformed YAML: ", error.message)});
      }
      continue;
    }
    DocumentParser(file, line_offset, document.text.size(), out).Parse(tree.root());
  }
  return out;
}

}  // namespace keel::mesh
