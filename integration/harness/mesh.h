// Runs Keel's real binaries for end-to-end tests: each on free loopback
// ports, its log kept, readiness awaited through /readyz and gRPC health, and
// a clean exit on SIGTERM checked at the end.
//
//   class MyTest : public keel::testing::MeshTest {};
//   TEST_F(MyTest, Works) {
//     RunningService* galley = *mesh().Start("galley", {"--config_dir=" + dir});
//     ASSERT_TRUE(galley->WaitReady().ok());
//   }
#ifndef KEEL_INTEGRATION_HARNESS_MESH_H_
#define KEEL_INTEGRATION_HARNESS_MESH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "grpcpp/security/credentials.h"
#include "integration/harness/process.h"

namespace keel::testing {

// RunfilePath returns the absolute path of a file of this workspace in the
// test's runfiles, e.g. RunfilePath("services/galley/galley").
std::string RunfilePath(const std::string& workspace_relative);

// KeelBinaryPath maps a component ("galley", "pilot", "citadel", "mixer",
// "keel-agent", "keelctl", "keel": the one-process mode) to its binary in
// the runfiles.
std::string KeelBinaryPath(const std::string& component);

// PickFreePort returns a loopback port that was free a moment ago. Only for
// addresses that must be known before a process starts (an xDS-enabled
// server's listener name); everything else binds port 0.
uint16_t PickFreePort();

// TestTempDir returns a fresh directory under TEST_TMPDIR.
std::string TestTempDir(const std::string& stem);

// HelmTemplate is `helm template keel CHART -n NAMESPACE` with `sets`: each
// "key=value" is a --set, and flags ("--set-file", "--show-only") pass with
// the value after them.
absl::StatusOr<std::string> HelmTemplate(const std::string& chart, const std::string& namespace_name,
                                         const std::vector<std::string>& sets);

// The ports a process reported through --ports_file.
struct PortsFile {
  uint16_t grpc_port = 0;
  uint16_t monitoring_port = 0;
  // The one-process binary's "<service>_grpc_port" lines, by service.
  std::map<std::string, uint16_t> service_grpc_ports;
};

// WaitForPortsFile waits until `process` has written `path` (see
// --ports_file) and returns the ports in it; fails if the process exits first.
absl::StatusOr<PortsFile> WaitForPortsFile(const std::string& path, ChildProcess& process,
                                           absl::Duration timeout = absl::Seconds(30));

class RunningService {
 public:
  RunningService(std::string component, ChildProcess process, uint16_t grpc_port,
                 uint16_t monitoring_port)
      : component_(std::move(component)),
        process_(std::move(process)),
        grpc_port_(grpc_port),
        monitoring_port_(monitoring_port) {}

  const std::string& component() const { return component_; }
  ChildProcess& process() { return process_; }
  const ChildProcess& process() const { return process_; }
  // "" for a service without a gRPC server.
  std::string grpc_address() const;
  std::string monitoring_address() const;

  // WaitReady polls until /readyz answers 200 and (if the service has a gRPC
  // port) gRPC health says SERVING. Fails early if the process exits.
  absl::Status WaitReady(absl::Duration timeout = absl::Seconds(30));
  // For a TLS server: how WaitReady's health checks reach it.
  void set_grpc_credentials(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    grpc_credentials_ = std::move(credentials);
  }
  std::shared_ptr<grpc::ChannelCredentials> grpc_credentials() const { return grpc_credentials_; }
  // In the one-process mode, each hosted service's gRPC port.
  std::map<std::string, uint16_t> service_grpc_ports;
  // "127.0.0.1:PORT" of one hosted service of the one-process binary ("" if
  // it runs none).
  std::string grpc_address_of(const std::string& service) const;
  // Citadel's folders (for tokens and its roots), also set for the
  // one-process binary; "" for other components.
  std::string citadel_ca_dir;
  std::string citadel_serving_dir;

  // Stop sends SIGTERM and returns how the process ended.
  ExitInfo Stop(absl::Duration timeout = absl::Seconds(15));
  // Kill crashes the process (SIGKILL), as a failure test means to: the
  // end of the test does not count it as an unclean shutdown.
  void Kill();
  bool stopped() const { return stopped_; }
  const ExitInfo& exit() const { return exit_; }

 private:
  std::string component_;
  ChildProcess process_;
  uint16_t grpc_port_;
  uint16_t monitoring_port_;
  std::shared_ptr<grpc::ChannelCredentials> grpc_credentials_ = grpc::InsecureChannelCredentials();
  bool stopped_ = false;
  ExitInfo exit_;
};

class Mesh {
 public:
  // Start runs `component` on loopback ports it binds itself (port 0, read
  // back from its --ports_file), or on `grpc_port` when given (e.g. to
  // restart a service where its clients expect it), with `extra_args`.
  // Returns once the process has bound its ports.
  absl::StatusOr<RunningService*> Start(const std::string& component,
                                        const std::vector<std::string>& extra_args = {},
                                        uint16_t grpc_port = 0);

  // StartAgent runs keel-agent against `citadel` with a bootstrap token for
  // namespace/service_account (issued with Citadel's own command), its
  // certificates in a fresh folder (--cert_dir) unless `extra_args` names one.
  absl::StatusOr<RunningService*> StartAgent(const RunningService& citadel,
                                             const std::string& namespace_name,
                                             const std::string& service_account,
                                             std::vector<std::string> extra_args = {});

  // StopAll stops every service still running, the last started first;
  // returns those that did not
  // exit with status 0, as "component: how it ended".
  std::vector<std::string> StopAll();

  // DumpLogs writes every service's log to `out`.
  void DumpLogs(std::ostream& out) const;

  const std::vector<std::unique_ptr<RunningService>>& services() const { return services_; }

 private:
  std::vector<std::unique_ptr<RunningService>> services_;
};

// MeshTest owns a Mesh; at the end of each test it stops every service,
// fails the test unless each exited cleanly, and prints their logs when the
// test failed.
class MeshTest : public ::testing::Test {
 protected:
  Mesh& mesh() { return mesh_; }
  void TearDown() override;

 private:
  Mesh mesh_;
};

}  // namespace keel::testing

#endif  // KEEL_INTEGRATION_HARNESS_MESH_H_
