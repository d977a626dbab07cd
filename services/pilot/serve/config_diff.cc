#include "services/pilot/serve/config_diff.h"

#include <utility>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/xds/type_urls.h"
#include "services/pilot/generators/table.h"
#include "services/pilot/serve/pilot_source.h"

namespace keel::pilot {
namespace {

// The resources one config makes, served as Pilot serves them.
std::unique_ptr<PilotSource> Generate(
    const std::vector<std::shared_ptr<const mesh::Resource>>& resources,
    const PushOptions& options) {
  std::shared_ptr<const PushContext> context = PushContext::Build(resources, 1, options);
  auto source = std::make_unique<PilotSource>();
  std::map<std::string, std::shared_ptr<const xds::TypeResources>> types;
  for (const std::string& type_url : GeneratedTypes()) {
    types[type_url] = GenerateType(type_url, *context);
  }
  source->Set(std::move(types), context);
  return source;
}

// The message an Any holds, decoded (null if its type is not linked in).
std::unique_ptr<google::protobuf::Message> Unpack(const google::protobuf::Any& any) {
  const std::string full_name = any.type_url().substr(any.type_url().rfind('/') + 1);
  const google::protobuf::Descriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(full_name);
  if (descriptor == nullptr) return nullptr;
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  if (!message->ParseFromString(any.value())) return nullptr;
  return message;
}

std::string PrettyJson(const google::protobuf::Message* message) {
  if (message == nullptr) return "";
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(*message, &json, options);
  return json;
}

// Same content? Maps serialize in no fixed order, so bytes cannot tell.
bool SameContent(const google::protobuf::Message* a, const google::protobuf::Message* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return google::protobuf::util::MessageDifferencer::Equals(*a, *b);
}

}  // namespace

const char* ChangeKindName(ResourceChange::Kind kind) {
  switch (kind) {
    case ResourceChange::Kind::kAdded:
      return "added";
    case ResourceChange::Kind::kRemoved:
      return "removed";
    case ResourceChange::Kind::kChanged:
      return "changed";
  }
  return "";
}

std::vector<std::shared_ptr<const mesh::Resource>> Overlay(
    const std::vector<std::shared_ptr<const mesh::Resource>>& base,
    const std::vector<std::shared_ptr<const mesh::Resource>>& changes) {
  std::map<std::string, std::shared_ptr<const mesh::Resource>> by_key;
  for (const auto& resource : base) by_key[resource->Key()] = resource;
  for (const auto& resource : changes) by_key[resource->Key()] = resource;
  std::vector<std::shared_ptr<const mesh::Resource>> merged;
  merged.reserve(by_key.size());
  for (auto& [key, resource] : by_key) merged.push_back(std::move(resource));
  return merged;
}

std::vector<ProxyDiff> DiffProxies(const std::vector<std::shared_ptr<const mesh::Resource>>& before,
                                   const std::vector<std::shared_ptr<const mesh::Resource>>& after,
                                   const PushOptions& options,
                                   const std::vector<ConnectedProxy>& proxies) {
  std::unique_ptr<PilotSource> was = Generate(before, options);
  std::unique_ptr<PilotSource> would_be = Generate(after, options);
  std::vector<ProxyDiff> diffs;
  for (const ConnectedProxy& proxy : proxies) {
    ProxyDiff diff{.proxy = proxy.id};
    for (const auto& [type_url, names] : proxy.subscribed) {
      std::shared_ptr<const xds::TypeResources> old_view = was->Resources(type_url, proxy.node);
      std::shared_ptr<const xds::TypeResources> new_view =
          would_be->Resources(type_url, proxy.node);
      for (const std::string& name : names) {
        auto find = [&name](const std::shared_ptr<const xds::TypeResources>& view)
            -> std::unique_ptr<google::protobuf::Message> {
          if (view == nullptr) return nullptr;
          auto it = view->resources.find(name);
          return it == view->resources.end() ? nullptr : Unpack(it->second->body);
        };
        std::unique_ptr<google::protobuf::Message> old_message = find(old_view);
        std::unique_ptr<google::protobuf::Message> new_message = find(new_view);
        if (SameContent(old_message.get(), new_message.get())) continue;
        diff.changes.push_back(ResourceChange{
            .type_url = type_url,
            .name = name,
            .kind = old_message == nullptr   ? ResourceChange::Kind::kAdded
                    : new_message == nullptr ? ResourceChange::Kind::kRemoved
                                             : ResourceChange::Kind::kChanged,
            .before_json = PrettyJson(old_message.get()),
            .after_json = PrettyJson(new_message.get()),
        });
      }
    }
    if (!diff.changes.empty()) diffs.push_back(std::move(diff));
  }
  return diffs;
}

}  // namespace keel::pilot
