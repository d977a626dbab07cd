#include "services/galley/config_api.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/json_writer.h"
#include "libs/common/net.h"
#include "libs/mesh/admission.h"
#include "libs/mesh/schema.h"
#include "libs/mesh/validation/validate.h"

namespace keel::galley {
namespace {

namespace v1 = keel::galley::v1;

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// "VirtualService" or "networking.istio.io/v1alpha3/VirtualService".
absl::StatusOr<const mesh::KindInfo*> FindKind(const std::string& name) {
  if (const mesh::KindInfo* kind = mesh::FindKindByTypeUrl(name)) return kind;
  const mesh::KindInfo* found = nullptr;
  for (const mesh::KindInfo& kind : mesh::AllKinds()) {
    if (absl::EqualsIgnoreCase(kind.kind, name)) found = &kind;
  }
  if (found == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown kind \"", name, "\""));
  return found;
}

// The resource as keelctl get prints it; resourceVersion is the revision,
// so that applying the printed object again is conditional on it.
std::string ToJson(const mesh::Resource& resource, int64_t revision) {
  std::string spec;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(*resource.spec, &spec, options);
  JsonWriter json;
  json.BeginObject()
      .Key("apiVersion").String(resource.kind->api_version())
      .Key("kind").String(resource.kind->kind)
      .Key("metadata").BeginObject()
      .Key("name").String(resource.name)
      .Key("namespace").String(resource.namespace_name)
      .Key("resourceVersion").String(absl::StrCat(revision));
  if (!resource.labels.empty()) {
    json.Key("labels").BeginObject();
    for (const auto& [k, v] : resource.labels) json.Key(k).String(v);
    json.EndObject();
  }
  if (!resource.annotations.empty()) {
    json.Key("annotations").BeginObject();
    for (const auto& [k, v] : resource.annotations) json.Key(k).String(v);
    json.EndObject();
  }
  json.EndObject().Key("spec").Raw(spec.empty() ? "{}" : spec).EndObject();
  return json.Take();
}

void Fill(const mesh::EtcdConfigStore::Version& version, v1::StoredResource* out) {
  out->set_resource(version.resource->DisplayName());
  out->set_revision(version.revision);
  out->set_json(ToJson(*version.resource, version.revision));
  out->set_unchanged(version.unchanged);
}

}  // namespace

grpc::Status ConfigApi::Admit(const grpc::ServerContext& context, mesh::EtcdConfigStore*& store) const {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  const bool authenticated = auth != nullptr && auth->IsPeerAuthenticated();
  if (!authenticated && !IsLoopbackGrpcPeer(context.peer())) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "Galley's config API answers this machine, or clients with a control-plane "
                        "certificate (--tls_cert_dir); " + context.peer() + " is neither");
  }
  store = store_();
  if (store == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this Galley reads folders only; the config API needs --etcd_endpoints");
  }
  return grpc::Status::OK;
}

grpc::Status ConfigApi::Apply(grpc::ServerContext* context, const v1::ApplyRequest* request,
                              v1::ApplyResponse* response) {
  mesh::EtcdConfigStore* store = nullptr;
  if (grpc::Status admitted = Admit(*context, store); !admitted.ok()) return admitted;
  // Everything is admitted before anything is written: parsed, validated,
  // and Mixer's config type-checked against the manifests in force.
  std::vector<mesh::ConfigText> texts;
  for (const v1::ConfigFile& file : request->files()) {
    texts.push_back({file.name(), file.content()});
  }
  std::vector<const mesh::Resource*> in_force;
  std::shared_ptr<const mesh::ConfigSnapshot> current = store->Current();
  for (const auto& [type_url, type] : current->types) {
    for (const auto& [key, resource] : type.resources) in_force.push_back(resource.get());
  }
  std::vector<mesh::CheckedFile> parsed = mesh::AdmitFiles(texts, in_force);
  bool errors = false;
  for (const mesh::CheckedFile& file : parsed) {
    for (const mesh::Diagnostic& d : file.diagnostics) {
      response->add_diagnostics(d.ToString());
      errors |= d.level == mesh::Level::kError;
    }
  }
  if (errors) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("nothing applied:\n", absl::StrJoin(response->diagnostics(), "\n")));
  }
  for (const mesh::CheckedFile& file : parsed) {
    for (const mesh::Resource& resource : file.resources) {
      absl::StatusOr<mesh::EtcdConfigStore::Version> written = store->Write(resource);
      if (!written.ok()) {
        return grpc::Status(static_cast<grpc::StatusCode>(written.status().code()),
                            absl::StrCat(resource.DisplayName(), ": ", written.status().message()));
      }
      Fill(*written, response->add_applied());
    }
  }
  return grpc::Status::OK;
}

