// The libyaml reader against yaml-cpp's, node by node: what Keel reads from a
// file must not depend on which reader read it (kind, text, tag, null
// resolution, line and column of every node).
#include "libs/mesh/yaml_tree.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "yaml-cpp/yaml.h"

namespace keel::yaml {
namespace {

// Compares two trees; returns "" or the first difference.
std::string Diff(const YAML::Node& expected, const Node& actual, const std::string& path,
                 int depth = 0) {
  if (depth > 64) return "";
  auto where = [&] { return absl::StrCat(path, " (line ", expected.Mark().line + 1, ")"); };
  if (expected.IsNull() != actual.IsNull()) return where() + ": null differs";
  if (expected.IsScalar() != actual.IsScalar()) return where() + ": scalar differs";
  if (expected.IsMap() != actual.IsMap()) return where() + ": map differs";
  if (expected.IsSequence() != actual.IsSequence()) return where() + ": sequence differs";
  if (expected.IsScalar() && expected.Scalar() != actual.Scalar()) {
    return absl::StrCat(where(), ": text \"", expected.Scalar(), "\" vs \"", actual.Scalar(), "\"");
  }
  if (expected.Tag() != actual.Tag()) {
    return absl::StrCat(where(), ": tag \"", expected.Tag(), "\" vs \"", actual.Tag(), "\"");
  }
  // An empty value ("key:" and nothing) is placed where it would be; yaml-cpp
  // places it at the next token. Every other node starts at the same place.
  const bool empty_value = expected.IsNull() && expected.Mark().line >= 0;
  if (!empty_value && (expected.Mark().line != actual.Mark().line ||
                       expected.Mark().column != actual.Mark().column)) {
    return absl::StrCat(where(), ": mark ", expected.Mark().line, ":", expected.Mark().column,
                        " vs ", actual.Mark().line, ":", actual.Mark().column);
  }
  if (expected.size() != actual.size()) return where() + ": size differs";
  if (expected.IsSequence()) {
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string d = Diff(expected[i], actual[i], absl::StrCat(path, "[", i, "]"), depth + 1);
      if (!d.empty()) return d;
    }
  } else if (expected.IsMap()) {
    auto e = expected.begin();
    auto a = actual.begin();
    for (; e != expected.end(); ++e, ++a) {
      const std::string key = e->first.IsScalar() ? e->first.Scalar() : "?";
      std::string d = Diff(e->first, a->first, path + ".<key " + key + ">", depth + 1);
      if (d.empty()) d = Diff(e->second, a->second, path + "." + key, depth + 1);
      if (!d.empty()) return d;
    }
  }
  return "";
}

std::string CompareReaders(const std::string& text) {
  std::vector<YAML::Node> expected;
  try {
    expected = YAML::LoadAll(text);
  } catch (const YAML::Exception&) {
    return "";  // malformed for yaml-cpp: error wording differs by design
  }
  // The stream split as ParseConfigFile splits it: one document at a time.
  std::vector<std::string> documents = absl::StrSplit(text, "\n---");
  if (documents.size() != expected.size()) return "";  // "---" inside a block scalar etc.
  for (size_t i = 0; i < documents.size(); ++i) {
    std::string document = documents[i];
    if (i > 0) document = document.substr(document.find('\n') + 1);  // the rest of "---" line
    Document tree;
    LoadError error;
    if (!Load(document, tree, error)) return absl::StrCat("document ", i, ": ", error.message);
    // Marks are relative to each document here.
    YAML::Node alone = YAML::Load(document);
    std::string d = Diff(alone, tree.root(), absl::StrCat("document ", i));
    if (!d.empty()) return d;
  }
  return "";
}

TEST(YamlTreeTest, ReadsEveryIstioSampleAsYamlCppDoes) {
  int files = 0;
  for (const std::string& dir :
       {mesh::testing::IstioTestdataDir(), std::string(std::getenv("TEST_SRCDIR")) + "/" +
                                               std::getenv("TEST_WORKSPACE") + "/samples"}) {
    for (const std::string& file : mesh::testing::YamlFilesUnder(dir)) {
      SCOPED_TRACE(file);
      EXPECT_EQ(CompareReaders(mesh::testing::ReadFile(file)), "");
      ++files;
    }
  }
  EXPECT_GT(files, 20);
}

TEST(YamlTreeTest, ScalarsTagsNullsAndAnchorsAsYamlCppReadsThem) {
  const std::string text = R"(plain: text
quoted: "text"
single: 'it''s'
number: 5
quoted_number: "5"
empty:
tilde: ~
null_word: null
quoted_null: "null"
tagged: !!str 42
bool: yes
folded: >
  one
  two
literal: |
  line one
  line two
flow: {a: 1, b: [x, "y", ~]}
list:
- a
- {k: v}
-   indented: map
    second: key
anchored: &base {timeout: 5s}
aliased: *base
nested:
  deeper:
    - - inner
multi: "spans
  two lines"
key with spaces: v
"quoted key": v
? complex
: value
)";
  EXPECT_EQ(CompareReaders(text), "");
}

TEST(YamlTreeTest, MalformedYamlNamesTheLine) {
  Document tree;
  LoadError error;
  EXPECT_FALSE(Load("a: 1\nb: [unclosed\nc: 2\n", tree, error));
  EXPECT_GE(error.line, 1);
  EXPECT_FALSE(error.message.empty());
  EXPECT_FALSE(Load("a: *nowhere\n", tree, error));
  EXPECT_THAT(error.message, ::testing::HasSubstr("nowhere"));
}

TEST(YamlTreeTest, ReaderDepthIsBounded) {
  Document tree;
  LoadError error;
  std::string deep = "a: ";
  for (int i = 0; i < 10000; ++i) deep += "[";
  EXPECT_FALSE(Load(deep, tree, error));
  EXPECT_TRUE(error.too_deep);
}

}  // namespace
}  // namespace keel::yaml
