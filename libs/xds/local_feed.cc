#include "libs/xds/local_feed.h"

#include <map>
#include <thread>
#include <utility>

#include "spdlog/spdlog.h"

namespace keel::xds {

class LocalFeeds::Feed : public ConfigFeed {
 public:
  Feed(LocalFeeds* hub, Handler handler) : hub_(hub), handler_(std::move(handler)) {}
  ~Feed() override { Stop(); }

  void Subscribe(const std::string& type_url, std::set<std::string> names) override {
    absl::MutexLock lock(&mu_);
    subscriptions_[type_url].names = std::move(names);
  }

  void Start() override {
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [type_url, subscription] : subscriptions_) dirty_.insert(type_url);
      started_ = true;
    }
    hub_->Register(this);
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      if (!started_ || stopping_) return;
      stopping_ = true;
    }
    hub_->Unregister(this);
    if (thread_.joinable()) thread_.join();
  }

  bool connected() const override {
    absl::MutexLock lock(&mu_);
    return started_ && !stopping_;
  }

  void MarkDirty(const std::set<std::string>& type_urls) {
    absl::MutexLock lock(&mu_);
    for (const std::string& type_url : type_urls) {
      if (subscriptions_.count(type_url) > 0) dirty_.insert(type_url);
    }
  }

 private:
  struct Subscription {
    std::set<std::string> names;
    std::map<std::string, std::string> held;  // name -> version accepted
    bool received = false;
  };

  void Run() {
    while (true) {
      std::set<std::string> dirty;
      {
        absl::MutexLock lock(&mu_);
        // The source's readiness changes only before a Push, which takes
        // this lock: the condition is looked at again then.
        mu_.Await(absl::Condition(
            +[](Feed* feed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed->mu_) {
              return feed->stopping_ || (!feed->dirty_.empty() && feed->hub_->source_->Ready());
            },
            this));
        if (stopping_) return;
        dirty.swap(dirty_);
      }
      for (const std::string& type_url : dirty) Deliver(type_url);
    }
  }

  // Hands the handler what changed in `type_url` since it last accepted.
  void Deliver(const std::string& type_url) {
    std::shared_ptr<const TypeResources> current =
        hub_->source_->Resources(type_url, envoy::config::core::v3::Node());
    if (current == nullptr) return;  // not held yet: a later Push brings it
    std::set<std::string> names;
    std::map<std::string, std::string> held;
    bool received = false;
    {
      absl::MutexLock lock(&mu_);
      const Subscription& subscription = subscriptions_[type_url];
      names = subscription.names;
      held = subscription.held;
      received = subscription.received;
    }
    ResourceUpdate update{.type_url = type_url, .version = current->version};
    std::map<std::string, std::string> next;
    for (const auto& [name, resource] : current->resources) {
      if (!names.empty() && names.count(name) == 0) continue;
      next[name] = resource->version;
      auto it = held.find(name);
      if (it == held.end() || it->second != resource->version) update.updated[name] = resource;
    }
    for (const auto& [name, version] : held) {
      if (next.count(name) == 0) update.removed.insert(name);
    }
    if (received && update.updated.empty() && update.removed.empty()) return;
    absl::Status accepted = handler_(update);
    if (!accepted.ok()) {
      // As a NACK: the consumer keeps what it had; the next change retries.
      spdlog::warn("in-process config of {} version {} refused: {}", type_url, update.version,
                   std::string(accepted.message()));
      return;
    }
    absl::MutexLock lock(&mu_);
    Subscription& subscription = subscriptions_[type_url];
    subscription.held = std::move(next);
    subscription.received = true;
  }

  LocalFeeds* hub_;
  Handler handler_;
  mutable absl::Mutex mu_;
  std::map<std::string, Subscription> subscriptions_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

std::unique_ptr<ConfigFeed> LocalFeeds::NewFeed(ConfigFeed::Handler handler) {
  return std::make_unique<Feed>(this, std::move(handler));
}

void LocalFeeds::Push(const std::set<std::string>& type_urls) {
  absl::MutexLock lock(&mu_);
  for (Feed* feed : feeds_) feed->MarkDirty(type_urls);
}

void LocalFeeds::Register(Feed* feed) {
  absl::MutexLock lock(&mu_);
  feeds_.insert(feed);
}

void LocalFeeds::Unregister(Feed* feed) {
  absl::MutexLock lock(&mu_);
  feeds_.erase(feed);
}

}  // namespace keel::xds