grpc::Status ConfigApi::Get(grpc::ServerContext* context, const v1::ResourceRef* request,
                            v1::StoredResource* response) {
  mesh::EtcdConfigStore* store = nullptr;
  if (grpc::Status admitted = Admit(*context, store); !admitted.ok()) return admitted;
  absl::StatusOr<const mesh::KindInfo*> kind = FindKind(request->kind());
  if (!kind.ok()) return ToGrpc(kind.status());
  absl::StatusOr<mesh::EtcdConfigStore::Version> version =
      store->Get(**kind, request->namespace_(), request->name());
  if (!version.ok()) return ToGrpc(version.status());
  Fill(*version, response);
  return grpc::Status::OK;
}

grpc::Status ConfigApi::Delete(grpc::ServerContext* context, const v1::DeleteRequest* request,
                               v1::DeleteResponse* response) {
  mesh::EtcdConfigStore* store = nullptr;
  if (grpc::Status admitted = Admit(*context, store); !admitted.ok()) return admitted;
  absl::StatusOr<const mesh::KindInfo*> kind = FindKind(request->ref().kind());
  if (!kind.ok()) return ToGrpc(kind.status());
  absl::StatusOr<int64_t> removed =
      store->Remove(**kind, request->ref().namespace_(), request->ref().name());
  if (!removed.ok()) return ToGrpc(removed.status());
  response->set_revision(*removed);
  return grpc::Status::OK;
}

grpc::Status ConfigApi::History(grpc::ServerContext* context, const v1::ResourceRef* request,
                                v1::HistoryResponse* response) {
  mesh::EtcdConfigStore* store = nullptr;
  if (grpc::Status admitted = Admit(*context, store); !admitted.ok()) return admitted;
  absl::StatusOr<v1::HistoryResponse> history = HistoryOf(*request);
  if (!history.ok()) return ToGrpc(history.status());
  *response = *std::move(history);
  return grpc::Status::OK;
}

absl::StatusOr<v1::HistoryResponse> ConfigApi::HistoryOf(const v1::ResourceRef& ref) const {
  mesh::EtcdConfigStore* store = store_();
  if (store == nullptr) {
    return absl::FailedPreconditionError(
        "this Galley reads folders only; config history needs --etcd_endpoints");
  }
  absl::StatusOr<const mesh::KindInfo*> kind = FindKind(ref.kind());
  if (!kind.ok()) return kind.status();
  absl::StatusOr<std::vector<mesh::EtcdConfigStore::Version>> versions =
      store->History(**kind, ref.namespace_(), ref.name());
  if (!versions.ok()) return versions.status();
  v1::HistoryResponse response;
  for (const auto& version : *versions) Fill(version, response.add_versions());
  return response;
}

grpc::Status ConfigApi::Rollback(grpc::ServerContext* context, const v1::RollbackRequest* request,
                                 v1::StoredResource* response) {
  mesh::EtcdConfigStore* store = nullptr;
  if (grpc::Status admitted = Admit(*context, store); !admitted.ok()) return admitted;
  absl::StatusOr<const mesh::KindInfo*> kind = FindKind(request->ref().kind());
  if (!kind.ok()) return ToGrpc(kind.status());
  absl::StatusOr<mesh::EtcdConfigStore::Version> old =
      store->At(**kind, request->ref().namespace_(), request->ref().name(), request->to_revision());
  if (!old.ok()) return ToGrpc(old.status());
  if (old->revision != request->to_revision()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("revision ", request->to_revision(), " is not a version of ",
                                     old->resource->DisplayName(), " (its version then was ",
                                     old->revision, "); see keelctl history"));
  }
  absl::StatusOr<mesh::EtcdConfigStore::Version> written = store->Write(*old->resource);
  if (!written.ok()) return ToGrpc(written.status());
  Fill(*written, response);
  return grpc::Status::OK;
}

}  // namespace keel::galley
