// keelctl diff -f FILE: for each connected proxy, how its xDS resources
// would change if FILE were applied. Pilot works it out (it knows the
// proxies and generates both versions); nothing is written anywhere.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/http_client.h"
#include "libs/common/json_writer.h"
#include "services/keelctl/commands/command.h"
#include "services/keelctl/commands/input_files.h"
#include "yaml-cpp/yaml.h"

namespace keel::keelctl {
namespace {

constexpr char kDefaultPilot[] = "127.0.0.1:15014";

// Block style all the way down: one field per line, so a diff of lines is
// a diff of fields.
void SetBlockStyle(YAML::Node node) {
  node.SetStyle(YAML::EmitterStyle::Block);
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) SetBlockStyle(it->second);
  } else if (node.IsSequence()) {
    for (YAML::Node child : node) SetBlockStyle(child);
  }
}

// Lines of a resource as YAML (easier to read than JSON, same content).
std::vector<std::string> Lines(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return {};
  YAML::Node copy = YAML::Clone(node);
  SetBlockStyle(copy);
  YAML::Emitter out;
  out << copy;
  return absl::StrSplit(std::string(out.c_str()), '\n');
}

// PrintLineDiff prints the lines only in `before` ("-") and only in `after`
// ("+"), with up to `context` unchanged lines around each change.
void PrintLineDiff(const std::vector<std::string>& before, const std::vector<std::string>& after,
                   std::FILE* out, size_t context = 2) {
  // Longest common subsequence, then a walk that emits the edit script.
  const size_t n = before.size(), m = after.size();
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = before[i] == after[j] ? lcs[i + 1][j + 1] + 1
                                        : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  struct Line {
    char mark;
    const std::string* text;
  };
  std::vector<Line> script;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] == after[j]) {
      script.push_back({' ', &before[i++]});
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      script.push_back({'-', &before[i++]});  // removals first, as diff(1) prints
    } else {
      script.push_back({'+', &after[j++]});
    }
  }
  std::vector<bool> shown(script.size(), false);
  for (size_t k = 0; k < script.size(); ++k) {
    if (script[k].mark == ' ') continue;
    const size_t from = k >= context ? k - context : 0;
    for (size_t c = from; c < std::min(script.size(), k + context + 1); ++c) shown[c] = true;
  }
  bool gap = false;
  for (size_t k = 0; k < script.size(); ++k) {
    if (!shown[k]) {
      gap = true;
      continue;
    }
    if (gap) std::fprintf(out, "      ...\n");
    gap = false;
    std::fprintf(out, "    %c %s\n", script[k].mark, script[k].text->c_str());
  }
}

int RunDiff(const std::vector<std::string>& raw_args, CommandIo& io) {
  std::string pilot = kDefaultPilot;
  std::vector<std::string> args;
  for (const std::string& arg : raw_args) {
    if (absl::StartsWith(arg, "--pilot=")) {
      pilot = arg.substr(8);
    } else {
      args.push_back(arg);
    }
  }
  std::vector<std::string> paths;
  if (!ParseFileArgs("diff", args, paths, io)) return 2;
  bool ok = true;
  JsonWriter body;
  body.BeginObject().Key("files").BeginArray();
  for (const std::string& path : ConfigFilesIn(paths, io, ok)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    body.BeginObject().Key("name").String(path).Key("content").String(text.str()).EndObject();
  }
  body.EndArray().EndObject();
  if (!ok) return 1;

  absl::StatusOr<HttpResponse> response = HttpFetch(HttpClientRequest{
      .method = "POST",
      .address = pilot,
      .target = "/debug/diff",
      .body = body.Take(),
      .timeout = absl::Seconds(60),
  });
  if (!response.ok()) {
    std::fprintf(io.err, "keelctl diff: %s\n", std::string(response.status().message()).c_str());
    return 1;
  }
  YAML::Node answer;
  try {
    answer = YAML::Load(response->body);
  } catch (const YAML::Exception& e) {
    std::fprintf(io.err, "keelctl diff: Pilot answered %d: %s\n", response->status,
                 response->body.c_str());
    return 1;
  }
  if (response->status != 200) {
    if (answer.IsMap() && answer["errors"].IsSequence()) {
      for (const YAML::Node& error : answer["errors"]) {
        std::fprintf(io.err, "%s\n", error.as<std::string>().c_str());
      }
      if (response->status == 400) std::fprintf(io.err, "nothing compared: fix the errors above\n");
    } else {
      std::fprintf(io.err, "keelctl diff: Pilot answered %d: %s\n", response->status,
                   response->body.c_str());
    }
    return 1;
  }
  size_t affected = 0;
  for (const YAML::Node& proxy : answer["proxies"]) {
    ++affected;
    std::fprintf(io.out, "%s\n", proxy["proxy"].as<std::string>().c_str());
    for (const YAML::Node& change : proxy["changes"]) {
      std::fprintf(io.out, "  %s %s %s\n", change["type"].as<std::string>().c_str(),
                   change["name"].as<std::string>().c_str(),
                   change["change"].as<std::string>().c_str());
      PrintLineDiff(Lines(change["before"]), Lines(change["after"]), io.out);
    }
  }
  std::fprintf(io.out, "%zu of %zu connected proxies would change\n", affected,
               answer["connected"].as<size_t>());
  return 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(
    diff, Command{
              .name = "diff",
              .usage = "keelctl diff -f FILE... [--pilot=HOST:PORT]",
              .summary = "How each connected proxy's xDS resources would change if FILE were "
                         "applied (nothing is written); --pilot is Pilot's monitoring address.",
              .run = RunDiff,
          });

}  // namespace keel::keelctl
