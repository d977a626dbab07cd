// A ResourceSource whose resources tests set directly.
#ifndef KEEL_LIBS_XDS_TESTING_STATIC_SOURCE_H_
#define KEEL_LIBS_XDS_TESTING_STATIC_SOURCE_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/wrappers.pb.h"
#include "libs/xds/resources.h"

namespace keel::xds::testing {

class StaticSource : public ResourceSource {
 public:
  // Set replaces one type's resources: name -> string value (packed as a
  // google.protobuf.StringValue), each resource versioned by its value.
  void Set(const std::string& type_url, const std::map<std::string, std::string>& values) {
    auto type = std::make_shared<TypeResources>();
    std::string version;
    for (const auto& [name, value] : values) {
      auto resource = std::make_shared<XdsResource>();
      resource->name = name;
      resource->version = value;
      google::protobuf::StringValue wrapped;
      wrapped.set_value(name + "=" + value);
      resource->body.PackFrom(wrapped);
      type->resources[name] = std::move(resource);
      absl::StrAppend(&version, name, "=", value, ";");
    }
    type->version = version;
    absl::MutexLock lock(&mu_);
    types_[type_url] = std::move(type);
  }

  // NameOf names a resource this source packed (for a state-of-the-world
  // client's sotw_resource_name).
  static std::string NameOf(const google::protobuf::Any& any) {
    google::protobuf::StringValue value;
    any.UnpackTo(&value);
    return value.value().substr(0, value.value().find('='));
  }

  // SetServedTypes limits the types the source serves (all, until called).
  void SetServedTypes(std::set<std::string> type_urls) {
    absl::MutexLock lock(&mu_);
    served_ = std::move(type_urls);
  }

  bool Serves(const std::string& type_url) const override {
    absl::MutexLock lock(&mu_);
    return served_.empty() || served_.count(type_url) > 0;
  }

  void SetReady(bool ready) {
    absl::MutexLock lock(&mu_);
    ready_ = ready;
  }

  std::shared_ptr<const TypeResources> Resources(const std::string& type_url,
                                                 const envoy::config::core::v3::Node&) override {
    absl::MutexLock lock(&mu_);
    auto it = types_.find(type_url);
    return it == types_.end() ? nullptr : it->second;
  }

  bool Ready() const override {
    absl::MutexLock lock(&mu_);
    return ready_;
  }

  // EnablePinning makes Pin() return a view of every type as it is then;
  // `on_read` (may be null) runs on each read from a pinned view.
  void EnablePinning(std::function<void(const std::string& type_url)> on_read) {
    absl::MutexLock lock(&mu_);
    pinning_ = true;
    on_read_ = std::move(on_read);
  }

  std::shared_ptr<ResourceView> Pin() override {
    absl::MutexLock lock(&mu_);
    if (!pinning_) return nullptr;
    return std::make_shared<PinnedView>(types_, on_read_);
  }

 private:
  class PinnedView : public ResourceView {
   public:
    PinnedView(std::map<std::string, std::shared_ptr<const TypeResources>> types,
               std::function<void(const std::string&)> on_read)
        : types_(std::move(types)), on_read_(std::move(on_read)) {}
    std::shared_ptr<const TypeResources> Resources(const std::string& type_url,
                                                   const envoy::config::core::v3::Node&) override {
      if (on_read_) on_read_(type_url);
      auto it = types_.find(type_url);
      return it == types_.end() ? nullptr : it->second;
    }

   private:
    const std::map<std::string, std::shared_ptr<const TypeResources>> types_;
    const std::function<void(const std::string&)> on_read_;
  };

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const TypeResources>> types_ ABSL_GUARDED_BY(mu_);
  bool ready_ ABSL_GUARDED_BY(mu_) = true;
  std::set<std::string> served_ ABSL_GUARDED_BY(mu_);
  bool pinning_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void(const std::string&)> on_read_ ABSL_GUARDED_BY(mu_);
};

}  // namespace keel::xds::testing

#endif  // KEEL_LIBS_XDS_TESTING_STATIC_SOURCE_H_
