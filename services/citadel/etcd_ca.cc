#include "services/citadel/etcd_ca.h"

#include <stdlib.h>

#include <filesystem>
#include <thread>

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

namespace {

// The bundle of `dir`'s CA files, serialized.
absl::StatusOr<std::string> BundleOf(const std::string& dir) {
  keel::ca::CaBundle bundle;
  for (const char* name : kBundleFiles) {
    absl::StatusOr<std::string> contents = ReadWholeFile(absl::StrCat(dir, "/", name));
    if (!contents.ok()) return contents.status();
    (*bundle.mutable_files())[name] = *std::move(contents);
  }
  return bundle.SerializeAsString();
}

// A fresh private folder in `parent`, removed when this goes out of scope.
// (In the CA's own folder: the one place a read-only container may write.)
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& parent) {
    std::string pattern = absl::StrCat(parent, "/.rotation-XXXXXX");
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* PhaseName(keel::ca::RootRotation::Phase phase) {
  switch (phase) {
    case keel::ca::RootRotation::REQUESTED:
      return "requested";
    case keel::ca::RootRotation::BEGUN:
      return "begun";
    default:
      return "done";
  }
}

}  // namespace

absl::StatusOr<int64_t> PublishBundleFrom(etcd::EtcdClient& client, const std::string& dir,
                                          int64_t expected_revision) {
  absl::StatusOr<std::string> bundle = BundleOf(dir);
  if (!bundle.ok()) return bundle.status();
  return client.CompareAndPut(kCaBundleKey, *bundle, expected_revision);
}

std::unique_ptr<RootRotator> RootRotator::Start(std::shared_ptr<etcd::EtcdClient> client,
                                                std::string candidate, absl::Duration lease_ttl,
                                                std::string scratch_parent,
                                                SignerFactory make_signer) {
  std::unique_ptr<RootRotator> rotator(new RootRotator(std::move(client), std::move(candidate),
                                                       std::move(scratch_parent),
                                                       std::move(make_signer)));
  rotator->election_ = etcd::LeaderElection::Start(
      rotator->client_, {.key = kLeaderKey, .candidate = rotator->candidate_, .ttl = lease_ttl});
  rotator->thread_ = std::thread([raw = rotator.get()] { raw->Run(); });
  return rotator;
}

RootRotator::~RootRotator() {
  stopping_.Notify();
  if (thread_.joinable()) thread_.join();
  election_.reset();  // resigns: another replica leads at once
}

void RootRotator::Run() {
  // Rotations are rare and slow (an overlap of hours): a look every quarter
  // second is plenty, and costs one etcd read.
  while (!stopping_.WaitForNotificationWithTimeout(absl::Milliseconds(250))) {
    std::optional<int64_t> fence = election_->fence();
    if (!fence.has_value()) continue;
    if (absl::Status stepped = Step(*fence); !stepped.ok()) {
      spdlog::warn("CA root rotation: {}", std::string(stepped.message()));
    }
  }
}

