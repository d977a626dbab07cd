// keelctl bootstrap: writes the xDS bootstrap JSON a proxyless gRPC
// application reads from $GRPC_XDS_BOOTSTRAP to find Pilot.
#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/xds/bootstrap.h"
#include "services/keelctl/commands/command.h"

namespace keel::keelctl {
namespace {

// Take sets `out` from "--flag=value" and reports whether `arg` was that flag.
bool Take(const std::string& arg, const char* flag, std::string& out) {
  const std::string prefix = absl::StrCat(flag, "=");
  if (!absl::StartsWith(arg, prefix)) return false;
  out = arg.substr(prefix.size());
  return true;
}

int RunBootstrap(const std::vector<std::string>& args, CommandIo& io) {
  xds::BootstrapOptions options;
  std::string output, labels;
  for (const std::string& arg : args) {
    if (!Take(arg, "--pilot", options.server_uri) && !Take(arg, "--node_id", options.node_id) &&
        !Take(arg, "--output", output) && !Take(arg, "--cluster", options.cluster) &&
        !Take(arg, "--locality", options.locality) && !Take(arg, "--labels", labels) &&
        !Take(arg, "--cert_dir", options.certificate_dir)) {
      std::fprintf(io.err, "keelctl bootstrap: unexpected argument \"%s\"\n", arg.c_str());
      return 2;
    }
  }
  for (absl::string_view label : absl::StrSplit(labels, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(label, absl::MaxSplits('=', 1));
    options.labels[kv.first] = kv.second;
  }
  absl::StatusOr<std::string> text = xds::BootstrapJson(options);
  if (!text.ok()) {
    std::fprintf(io.err, "keelctl bootstrap: --node_id: %s\n",
                 std::string(text.status().message()).c_str());
    return 2;
  }
  if (output.empty()) {
    std::fputs(text->c_str(), io.out);
    return 0;
  }
  std::ofstream out(output);
  out << *text;
  if (!out) {
    std::fprintf(io.err, "keelctl bootstrap: cannot write %s\n", output.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

KEELCTL_REGISTER_COMMAND(
    bootstrap, Command{
                   .name = "bootstrap",
                   .usage = "keelctl bootstrap --node_id=ID [--pilot=HOST:PORT] [--output=FILE] "
                            "[--locality=REGION/ZONE/SUBZONE] [--labels=K=V,...] "
                            "[--cert_dir=DIR (mTLS: keel-agent's certificate files)]",
                   .summary = "Write the gRPC xDS bootstrap JSON (for GRPC_XDS_BOOTSTRAP).",
                   .run = RunBootstrap,
               });

}  // namespace keel::keelctl
