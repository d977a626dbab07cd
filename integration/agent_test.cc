// End to end: keel-agent against the real citadel binary. Certificates are
// written where gRPC reads them, renewed before they expire, kept while
// Citadel is away, served over SDS, and real gRPC servers and clients keep
// talking mTLS through renewals and a root rotation.
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/struct.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "integration/harness/eventually.h"
#include "integration/harness/mesh.h"
#include "libs/common/grpc_health.h"
#include "libs/common/http_client.h"
#include "libs/mesh/testing/shared_testdata.h"
#include "libs/mixer/attributes.h"
#include "libs/mtls/certificate.h"
#include "libs/mtls/credentials.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/istio/mixer/v1/mixer.grpc.pb.h"

namespace keel::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

std::string Leaf(const std::string& cert_dir) {
  const std::string chain = ReadFile(cert_dir + "/cert-chain.pem");
  return chain.substr(0, chain.find("-----END CERTIFICATE-----"));
}

// The server side of grpc.health.v1: always SERVING.
class HealthService final : public grpc::health::v1::Health::Service {
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest*,
                     grpc::health::v1::HealthCheckResponse* response) override {
    response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
};

class AgentTest : public MeshTest {
 protected:
  RunningService* StartCitadel(uint16_t port = 0) {
    absl::StatusOr<RunningService*> citadel = mesh().Start(
        "citadel", {"--ca_dir=" + ca_dir_, "--serving_dir=" + serving_dir_}, port);
    EXPECT_TRUE(citadel.ok()) << citadel.status();
    EXPECT_TRUE((*citadel)->WaitReady().ok()) << (*citadel)->process().Log();
    return *citadel;
  }
  RunningService* StartAgent(RunningService& citadel, const std::string& sa,
                             std::vector<std::string> args) {
    absl::StatusOr<RunningService*> agent = mesh().StartAgent(citadel, "shop", sa, args);
    EXPECT_TRUE(agent.ok()) << agent.status();
    EXPECT_TRUE((*agent)->WaitReady().ok()) << (*agent)->process().Log();
    return *agent;
  }

  const std::string ca_dir_ = TestTempDir("ca");
  const std::string serving_dir_ = TestTempDir("serving");
};

TEST_F(AgentTest, WritesVerifiableFilesAndABootstrapThatNamesThem) {
  RunningService* citadel = StartCitadel();
  const std::string certs = TestTempDir("certs");
  const std::string bootstrap = TestTempDir("bootstrap") + "/bootstrap.json";
  StartAgent(*citadel, "cart",
             {"--cert_dir=" + certs, "--bootstrap_file=" + bootstrap,
              "--node_id=sidecar~10.0.0.1~cart.shop~shop.svc.cluster.local",
              "--pilot_address=pilot:15010"});
  struct stat key_file;
  ASSERT_EQ(stat((certs + "/key.pem").c_str(), &key_file), 0);
  EXPECT_EQ(key_file.st_mode & 0777, 0600);
  absl::StatusOr<std::vector<mtls::Certificate>> chain =
      mtls::Certificate::ChainFromPem(ReadFile(certs + "/cert-chain.pem"));
  ASSERT_TRUE(chain.ok());
  EXPECT_THAT((*chain)[0].UriSans(), ElementsAre("spiffe://cluster.local/ns/shop/sa/cart"));
  absl::StatusOr<CommandResult> verified = RunToCompletion(
      "/usr/bin/openssl",
      {"verify", "-CAfile", certs + "/root-cert.pem", certs + "/cert-chain.pem"});
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->exit.status, 0) << verified->out << verified->err;
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ReadFile(bootstrap), &parsed).ok());
  const auto& config = parsed.fields()
                           .at("certificate_providers")
                           .struct_value()
                           .fields()
                           .at("default")
                           .struct_value()
                           .fields()
                           .at("config")
                           .struct_value()
                           .fields();
  EXPECT_EQ(config.at("certificate_file").string_value(), certs + "/cert-chain.pem");
}