absl::Status RootRotator::Step(int64_t fence) {
  absl::StatusOr<std::optional<etcd::KeyValue>> stored = client_->Get(kRotationKey);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return absl::OkStatus();
  keel::ca::RootRotation rotation;
  if (!rotation.ParseFromString((*stored)->value)) {
    return absl::DataLossError("unreadable root rotation record in etcd");
  }
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  if (rotation.phase() == keel::ca::RootRotation::DONE) return absl::OkStatus();
  if (rotation.phase() == keel::ca::RootRotation::BEGUN &&
      now < rotation.begun_unix_seconds() + rotation.overlap_seconds()) {
    return absl::OkStatus();
  }
  // The step is made on a scratch copy of the bundle, and lands (bundle and
  // record together) only while this replica still leads.
  ScratchDir scratch(scratch_parent_);
  if (scratch.path().empty()) return absl::InternalError("cannot make a scratch folder");
  absl::StatusOr<int64_t> bundle_revision = ReadBundleInto(*client_, scratch.path());
  if (!bundle_revision.ok()) return bundle_revision.status();
  absl::StatusOr<std::unique_ptr<mtls::CertificateSigner>> ca = make_signer_(scratch.path());
  if (!ca.ok()) return ca.status();
  if (rotation.phase() == keel::ca::RootRotation::REQUESTED) {
    if (absl::Status rotated = (*ca)->RotateRoot(); !rotated.ok()) return rotated;
    rotation.set_phase(keel::ca::RootRotation::BEGUN);
    rotation.set_begun_unix_seconds(now);
    rotation.set_begun_by(candidate_);
  } else {
    if (absl::Status retired = (*ca)->RetireOldRoots(); !retired.ok()) return retired;
    rotation.set_phase(keel::ca::RootRotation::DONE);
    rotation.set_done_unix_seconds(now);
    rotation.set_done_by(candidate_);
  }
  absl::StatusOr<std::string> bundle = BundleOf(scratch.path());
  if (!bundle.ok()) return bundle.status();
  absl::StatusOr<int64_t> written = client_->CompareAndPutAll(
      {{.key = kCaBundleKey, .value = *bundle, .expected_mod_revision = *bundle_revision},
       {.key = kRotationKey,
        .value = rotation.SerializeAsString(),
        .expected_mod_revision = (*stored)->mod_revision}},
      {{.key = kLeaderKey, .mod_revision = fence}});
  if (!written.ok()) return written.status();
  spdlog::info("CA root rotation {} by {}: signing with root {}; {} trusted roots (etcd revision {})",
               PhaseName(rotation.phase()), candidate_, (*ca)->SigningCertificate().SerialHex(),
               (*ca)->Roots().size(), *written);
  return absl::OkStatus();
}

absl::Status RequestRootRotation(etcd::EtcdClient& client, absl::Duration overlap) {
  absl::StatusOr<std::optional<etcd::KeyValue>> stored = client.Get(kRotationKey);
  if (!stored.ok()) return stored.status();
  int64_t expected = 0;
  if (stored->has_value()) {
    keel::ca::RootRotation current;
    if (current.ParseFromString((*stored)->value) &&
        current.phase() != keel::ca::RootRotation::DONE) {
      return absl::AlreadyExistsError(absl::StrCat(
          "a root rotation is under way (", PhaseName(current.phase()),
          current.phase() == keel::ca::RootRotation::BEGUN
              ? absl::StrCat(" at ", absl::FormatTime(absl::FromUnixSeconds(current.begun_unix_seconds())),
                             " by ", current.begun_by())
              : "",
          "); `rotate-root retire` ends its overlap"));
    }
    expected = (*stored)->mod_revision;
  }
  keel::ca::RootRotation rotation;
  rotation.set_phase(keel::ca::RootRotation::REQUESTED);
  rotation.set_overlap_seconds(absl::ToInt64Seconds(overlap));
  rotation.set_requested_unix_seconds(absl::ToUnixSeconds(absl::Now()));
  return client.CompareAndPut(kRotationKey, rotation.SerializeAsString(), expected).status();
}

absl::Status RequestRetireNow(etcd::EtcdClient& client) {
  absl::StatusOr<std::optional<etcd::KeyValue>> stored = client.Get(kRotationKey);
  if (!stored.ok()) return stored.status();
  keel::ca::RootRotation rotation;
  if (!stored->has_value() || !rotation.ParseFromString((*stored)->value) ||
      rotation.phase() == keel::ca::RootRotation::DONE) {
    return absl::FailedPreconditionError(
        "no root rotation is under way (`rotate-root begin` asks for one)");
  }
  rotation.set_overlap_seconds(0);
  return client.CompareAndPut(kRotationKey, rotation.SerializeAsString(), (*stored)->mod_revision)
      .status();
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
