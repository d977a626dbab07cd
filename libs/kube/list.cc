#include "libs/kube/list.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/kube/json_spans.h"

namespace keel::kube {
namespace {

// Scalar reads a string member of a JSON object's text ("" when absent).
std::string Member(std::string_view object, const std::string& name) {
  absl::StatusOr<std::map<std::string, std::string_view>> members = JsonMembers(object);
  if (!members.ok()) return "";
  auto it = members->find(name);
  if (it == members->end()) return "";
  std::string_view value = it->second;
  if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
  return std::string(value);
}

}  // namespace

absl::StatusOr<ListedObjects> ListAll(ApiClient& client, const std::string& path,
                                      const StreamCancel* cancel) {
  ListedObjects listed;
  std::string continue_token;
  do {
    if (cancel != nullptr && cancel->cancelled()) return absl::CancelledError("stopping");
    std::string target = absl::StrCat(path, path.find('?') == std::string::npos ? "?" : "&", "limit=500");
    if (!continue_token.empty()) absl::StrAppend(&target, "&continue=", continue_token);
    absl::StatusOr<ApiResponse> response = client.Call({.target = target, .timeout = absl::Seconds(60)});
    if (!response.ok()) return response.status();
    const std::string answer = absl::StrCat("list ", path, ": ", response->status, " ",
                                            response->body.substr(0, 300));
    if (response->status == 404) return absl::NotFoundError(answer);
    if (response->status == 403) return absl::PermissionDeniedError(answer);
    if (response->status != 200) return absl::UnavailableError(answer);
    absl::StatusOr<std::map<std::string, std::string_view>> list = JsonMembers(response->body);
    if (!list.ok()) {
      return absl::UnavailableError(absl::StrCat("list ", path, ": unreadable: ", list.status().message()));
    }
    const std::string_view items_json = (*list)["items"];
    absl::StatusOr<std::vector<std::string_view>> items =
        JsonElements(items_json.empty() || items_json == "null" ? "[]" : items_json);
    if (!items.ok()) {
      return absl::UnavailableError(absl::StrCat("list ", path, ": unreadable: ", items.status().message()));
    }
    for (std::string_view item : *items) listed.items.emplace_back(item);
    const std::string_view metadata = (*list)["metadata"];
    listed.resource_version = Member(metadata, "resourceVersion");
    continue_token = Member(metadata, "continue");
  } while (!continue_token.empty());
  return listed;
}

std::string WithTypeMeta(const std::string& item, const std::string& api_version,
                         const std::string& kind) {
  absl::StatusOr<std::map<std::string, std::string_view>> members = JsonMembers(item);
  if (!members.ok() || members->count("kind") > 0) return item;
  const size_t brace = item.find('{');
  if (brace == std::string::npos) return item;
  return absl::StrCat(item.substr(0, brace + 1), "\"apiVersion\":\"", api_version, "\",\"kind\":\"",
                      kind, "\"", item.size() > brace + 1 && item[brace + 1] != '}' ? "," : "",
                      item.substr(brace + 1));
}

}  // namespace keel::kube
