#include "services/citadel/etcd_ca.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "libs/common/files.h"
#include "proto/keel/ca/ca_bundle.pb.h"
#include "spdlog/spdlog.h"

namespace keel::citadel {
namespace {

// The files a bundle carries, in the order they are written: the trusted
// roots before the root that starts signing (a reader of root-cert.pem
// finds its roots already trusted), the key before the certificate.
constexpr const char* kBundleFiles[] = {"token-key", "trusted-roots.pem", "ca-key.pem",
                                        "root-cert.pem"};

bool IsSecret(const std::string& name) { return name == "ca-key.pem" || name == "token-key"; }

absl::Status WriteBundle(const std::string& value, const std::string& dir) {
  keel::ca::CaBundle bundle;
  if (!bundle.ParseFromString(value)) return absl::DataLossError("unreadable CA bundle in etcd");
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  for (const char* name : kBundleFiles) {
    auto it = bundle.files().find(name);
    if (it == bundle.files().end()) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    // Unchanged files are left alone: rewriting root-cert.pem would make
    // the CA reload for nothing.
    absl::StatusOr<std::string> current = ReadWholeFile(path);
    if (current.ok() && *current == it->second) continue;
    if (absl::Status written = WriteFileAtomically(path, it->second, IsSecret(name) ? 0600 : 0644);
        !written.ok()) {
      return written;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> ReadBundleInto(etcd::EtcdClient& client, const std::string& dir) {
  absl::StatusOr<std::optional<etcd::KeyValue>> stored = client.Get(kCaBundleKey);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return absl::NotFoundError("etcd holds no CA yet");
  if (absl::Status written = WriteBundle((*stored)->value, dir); !written.ok()) return written;
  return (*stored)->mod_revision;
}

absl::StatusOr<int64_t> PublishBundleFrom(etcd::EtcdClient& client, const std::string& dir,
                                          int64_t expected_revision) {
  keel::ca::CaBundle bundle;
  for (const char* name : kBundleFiles) {
    absl::StatusOr<std::string> contents = ReadWholeFile(absl::StrCat(dir, "/", name));
    if (!contents.ok()) return contents.status();
    (*bundle.mutable_files())[name] = *std::move(contents);
  }
  return client.CompareAndPut(kCaBundleKey, bundle.SerializeAsString(), expected_revision);
}

absl::StatusOr<std::unique_ptr<EtcdCaSync>> EtcdCaSync::Join(
    std::shared_ptr<etcd::EtcdClient> client, std::string ca_dir,
    const std::function<absl::Status()>& make_local_ca) {
  auto sync = std::unique_ptr<EtcdCaSync>(new EtcdCaSync(std::move(client), std::move(ca_dir)));
  absl::StatusOr<int64_t> revision = ReadBundleInto(*sync->client_, sync->ca_dir_);
  if (absl::IsNotFound(revision.status())) {
    if (absl::Status made = make_local_ca(); !made.ok()) return made;
    revision = PublishBundleFrom(*sync->client_, sync->ca_dir_, 0);
    if (revision.ok()) {
      spdlog::info("CA: this replica's new root is the cluster's (etcd revision {})", *revision);
    } else if (absl::IsAborted(revision.status())) {
      // Another replica offered its CA first: that one is the cluster's.
      revision = ReadBundleInto(*sync->client_, sync->ca_dir_);
      if (revision.ok()) spdlog::info("CA: another replica's root is the cluster's; taken");
    }
  } else if (revision.ok()) {
    spdlog::info("CA: the cluster's CA taken from etcd (revision {})", *revision);
  }
  if (!revision.ok()) return revision.status();
  sync->watch_ = sync->client_->WatchPrefix(
      kCaBundleKey, *revision + 1, [raw = sync.get()](const etcd::WatchBatch& batch) {
        for (const etcd::WatchEvent& event : batch.events) {
          if (event.deleted || event.kv.key != kCaBundleKey) continue;
          if (absl::Status written = WriteBundle(event.kv.value, raw->ca_dir_); !written.ok()) {
            spdlog::error("CA: cannot take etcd's CA: {}", std::string(written.message()));
          } else {
            spdlog::info("CA: etcd's CA changed (revision {}); written to {}",
                         event.kv.mod_revision, raw->ca_dir_);
          }
        }
      });
  return sync;
}

EtcdCaSync::~EtcdCaSync() { watch_.reset(); }

}  // namespace keel::citadel