TEST_F(AgentTest, RenewsBeforeExpiryAndKeepsTheValidCertificateWhileCitadelIsAway) {
  RunningService* citadel = StartCitadel();
  const std::string certs = TestTempDir("certs");
  RunningService* agent = StartAgent(*citadel, "cart", {"--cert_dir=" + certs, "--cert_ttl=4s"});
  // Renewed at about half of 4 s, over mTLS with the current certificate.
  const std::string first = Leaf(certs);
  ASSERT_TRUE(Eventually([&] { return Leaf(certs) != first; }, absl::Seconds(20)));

  // Citadel goes away: the agent stays ready on what it holds and retries.
  const uint16_t port = static_cast<uint16_t>(std::stoi(citadel->grpc_address().substr(10)));
  citadel->Stop();
  ASSERT_TRUE(WaitForLog(agent->process(), "renewing the certificate failed", absl::Seconds(20)));
  EXPECT_THAT(agent->process().Log(), HasSubstr("keeping the one valid until"));
  auto readyz = [&] {
    absl::StatusOr<HttpResponse> ready = HttpGet(agent->monitoring_address(), "/readyz");
    return ready.ok() ? *ready : HttpResponse{.status = -1};
  };
  EXPECT_EQ(readyz().status, 200);
  // Until what it holds expires: then it is not ready, and says why.
  const std::string held = Leaf(certs);
  ASSERT_TRUE(Eventually([&] { return readyz().status == 503; }, absl::Seconds(20)))
      << agent->process().Log();
  EXPECT_THAT(readyz().body, HasSubstr("certificate expired at"));
  // Back on the same address: renewals resume (with the token now), and
  // with a valid certificate the agent is ready again.
  StartCitadel(port);
  EXPECT_TRUE(Eventually([&] { return Leaf(certs) != held; }, absl::Seconds(40)))
      << agent->process().Log();
  EXPECT_TRUE(Eventually([&] { return readyz().status == 200; }, absl::Seconds(10)));
}

// --sds_socket names a path the agent replaces with its socket: a file that
// is there by mistake is refused, not deleted.
TEST_F(AgentTest, AnSdsSocketPathThatIsARegularFileIsRefusedAndKept) {
  RunningService* citadel = StartCitadel();
  // A unix socket path has room for 107 bytes: not under the test's TMPDIR.
  char dir[] = "/tmp/keel-sds-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/precious.txt";
  std::ofstream(file) << "keep me\n";
  absl::StatusOr<RunningService*> agent = mesh().StartAgent(
      *citadel, "shop", "cart", {"--cert_dir=" + TestTempDir("certs"), "--sds_socket=" + file});
  // The agent exits at start, saying why (whether before or after it
  // wrote its ports file).
  constexpr char kWhy[] = "precious.txt: exists and is not a socket (a regular file)";
  if (agent.ok()) {
    ASSERT_TRUE(Eventually([&] { return absl::StrContains((*agent)->process().Log(), kWhy); },
                           absl::Seconds(20)))
        << (*agent)->process().Log();
    const ExitInfo exit = (*agent)->Stop();
    EXPECT_TRUE(exit.exited && exit.status != 0) << exit.ToString();
  } else {
    EXPECT_THAT(agent.status().message(), HasSubstr(kWhy));
  }
  EXPECT_EQ(ReadFile(file), "keep me\n");
}

