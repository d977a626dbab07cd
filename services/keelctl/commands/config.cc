// keelctl apply / get / delete / history / rollback: config through
// Galley's API (Galley on etcd). Every write is validated by Galley; its
// errors name file, line, field and reason.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/common/net.h"
#include "proto/keel/galley/config.grpc.pb.h"
#include "services/keelctl/commands/command.h"
#include "services/keelctl/commands/input_files.h"

namespace keel::keelctl {
namespace {

namespace v1 = keel::galley::v1;

constexpr char kDefaultGalley[] = "127.0.0.1:9901";

// Splits "--galley=ADDR" and "--to=REV" from the other arguments.
struct Flags {
  std::string galley = kDefaultGalley;
  std::string to;
  std::vector<std::string> rest;
};
Flags SplitFlags(const std::vector<std::string>& args) {
  Flags flags;
  for (const std::string& arg : args) {
    if (absl::StartsWith(arg, "--galley=")) {
      flags.galley = arg.substr(9);
    } else if (absl::StartsWith(arg, "--to=")) {
      flags.to = arg.substr(5);
    } else {
      flags.rest.push_back(arg);
    }
  }
  return flags;
}

std::unique_ptr<v1::ConfigService::Stub> Connect(const std::string& galley) {
  return v1::ConfigService::NewStub(
      grpc::CreateChannel(GrpcTargetFor(galley), grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  // Bounded: a config command must never hang.
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

int Failed(const std::string& command, const grpc::Status& status, CommandIo& io) {
  std::fprintf(io.err, "keelctl %s: %s\n", command.c_str(), status.error_message().c_str());
  return 1;
}

// "KIND/NAMESPACE/NAME" (or "KIND/NAME" in default).
bool ParseRef(const std::string& command, const std::vector<std::string>& rest, v1::ResourceRef& ref,
              CommandIo& io) {
  if (rest.size() != 1) {
    std::fprintf(io.err, "keelctl %s: give one KIND/NAMESPACE/NAME\n", command.c_str());
    return false;
  }
  std::vector<std::string> parts = absl::StrSplit(rest[0], '/');
  if (parts.size() == 2) parts.insert(parts.begin() + 1, "default");
  if (parts.size() != 3 || parts[0].empty() || parts[2].empty()) {
    std::fprintf(io.err, "keelctl %s: \"%s\" is not KIND/NAMESPACE/NAME\n", command.c_str(),
                 rest[0].c_str());
    return false;
  }
  ref.set_kind(parts[0]);
  ref.set_namespace_(parts[1]);
  ref.set_name(parts[2]);
  return true;
}

int RunApply(const std::vector<std::string>& args, CommandIo& io) {
  Flags flags = SplitFlags(args);
  std::vector<std::string> paths;
  if (!ParseFileArgs("apply", flags.rest, paths, io)) return 2;
  bool ok = true;
  v1::ApplyRequest request;
  for (const std::string& path : ConfigFilesIn(paths, io, ok)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    v1::ConfigFile& file = *request.add_files();
    file.set_name(path);
    file.set_content(text.str());
  }
  if (!ok) return 1;
  v1::ApplyResponse response;
  grpc::Status status = Connect(flags.galley)->Apply(Context().get(), request, &response);
  if (!status.ok()) return Failed("apply", status, io);
  for (const std::string& d : response.diagnostics()) std::fprintf(io.err, "%s\n", d.c_str());
  for (const v1::StoredResource& applied : response.applied()) {
    std::fprintf(io.out, "%s %s (revision %lld)\n", applied.resource().c_str(),
                 applied.unchanged() ? "unchanged" : "applied",
                 static_cast<long long>(applied.revision()));
  }
  return 0;
}

int RunGet(const std::vector<std::string>& args, CommandIo& io) {
  Flags flags = SplitFlags(args);
  v1::ResourceRef ref;
  if (!ParseRef("get", flags.rest, ref, io)) return 2;
  v1::StoredResource stored;
  grpc::Status status = Connect(flags.galley)->Get(Context().get(), ref, &stored);
  if (!status.ok()) return Failed("get", status, io);
  std::fprintf(io.out, "%s\n", stored.json().c_str());
  return 0;
}

int RunDelete(const std::vector<std::string>& args, CommandIo& io) {
  Flags flags = SplitFlags(args);
  v1::DeleteRequest request;
  if (!ParseRef("delete", flags.rest, *request.mutable_ref(), io)) return 2;
  v1::DeleteResponse response;
  grpc::Status status = Connect(flags.galley)->Delete(Context().get(), request, &response);
  if (!status.ok()) return Failed("delete", status, io);
  std::fprintf(io.out, "deleted (revision %lld)\n", static_cast<long long>(response.revision()));
  return 0;
}

int RunHistory(const std::vector<std::string>& args, CommandIo& io) {
  Flags flags = SplitFlags(args);
  v1::ResourceRef ref;
  if (!ParseRef("history", flags.rest, ref, io)) return 2;
  v1::HistoryResponse response;
  grpc::Status status = Connect(flags.galley)->History(Context().get(), ref, &response);
  if (!status.ok()) return Failed("history", status, io);
  for (const v1::StoredResource& version : response.versions()) {
    std::fprintf(io.out, "revision %lld: %s\n", static_cast<long long>(version.revision()),
                 version.json().c_str());
  }
  return 0;
}

int RunRollback(const std::vector<std::string>& args, CommandIo& io) {
  Flags flags = SplitFlags(args);
  v1::RollbackRequest request;
  if (!ParseRef("rollback", flags.rest, *request.mutable_ref(), io)) return 2;
  int64_t to = 0;
  if (!absl::SimpleAtoi(flags.to, &to) || to <= 0) {
    std::fprintf(io.err, "keelctl rollback: give --to=REVISION (see keelctl history)\n");
    return 2;
  }
  request.set_to_revision(to);
  v1::StoredResource stored;
  grpc::Status status = Connect(flags.galley)->Rollback(Context().get(), request, &stored);
  if (!status.ok()) return Failed("rollback", status, io);
  std::fprintf(io.out, "%s rolled back to revision %lld's spec (now revision %lld)\n",
               stored.resource().c_str(), static_cast<long long>(to),
               static_cast<long long>(stored.revision()));
  return 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(apply, Command{.name = "apply",
                                        .usage = "keelctl apply [--galley=ADDR] -f FILE|DIR ...",
                                        .summary = "Validate and write config through Galley (on etcd).",
                                        .run = RunApply});
KEELCTL_REGISTER_COMMAND(get, Command{.name = "get",
                                      .usage = "keelctl get [--galley=ADDR] KIND/NAMESPACE/NAME",
                                      .summary = "Print a resource as Galley's store holds it.",
                                      .run = RunGet});
KEELCTL_REGISTER_COMMAND(del, Command{.name = "delete",
                                      .usage = "keelctl delete [--galley=ADDR] KIND/NAMESPACE/NAME",
                                      .summary = "Delete a resource from Galley's store.",
                                      .run = RunDelete});
KEELCTL_REGISTER_COMMAND(history,
                         Command{.name = "history",
                                 .usage = "keelctl history [--galley=ADDR] KIND/NAMESPACE/NAME",
                                 .summary = "List a resource's versions (etcd revisions), newest first.",
                                 .run = RunHistory});
KEELCTL_REGISTER_COMMAND(
    rollback, Command{.name = "rollback",
                      .usage = "keelctl rollback [--galley=ADDR] KIND/NAMESPACE/NAME --to=REVISION",
                      .summary = "Make a resource's spec at REVISION its current version.",
                      .run = RunRollback});

}  // namespace keel::keelctl
