// ConfigApi serves keel.galley.v1.ConfigService: keelctl apply / get /
// delete / history / rollback. Writes are validated as files are (the
// errors name file, line, field and reason) and go to the etcd store as
// compare-and-swaps; Galley's watch then serves them like any change.
//
// Who may call: a client with a certificate the control plane's mTLS
// accepted (--tls_cert_dir), or one on this machine. Over plaintext from
// elsewhere the API answers PERMISSION_DENIED: it can rewrite the mesh's
// config.
#ifndef KEEL_SERVICES_GALLEY_CONFIG_API_H_
#define KEEL_SERVICES_GALLEY_CONFIG_API_H_

#include <functional>

#include "absl/status/statusor.h"

#include "libs/mesh/etcd_config_store.h"
#include "proto/keel/galley/config.grpc.pb.h"

namespace keel::galley {

class ConfigApi final : public keel::galley::v1::ConfigService::Service {
 public:
  // `store` is null until Galley has its store, and stays null without
  // etcd (writes then answer FAILED_PRECONDITION).
  explicit ConfigApi(std::function<mesh::EtcdConfigStore*()> store) : store_(std::move(store)) {}

  grpc::Status Apply(grpc::ServerContext* context, const keel::galley::v1::ApplyRequest* request,
                     keel::galley::v1::ApplyResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const keel::galley::v1::ResourceRef* request,
                   keel::galley::v1::StoredResource* response) override;
  grpc::Status Delete(grpc::ServerContext* context, const keel::galley::v1::DeleteRequest* request,
                      keel::galley::v1::DeleteResponse* response) override;
  grpc::Status History(grpc::ServerContext* context, const keel::galley::v1::ResourceRef* request,
                       keel::galley::v1::HistoryResponse* response) override;
  grpc::Status Rollback(grpc::ServerContext* context, const keel::galley::v1::RollbackRequest* request,
                        keel::galley::v1::StoredResource* response) override;

  // HistoryOf answers History for a caller in this process (the console of
  // the one-process keel), which needs no admission.
  absl::StatusOr<keel::galley::v1::HistoryResponse> HistoryOf(
      const keel::galley::v1::ResourceRef& ref) const;

 private:
  // Who may call (see above); OK or PERMISSION_DENIED, and the store.
  grpc::Status Admit(const grpc::ServerContext& context, mesh::EtcdConfigStore*& store) const;

  const std::function<mesh::EtcdConfigStore*()> store_;
};

}  // namespace keel::galley

#endif  // KEEL_SERVICES_GALLEY_CONFIG_API_H_