TEST_F(AgentTest, ServesTheCertificateOverSdsAndPushesRenewals) {
  RunningService* citadel = StartCitadel();
  const std::string certs = TestTempDir("certs");
  // A unix socket path has room for 107 bytes: not under the test's TMPDIR.
  char socket_dir[] = "/tmp/keel-sds-XXXXXX";
  ASSERT_NE(mkdtemp(socket_dir), nullptr);
  const std::string socket = std::string(socket_dir) + "/sds.sock";
  StartAgent(*citadel, "cart", {"--cert_dir=" + certs, "--sds_socket=" + socket, "--cert_ttl=4s"});
  auto stub = envoy::service::secret::v3::SecretDiscoveryService::NewStub(
      grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = stub->StreamSecrets(&context);
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_type_url("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret");
  request.add_resource_names("default");
  request.add_resource_names("ROOTCA");
  request.mutable_node()->set_id("sidecar~10.0.0.1~cart.shop~shop.svc.cluster.local");
  ASSERT_TRUE(stream->Write(request));
  auto read = [&](std::map<std::string, envoy::extensions::transport_sockets::tls::v3::Secret>& out) {
    envoy::service::discovery::v3::DiscoveryResponse response;
    if (!stream->Read(&response)) return false;
    for (const auto& any : response.resources()) {
      envoy::extensions::transport_sockets::tls::v3::Secret secret;
      any.UnpackTo(&secret);
      out[secret.name()] = secret;
    }
    request.set_version_info(response.version_info());
    request.set_response_nonce(response.nonce());
    return stream->Write(request);  // ACK
  };
  std::map<std::string, envoy::extensions::transport_sockets::tls::v3::Secret> secrets;
  ASSERT_TRUE(read(secrets));
  ASSERT_EQ(secrets.count("default"), 1u);
  ASSERT_EQ(secrets.count("ROOTCA"), 1u);
  const std::string first_chain = secrets["default"].tls_certificate().certificate_chain().inline_bytes();
  EXPECT_THAT(first_chain, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(secrets["default"].tls_certificate().private_key().inline_bytes(),
              HasSubstr("PRIVATE KEY"));
  EXPECT_EQ(secrets["ROOTCA"].validation_context().trusted_ca().inline_bytes(),
            ReadFile(ca_dir_ + "/trusted-roots.pem"));
  // The renewal arrives on the same stream.
  std::map<std::string, envoy::extensions::transport_sockets::tls::v3::Secret> renewed;
  ASSERT_TRUE(read(renewed));
  EXPECT_NE(renewed["default"].tls_certificate().certificate_chain().inline_bytes(), first_chain);
  context.TryCancel();
}

// A gRPC server and client on two agents' files, RPCs in a steady stream
// (and a new connection every tenth call) through several renewals and the
// three steps of a root rotation: not one RPC may fail.
TEST_F(AgentTest, MtlsTrafficSurvivesRenewalsAndARootRotation) {
  RunningService* citadel = StartCitadel();
  const std::string server_certs = TestTempDir("server-certs");
  const std::string client_certs = TestTempDir("client-certs");
  StartAgent(*citadel, "cart", {"--cert_dir=" + server_certs, "--cert_ttl=6s"});
  StartAgent(*citadel, "web", {"--cert_dir=" + client_certs, "--cert_ttl=6s"});

  HealthService health;
  grpc::ServerBuilder builder;
  builder.RegisterService(&health);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0",
                           mtls::ServerCredentialsFromFiles(mtls::TlsFiles::InDirectory(server_certs),
                                                            mtls::ClientCertificates::kRequire),
                           &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  // The server's certificate names a SPIFFE id, not a host: the client
  // checks the chain and the SPIFFE id, not the name it dialed.
  const std::string target = absl::StrCat("127.0.0.1:", port);
  auto client_credentials = [&] {
    return mtls::ChannelCredentialsFromFiles(mtls::TlsFiles::InDirectory(client_certs),
                                             mtls::kCredentialRefresh,
                                             "spiffe://cluster.local/ns/shop/sa/cart");
  };
  // Plaintext is refused by a server that requires mTLS.
  EXPECT_FALSE(CheckGrpcHealth(target, grpc::InsecureChannelCredentials()).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::string first_failure;
  std::thread caller([&] {
    auto persistent = client_credentials();
    for (int i = 0; !stop.load(); ++i) {
      absl::Status status = CheckGrpcHealth(target, i % 10 == 0 ? client_credentials() : persistent,
                                            "", absl::Seconds(5));
      if (status.ok()) {
        ++ok;
      } else if (failed++ == 0) {
        first_failure = std::string(status.message());
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  auto renewed_twice = [&](const std::string& dir) {
    const std::string start = Leaf(dir);
    std::string second;
    return Eventually([&] { return Leaf(dir) != start; }, absl::Seconds(20)) &&
           (second = Leaf(dir), Eventually([&] { return Leaf(dir) != second; }, absl::Seconds(20)));
  };
  EXPECT_TRUE(renewed_twice(server_certs));

  // Root rotation: a new root with the same key, trusted beside the old.
  const std::string old_root = ReadFile(ca_dir_ + "/root-cert.pem");
  absl::StatusOr<CommandResult> begin =
      RunToCompletion(KeelBinaryPath("citadel"), {"--ca_dir=" + ca_dir_, "rotate-root", "begin"});
  ASSERT_TRUE(begin.ok() && begin->exit.status == 0) << begin->err;
  auto roots_in = [&](const std::string& dir) {
    absl::StatusOr<std::vector<mtls::Certificate>> roots =
        mtls::Certificate::ChainFromPem(ReadFile(dir + "/root-cert.pem"));
    return roots.ok() ? roots->size() : 0u;
  };
  // Both agents pick up the two-root bundle at their next renewal.
  EXPECT_TRUE(Eventually([&] { return roots_in(server_certs) == 2 && roots_in(client_certs) == 2; },
                      absl::Seconds(30)));
  EXPECT_TRUE(renewed_twice(client_certs));
  absl::StatusOr<CommandResult> retire =
      RunToCompletion(KeelBinaryPath("citadel"), {"--ca_dir=" + ca_dir_, "rotate-root", "retire"});
  ASSERT_TRUE(retire.ok() && retire->exit.status == 0) << retire->err;
  EXPECT_TRUE(Eventually([&] { return roots_in(server_certs) == 1 && roots_in(client_certs) == 1; },
                      absl::Seconds(30)));
  EXPECT_NE(ReadFile(server_certs + "/root-cert.pem"), old_root);
  EXPECT_TRUE(renewed_twice(server_certs));

  stop.store(true);
  caller.join();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  EXPECT_EQ(failed.load(), 0) << "first failure: " << first_failure;
  EXPECT_GT(ok.load(), 100);
}

// The control plane protects itself: Galley and Pilot serve gRPC over mTLS
// with certificates their own keel-agents got from Citadel, Pilot accepts
// Galley only under Galley's identity, and plaintext or certificate-less
// callers are turned away.
TEST_F(AgentTest, GalleyAndPilotTalkMtlsWithCitadelCertificates) {
  RunningService* citadel = StartCitadel();
  const std::string galley_certs = TestTempDir("galley-certs");
  const std::string pilot_certs = TestTempDir("pilot-certs");
  auto agent = [&](const std::string& sa, const std::string& certs) {
    absl::StatusOr<RunningService*> started =
        mesh().StartAgent(*citadel, "keel-system", sa, {"--cert_dir=" + certs});
    ASSERT_TRUE(started.ok());
    ASSERT_TRUE((*started)->WaitReady().ok()) << (*started)->process().Log();
  };
  agent("keel-galley", galley_certs);
  agent("keel-pilot", pilot_certs);
  const std::string config = TestTempDir("config");
  std::ofstream(config + "/echo.yaml")
      << "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata: {name: echo}\n"
         "spec:\n  hosts: [echo.default.svc.cluster.local]\n  ports: [{number: 7070, name: grpc, "
         "protocol: GRPC}]\n  resolution: STATIC\n  endpoints: [{address: 127.0.0.1}]\n";
  absl::StatusOr<RunningService*> galley =
      mesh().Start("galley", {"--config_dir=" + config, "--tls_cert_dir=" + galley_certs});
  ASSERT_TRUE(galley.ok());
  // Health checks come as Pilot would: its certificate, Galley's identity.
  (*galley)->set_grpc_credentials(mtls::ChannelCredentialsFromFiles(
      mtls::TlsFiles::InDirectory(pilot_certs), mtls::kCredentialRefresh,
      "spiffe://cluster.local/ns/keel-system/sa/keel-galley"));
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  const std::string galley_address = (*galley)->grpc_address();

  absl::StatusOr<RunningService*> pilot = mesh().Start(
      "pilot", {"--galley_address=" + galley_address, "--tls_cert_dir=" + pilot_certs,
                "--insecure_xds_address=127.0.0.1:0"});
  ASSERT_TRUE(pilot.ok());
  (*pilot)->set_grpc_credentials(mtls::ChannelCredentialsFromFiles(
      mtls::TlsFiles::InDirectory(galley_certs), mtls::kCredentialRefresh,
      "spiffe://cluster.local/ns/keel-system/sa/keel-pilot"));
  ASSERT_TRUE((*pilot)->WaitReady().ok()) << (*pilot)->process().Log();  // it has Galley's config
  absl::StatusOr<HttpResponse> configz = HttpGet((*pilot)->monitoring_address(), "/debug/configz");
  ASSERT_TRUE(configz.ok());
  EXPECT_THAT(configz->body, HasSubstr("default/echo"));

  // xDS for proxyless gRPC clients, which cannot reach Pilot over TLS: in
  // plaintext only on the port --insecure_xds_address names.
  EXPECT_TRUE(CheckGrpcHealth((*pilot)->grpc_address_of("insecure"),
                              grpc::InsecureChannelCredentials())
                  .ok());
  EXPECT_FALSE(CheckGrpcHealth((*pilot)->grpc_address(), grpc::InsecureChannelCredentials()).ok());

  // Plaintext, and TLS without a client certificate, are refused.
  EXPECT_FALSE(CheckGrpcHealth(galley_address, grpc::InsecureChannelCredentials()).ok());
  EXPECT_FALSE(CheckGrpcHealth(galley_address,
                               mtls::ChannelCredentialsFromFiles(
                                   {.roots = galley_certs + "/root-cert.pem"},
                                   mtls::kCredentialRefresh,
                                   "spiffe://cluster.local/ns/keel-system/sa/keel-galley"))
                   .ok());
  // A Pilot told to expect another identity does not take this Galley's config.
  absl::StatusOr<RunningService*> doubting = mesh().Start(
      "pilot", {"--galley_address=" + galley_address, "--tls_cert_dir=" + pilot_certs,
                "--galley_identity=spiffe://cluster.local/ns/keel-system/sa/someone-else"});
  ASSERT_TRUE(doubting.ok());
  ASSERT_TRUE(WaitForLog((*doubting)->process(), "TLS with " + galley_address + " failed",
                         absl::Seconds(20)))
      << (*doubting)->process().Log();
  absl::StatusOr<HttpResponse> readyz = HttpGet((*doubting)->monitoring_address(), "/readyz");
  ASSERT_TRUE(readyz.ok());
  EXPECT_EQ(readyz->status, 503);

  // A workload's certificate is not a control plane's: Galley's MCP refuses it.
  const std::string cart_certs = TestTempDir("cart-certs");
  absl::StatusOr<RunningService*> cart =
      mesh().StartAgent(*citadel, "shop", "cart", {"--cert_dir=" + cart_certs});
  ASSERT_TRUE(cart.ok());
  ASSERT_TRUE((*cart)->WaitReady().ok()) << (*cart)->process().Log();
  {
    auto ads = envoy::service::discovery::v3::AggregatedDiscoveryService::NewStub(grpc::CreateChannel(
        galley_address, mtls::ChannelCredentialsFromFiles(
                            mtls::TlsFiles::InDirectory(cart_certs), mtls::kCredentialRefresh,
                            "spiffe://cluster.local/ns/keel-system/sa/keel-galley")));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto stream = ads->StreamAggregatedResources(&context);
    envoy::service::discovery::v3::DiscoveryRequest request;
    request.set_type_url("networking.istio.io/v1alpha3/ServiceEntry");
    stream->Write(request);
    envoy::service::discovery::v3::DiscoveryResponse response;
    EXPECT_FALSE(stream->Read(&response));
    const grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(status.error_message(),
                HasSubstr("Galley's MCP is served to spiffe://cluster.local/ns/keel-system/sa/"
                          "keel-pilot, spiffe://cluster.local/ns/keel-system/sa/keel-mixer"));
    EXPECT_THAT(status.error_message(), HasSubstr("this peer is spiffe://cluster.local/ns/shop/sa/cart"));
  }
}

// Mixer over mTLS: a workload calls it with its keel-agent's certificate,
// and Mixer takes the caller's own identity from that certificate, not from
// what the attributes claim; a plaintext client is refused.
TEST_F(AgentTest, MixerKnowsItsCallersByTheirCertificates) {
  RunningService* citadel = StartCitadel();
  std::map<std::string, std::string> certs;
  for (const std::string sa : {"keel-galley", "keel-mixer"}) {
    certs[sa] = TestTempDir(sa);
    absl::StatusOr<RunningService*> agent =
        mesh().StartAgent(*citadel, "keel-system", sa, {"--cert_dir=" + certs[sa]});
    ASSERT_TRUE(agent.ok());
    ASSERT_TRUE((*agent)->WaitReady().ok()) << (*agent)->process().Log();
  }
  const std::string cart_certs = TestTempDir("cart");
  absl::StatusOr<RunningService*> cart =
      mesh().StartAgent(*citadel, "shop", "cart", {"--cert_dir=" + cart_certs});
  ASSERT_TRUE(cart.ok());
  ASSERT_TRUE((*cart)->WaitReady().ok()) << (*cart)->process().Log();
  const std::string config = TestTempDir("mixer-config");
  std::filesystem::copy_file(
      mesh::testing::IstioTestdataDir() + "/mixer-api-1.4/attributes.yaml", config + "/attributes.yaml");
  std::ofstream(config + "/deny-cart.yaml")
      << "apiVersion: config.istio.io/v1alpha2\nkind: handler\nmetadata: {name: nocart, namespace: "
         "istio-system}\nspec: {compiledAdapter: denier, params: {status: {code: 7, message: not "
         "cart}}}\n---\napiVersion: config.istio.io/v1alpha2\nkind: instance\nmetadata: {name: "
         "nocart, namespace: istio-system}\nspec: {compiledTemplate: checknothing}\n---\n"
         "apiVersion: config.istio.io/v1alpha2\nkind: rule\nmetadata: {name: nocart, namespace: "
         "istio-system}\nspec:\n  match: source.principal == \"cluster.local/ns/shop/sa/cart\"\n"
         "  actions: [{handler: nocart, instances: [nocart]}]\n";
  absl::StatusOr<RunningService*> galley = mesh().Start(
      "galley", {"--config_dir=" + config, "--tls_cert_dir=" + certs["keel-galley"]});
  ASSERT_TRUE(galley.ok());
  (*galley)->set_grpc_credentials(mtls::ChannelCredentialsFromFiles(
      mtls::TlsFiles::InDirectory(certs["keel-mixer"]), mtls::kCredentialRefresh,
      "spiffe://cluster.local/ns/keel-system/sa/keel-galley"));
  ASSERT_TRUE((*galley)->WaitReady().ok()) << (*galley)->process().Log();
  absl::StatusOr<RunningService*> mixer = mesh().Start(
      "mixer", {"--galley_address=" + (*galley)->grpc_address(),
                "--tls_cert_dir=" + certs["keel-mixer"]});
  ASSERT_TRUE(mixer.ok());
  const std::string mixer_identity = "spiffe://cluster.local/ns/keel-system/sa/keel-mixer";
  (*mixer)->set_grpc_credentials(mtls::ChannelCredentialsFromFiles(
      mtls::TlsFiles::InDirectory(cart_certs), mtls::kCredentialRefresh, mixer_identity));
  ASSERT_TRUE((*mixer)->WaitReady().ok()) << (*mixer)->process().Log();

  std::shared_ptr<const mixer::GlobalDictionary> dictionary = mixer::GlobalDictionary::Istio14();
  istio::mixer::v1::CheckRequest request;
  // The caller claims to be an administrator, reporting as the client.
  *request.mutable_attributes() = mixer::Encode(
      {{"context.reporter.kind", std::string("outbound")},
       {"source.principal", std::string("cluster.local/ns/kube-system/sa/admin")},
       {"destination.namespace", std::string("default")}},
      *dictionary);
  auto check = [&](std::shared_ptr<grpc::ChannelCredentials> credentials,
                   istio::mixer::v1::CheckResponse* response) {
    auto stub = istio::mixer::v1::Mixer::NewStub(
        grpc::CreateChannel((*mixer)->grpc_address(), std::move(credentials)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub->Check(&context, request, response);
  };
  istio::mixer::v1::CheckResponse response;
  grpc::Status status = check(mtls::ChannelCredentialsFromFiles(mtls::TlsFiles::InDirectory(cart_certs),
                                                                mtls::kCredentialRefresh, mixer_identity),
                              &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.precondition().status().code(), 7) << "the claim was believed";
  EXPECT_EQ(response.precondition().status().message(), "not cart");
  status = check(grpc::InsecureChannelCredentials(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

}  // namespace
}  // namespace keel::testing
