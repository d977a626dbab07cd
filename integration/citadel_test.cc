// End to end: the real citadel binary, asked over gRPC (TLS) with Istio's CA
// API, its answers checked by the openssl tool.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "integration/harness/etcd_cluster.h"
#include "integration/harness/eventually.h"
#include "integration/harness/mesh.h"
#include "libs/common/files.h"
#include "libs/common/http_client.h"
#include "libs/mtls/bootstrap_token.h"
#include "libs/mtls/certificate.h"
#include "libs/mtls/credentials.h"
#include "libs/mtls/key.h"
#include "proto/istio/security/v1alpha1/ca.grpc.pb.h"

namespace keel::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using istio::v1::auth::IstioCertificateRequest;
using istio::v1::auth::IstioCertificateResponse;
using istio::v1::auth::IstioCertificateService;

constexpr char kCart[] = "spiffe://cluster.local/ns/shop/sa/cart";

std::string ReadFile(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

std::string Csr(const mtls::PrivateKey& key, std::vector<std::string> sans = {kCart}) {
  absl::StatusOr<mtls::CertificateRequest> csr =
      mtls::CertificateRequest::Build(key, {.uri_sans = std::move(sans)});
  EXPECT_TRUE(csr.ok()) << csr.status();
  return csr.ok() ? csr->ToPem() : "";
}

class CitadelTest : public MeshTest {
 protected:
  void StartCitadel(std::vector<std::string> extra = {}) {
    if (ca_dir_.empty()) ca_dir_ = TestTempDir("ca");
    serving_dir_ = TestTempDir("serving");
    extra.push_back("--ca_dir=" + ca_dir_);
    extra.push_back("--serving_dir=" + serving_dir_);
    absl::StatusOr<RunningService*> citadel = mesh().Start("citadel", extra);
    ASSERT_TRUE(citadel.ok()) << citadel.status();
    citadel_ = *citadel;
    ASSERT_TRUE(citadel_->WaitReady().ok()) << citadel_->process().Log();
  }

  std::string IssueToken(const std::string& ns, const std::string& sa,
                         const std::string& ttl = "1h") {
    std::vector<std::string> args = {"--ca_dir=" + ca_dir_, "--token_ttl=" + ttl};
    if (!token_key_file_.empty()) args.push_back("--token_key_file=" + token_key_file_);
    args.insert(args.end(), {"issue-token", ns, sa});
    absl::StatusOr<CommandResult> issued = RunToCompletion(KeelBinaryPath("citadel"), args);
    EXPECT_TRUE(issued.ok());
    EXPECT_EQ(issued->exit.status, 0) << issued->err;
    return std::string(absl::StripTrailingAsciiWhitespace(issued->out));
  }

  // A client that trusts Citadel's roots; with `identity_dir` it presents
  // the key and chain there (mTLS).
  std::unique_ptr<IstioCertificateService::Stub> Stub(const std::string& identity_dir = "") {
    mtls::TlsFiles files{.roots = serving_dir_ + "/root-cert.pem"};
    if (!identity_dir.empty()) {
      files.private_key = identity_dir + "/key.pem";
      files.cert_chain = identity_dir + "/cert-chain.pem";
    }
    // "localhost": the name Citadel's serving certificate carries.
    auto channel = grpc::CreateChannel(
        absl::StrCat("localhost:", citadel_->grpc_address().substr(10)),
        mtls::ChannelCredentialsFromFiles(files));
    return IstioCertificateService::NewStub(channel);
  }

  grpc::Status Create(IstioCertificateService::Stub& stub, const std::string& csr,
                      const std::string& token, int64_t validity,
                      IstioCertificateResponse* response,
                      std::map<std::string, std::string>* headers = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    IstioCertificateRequest request;
    request.set_csr(csr);
    request.set_validity_duration(validity);
    grpc::Status status = stub.CreateCertificate(&context, request, response);
    if (headers != nullptr) {
      for (const auto& [name, value] : context.GetServerInitialMetadata()) {
        (*headers)[std::string(name.data(), name.size())] = std::string(value.data(), value.size());
      }
    }
    return status;
  }

  // Writes what the response holds where the openssl tool and a TLS client read it.
  std::string WriteIdentity(const mtls::PrivateKey& key, const IstioCertificateResponse& response) {
    const std::string dir = TestTempDir("identity");
    std::string chain;
    for (const std::string& pem : response.cert_chain()) chain += pem;
    EXPECT_TRUE(WriteFileAtomically(dir + "/key.pem", key.ToPem(), 0600).ok());
    EXPECT_TRUE(WriteFileAtomically(dir + "/cert-chain.pem", chain).ok());
    EXPECT_TRUE(WriteFileAtomically(dir + "/leaf.pem", response.cert_chain(0)).ok());
    EXPECT_TRUE(WriteFileAtomically(dir + "/root.pem", response.cert_chain().rbegin()->c_str()).ok());
    std::string intermediates;
    for (int i = 1; i + 1 < response.cert_chain_size(); ++i) intermediates += response.cert_chain(i);
    EXPECT_TRUE(WriteFileAtomically(dir + "/untrusted.pem", intermediates).ok());
    return dir;
  }

  CommandResult OpensslVerify(const std::string& dir, const std::string& root_file) {
    std::vector<std::string> args = {"verify", "-CAfile", root_file};
    if (!ReadFile(dir + "/untrusted.pem").empty()) {
      args.insert(args.end(), {"-untrusted", dir + "/untrusted.pem"});
    }
    args.push_back(dir + "/leaf.pem");
    absl::StatusOr<CommandResult> verified = RunToCompletion("/usr/bin/openssl", args);
    EXPECT_TRUE(verified.ok());
    return *verified;
  }

  std::string ca_dir_;
  std::string token_key_file_;  // "" : the CA folder's
  std::string serving_dir_;
  RunningService* citadel_ = nullptr;
};

TEST_F(CitadelTest, ATokenBuysACertificateForItsIdentityThatOpensslVerifies) {
  StartCitadel();
  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  auto stub = Stub();
  IstioCertificateResponse response;
  std::map<std::string, std::string> headers;
  const absl::Time asked = absl::Now();
  grpc::Status status = Create(*stub, Csr(*key), IssueToken("shop", "cart"), 0, &response, &headers);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.cert_chain_size(), 2);  // leaf, root

  absl::StatusOr<mtls::Certificate> leaf = mtls::Certificate::FromPem(response.cert_chain(0));
  ASSERT_TRUE(leaf.ok());
  EXPECT_THAT(leaf->UriSans(), ElementsAre(kCart));
  EXPECT_TRUE(leaf->MatchesKey(*key));
  // 24 h by default, NotBefore back-dated for clock skew.
  EXPECT_NEAR(absl::ToDoubleHours(leaf->NotAfter() - asked), 24, 0.01);
  EXPECT_LE(leaf->NotBefore(), asked - absl::Minutes(4));
  // The root is the one Citadel keeps in its folder, and openssl accepts the chain.
  EXPECT_EQ(*response.cert_chain().rbegin(), ReadFile(ca_dir_ + "/root-cert.pem"));
  const std::string dir = WriteIdentity(*key, response);
  CommandResult verified = OpensslVerify(dir, dir + "/root.pem");
  EXPECT_EQ(verified.exit.status, 0) << verified.out << verified.err;
  // The trust bundle rides beside the chain.
  auto bundle = headers.find("keel-trust-bundle-bin");
  ASSERT_NE(bundle, headers.end());
  EXPECT_EQ(bundle->second, ReadFile(ca_dir_ + "/trusted-roots.pem"));
}

TEST_F(CitadelTest, RenewalByTheCurrentCertificateOverMtlsAndTheSameRootAfterARestart) {
  StartCitadel();
  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate();
  IstioCertificateResponse first;
  ASSERT_TRUE(Create(*Stub(), Csr(*key), IssueToken("shop", "cart"), 0, &first).ok());
  const std::string identity = WriteIdentity(*key, first);
  const std::string root_before = ReadFile(ca_dir_ + "/root-cert.pem");

  citadel_->Stop();
  StartCitadel();  // the same CA folder
  EXPECT_EQ(ReadFile(ca_dir_ + "/root-cert.pem"), root_before);
  // No token: the client certificate is the credential.
  absl::StatusOr<mtls::PrivateKey> next_key = mtls::PrivateKey::Generate(mtls::KeyType::kRsa2048);
  IstioCertificateResponse renewed;
  grpc::Status status = Create(*Stub(identity), Csr(*next_key), "", 3600, &renewed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  absl::StatusOr<mtls::Certificate> leaf = mtls::Certificate::FromPem(renewed.cert_chain(0));
  EXPECT_THAT(leaf->UriSans(), ElementsAre(kCart));
  EXPECT_NEAR(absl::ToDoubleHours(leaf->NotAfter() - absl::Now()), 1, 0.01);
  EXPECT_EQ(*renewed.cert_chain().rbegin(), root_before);
}

TEST_F(CitadelTest, BadRequestsGetTheRightStatusAndCitadelCarriesOn) {
  StartCitadel();
  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate();
  auto stub = Stub();
  const std::string token = IssueToken("shop", "cart");
  IstioCertificateResponse response;
  auto expect = [&](grpc::Status status, grpc::StatusCode code, const std::string& text) {
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(text));
  };
  expect(Create(*stub, Csr(*key), "", 0, &response), grpc::StatusCode::UNAUTHENTICATED,
         "no client certificate and no \"authorization: Bearer <token>\"");
  expect(Create(*stub, "garbage", token, 0, &response), grpc::StatusCode::INVALID_ARGUMENT,
         "csr: not a PEM certificate request");
  expect(Create(*stub, Csr(*key, {"spiffe://cluster.local/ns/kube-system/sa/admin"}), token, 0,
                &response),
         grpc::StatusCode::PERMISSION_DENIED,
         "csr asks for \"spiffe://cluster.local/ns/kube-system/sa/admin\" but the caller is "
         "spiffe://cluster.local/ns/shop/sa/cart");
  expect(Create(*stub, Csr(*key), token, 365 * 24 * 3600, &response),
         grpc::StatusCode::INVALID_ARGUMENT, "is more than the maximum 7776000s");
  expect(Create(*stub, Csr(*key), token, -5, &response), grpc::StatusCode::INVALID_ARGUMENT,
         "is negative");
  // A token signed with another secret, and one that has expired.
  mtls::TokenSigner stranger(std::string(32, 's'));
  expect(Create(*stub, Csr(*key), *stranger.Issue("shop", "cart", absl::Hours(1)), 0, &response),
         grpc::StatusCode::UNAUTHENTICATED, "bad signature");
  const std::string short_lived = IssueToken("shop", "cart", "1s");
  const absl::Time expired = absl::Now() + absl::Seconds(2);
  while (absl::Now() < expired) absl::SleepFor(absl::Milliseconds(50));  // the clock passes exp
  expect(Create(*stub, Csr(*key), short_lived, 0, &response), grpc::StatusCode::UNAUTHENTICATED,
         "expired");
  // A key too small, made by the openssl tool.
  const std::string dir = TestTempDir("weak");
  absl::StatusOr<CommandResult> weak = RunToCompletion(
      "/usr/bin/openssl",
      {"req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", dir + "/k.pem", "-out",
       dir + "/r.csr", "-subj", "/O=x", "-addext", std::string("subjectAltName=URI:") + kCart});
  ASSERT_TRUE(weak.ok());
  ASSERT_EQ(weak->exit.status, 0) << weak->err;
  expect(Create(*stub, ReadFile(dir + "/r.csr"), token, 0, &response),
         grpc::StatusCode::INVALID_ARGUMENT, "unsupported key RSA 1024");
  // Far beyond any CSR: refused by the transport limit.
  expect(Create(*stub, std::string(1 << 20, 'x'), token, 0, &response),
         grpc::StatusCode::RESOURCE_EXHAUSTED, "");

  // Still serving, and it counted every refusal by reason.
  ASSERT_TRUE(Create(*stub, Csr(*key), token, 0, &response).ok());
  absl::StatusOr<HttpResponse> metrics = HttpGet(citadel_->monitoring_address(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  for (const char* reason : {"authentication", "csr_parse", "identity", "ttl", "key"}) {
    EXPECT_THAT(metrics->body, HasSubstr(absl::StrCat("reason=\"", reason, "\"")));
  }
  EXPECT_THAT(metrics->body, HasSubstr("citadel_server_success_cert_issuance_count 1"));
  EXPECT_THAT(metrics->body, HasSubstr("citadel_server_root_cert_expiry_timestamp "));
}

// One token made 20,200 certificates as fast as it could: now an identity
// past its burst is refused with RESOURCE_EXHAUSTED, naming it and when to
// retry, while another identity is not held up; refusals are counted.
TEST_F(CitadelTest, OneIdentityIsRateLimitedWithoutHoldingUpOthers) {
  StartCitadel({"--certificates_per_second=0.5", "--certificate_burst=5"});
  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  auto stub = Stub();
  const std::string cart = IssueToken("shop", "cart");
  IstioCertificateResponse response;
  for (int i = 0; i < 5; ++i) {
    grpc::Status status = Create(*stub, Csr(*key), cart, 0, &response);
    ASSERT_TRUE(status.ok()) << i << ": " << status.error_message();
  }
  grpc::Status limited = Create(*stub, Csr(*key), cart, 0, &response);
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(),
              HasSubstr("spiffe://cluster.local/ns/shop/sa/cart (by its bootstrap token) has asked "
                        "for more than 0.5 certificates per second (burst 5); retry in"));
  const std::string web = IssueToken("shop", "web");
  EXPECT_TRUE(Create(*stub, Csr(*key, {"spiffe://cluster.local/ns/shop/sa/web"}), web, 0, &response).ok());
  absl::StatusOr<HttpResponse> metrics = HttpGet(citadel_->monitoring_address(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body,
              HasSubstr("citadel_server_csr_total{outcome=\"refused\",reason=\"rate_limit\"} 1"));
}

// Plaintext clients on the TLS port: gRPC logs a failed handshake per
// connection (2,000 lines in 0.4 s before). Through the shared limiter at
// most 5 a second are written, and the next one says how many were not.
TEST_F(CitadelTest, PlaintextConnectionsOnTheTlsPortAreLoggedAtABoundedRate) {
  StartCitadel();
  const std::string address = citadel_->grpc_address();
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  auto plaintext_connection = [port] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof(server)) == 0) {
      timeval timeout{.tv_sec = 5, .tv_usec = 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      constexpr char kRequest[] = "GET / HTTP/1.1\r\nHost: citadel\r\n\r\n";
      send(fd, kRequest, sizeof(kRequest) - 1, MSG_NOSIGNAL);
      char buffer[256];
      while (recv(fd, buffer, sizeof(buffer), 0) > 0) {
      }
    }
    close(fd);
  };
  auto grpc_lines = [&] {
    int lines = 0;
    for (absl::string_view line : absl::StrSplit(citadel_->process().Log(), '\n')) {
      lines += absl::StrContains(line, " grpc ") && absl::StrContains(line, "Handshake failed");
    }
    return lines;
  };
  const absl::Time start = absl::Now();
  for (int i = 0; i < 1000; ++i) plaintext_connection();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  ASSERT_TRUE(Eventually([&] { return grpc_lines() > 0; }, absl::Seconds(10)))
      << citadel_->process().Log();
  std::cout << "1000 plaintext connections in " << seconds << " s: " << grpc_lines()
            << " log lines\n";
  EXPECT_LE(grpc_lines(), 5 + 5 * static_cast<int>(std::ceil(seconds)) + 1);
  // Once the limiter lets a line through again, it counts what it held back.
  EXPECT_TRUE(Eventually(
      [&] {
        plaintext_connection();
        return absl::StrContains(citadel_->process().Log(), "connection log lines not written");
      },
      absl::Seconds(20)));
}

// Without --serving_dir, Citadel keeps its serving key in a temporary folder
// of its own: a clean stop removes it (it was left behind, key.pem in it).
TEST_F(CitadelTest, ATemporaryServingFolderIsRemovedOnACleanStop) {
  const std::string tmp = TestTempDir("citadel-tmp");
  const std::string ports = tmp + "/ports";
  absl::StatusOr<ChildProcess> citadel = ChildProcess::Start(
      KeelBinaryPath("citadel"),
      {"--ca_dir=" + TestTempDir("ca"), "--grpc_address=127.0.0.1:0",
       "--monitoring_address=127.0.0.1:0", "--ports_file=" + ports},
      tmp + "/citadel.log", "", {"TMPDIR=" + tmp});
  ASSERT_TRUE(citadel.ok()) << citadel.status();
  ASSERT_TRUE(WaitForPortsFile(ports, *citadel).ok()) << citadel->Log();
  auto serving_folders = [&] {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(tmp)) {
      if (absl::StrContains(entry.path().filename().string(), "keel-citadel-serving-")) {
        found.push_back(entry.path().string());
      }
    }
    return found;
  };
  ASSERT_TRUE(Eventually([&] { return serving_folders().size() == 1; }, absl::Seconds(10)));
  EXPECT_TRUE(std::filesystem::exists(serving_folders()[0] + "/key.pem"));
  const ExitInfo exit = citadel->Terminate();
  EXPECT_TRUE(exit.exited && exit.status == 0) << exit.ToString();
  EXPECT_TRUE(serving_folders().empty());
}

// A root that expires silently took meshes down (Istio #14516): a root with
// less left than --expiry_warning is logged at start, and its expiry is a metric.
TEST_F(CitadelTest, ARootNearItsEndIsWarnedAboutAndExported) {
  StartCitadel({"--root_ttl=240h", "--expiry_warning=720h"});
  EXPECT_TRUE(WaitForLog(citadel_->process(), "the CA's root certificate expires",
                         absl::Seconds(10)))
      << citadel_->process().Log();
  absl::StatusOr<HttpResponse> metrics = HttpGet(citadel_->monitoring_address(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  absl::StatusOr<mtls::Certificate> root =
      mtls::Certificate::FromPem(ReadFile(ca_dir_ + "/root-cert.pem"));
  ASSERT_TRUE(root.ok());
  EXPECT_THAT(metrics->body,
              HasSubstr(absl::StrCat("citadel_server_root_cert_expiry_timestamp ",
                                     absl::ToUnixSeconds(root->NotAfter()))));
}

TEST_F(CitadelTest, APluggedInCaSignsUnderTheOrganisationsRoot) {
  ca_dir_ = TestTempDir("cacerts");
  absl::StatusOr<CommandResult> made = RunToCompletion(
      "/bin/sh",
      {"-c",
       absl::StrCat(
           "cd ", ca_dir_, " && ",
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout root-key.pem -out root-cert.pem "
           "-days 3650 -subj '/O=Example Org/CN=Example Root' "
           "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && ",
           "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem "
           "-out ca.csr -subj '/O=Example Org/CN=Mesh CA' && ",
           "printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\nkeyUsage=critical,keyCertSign\\n' "
           "> ext.cnf && ",
           "openssl x509 -req -in ca.csr -CA root-cert.pem -CAkey root-key.pem -CAcreateserial "
           "-days 365 -extfile ext.cnf -out ca-cert.pem && cat ca-cert.pem root-cert.pem > "
           "cert-chain.pem")});
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->exit.status, 0) << made->err;
  token_key_file_ = TestTempDir("tokens") + "/token-key";
  StartCitadel({"--ca_mode=cacerts", "--token_key_file=" + token_key_file_});
  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate();
  IstioCertificateResponse response;
  grpc::Status status = Create(*Stub(), Csr(*key), IssueToken("shop", "cart"), 0, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.cert_chain_size(), 3);  // leaf, the mesh CA, the organisation's root
  EXPECT_EQ(*response.cert_chain().rbegin(), ReadFile(ca_dir_ + "/root-cert.pem"));
  const std::string dir = WriteIdentity(*key, response);
  CommandResult verified = OpensslVerify(dir, ca_dir_ + "/root-cert.pem");
  EXPECT_EQ(verified.exit.status, 0) << verified.out << verified.err;
}

int CertificatesIn(const std::string& pem) {
  int n = 0;
  for (size_t at = pem.find("BEGIN CERTIFICATE"); at != std::string::npos;
       at = pem.find("BEGIN CERTIFICATE", at + 1)) {
    ++n;
  }
  return n;
}

// Two Citadel replicas on a 3-member etcd share one CA: the same root and
// token key; a token from one replica's folder buys a certificate from the
// other; `citadel rotate-root begin` run against etcd reaches both (old and
// new roots trusted, the new one signing), and chains verify against the
// published bundle.
TEST_F(CitadelTest, ReplicasOnEtcdShareOneCaAndTakeARotation) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(3);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::string dir_a = TestTempDir("ca-a"), dir_b = TestTempDir("ca-b");
  ca_dir_ = dir_a;
  StartCitadel({(*etcd)->EndpointsFlag()});
  ca_dir_ = dir_b;
  StartCitadel({(*etcd)->EndpointsFlag()});  // citadel_ and serving_dir_ are B's now
  const std::string root = ReadFile(dir_a + "/root-cert.pem");
  ASSERT_EQ(CertificatesIn(root), 1);
  EXPECT_EQ(ReadFile(dir_b + "/root-cert.pem"), root);
  EXPECT_EQ(ReadFile(dir_b + "/token-key"), ReadFile(dir_a + "/token-key"));

  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  ca_dir_ = dir_a;
  const std::string token = IssueToken("shop", "cart");
  auto stub = Stub();
  IstioCertificateResponse response;
  grpc::Status status = Create(*stub, Csr(*key), token, 0, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(*response.cert_chain().rbegin(), root);

  absl::StatusOr<CommandResult> rotated = RunToCompletion(
      KeelBinaryPath("citadel"),
      {"--ca_dir=" + TestTempDir("rotator"), (*etcd)->EndpointsFlag(), "rotate-root", "begin"});
  ASSERT_TRUE(rotated.ok());
  ASSERT_EQ(rotated->exit.status, 0) << rotated->err;
  // Both replicas take it; B then signs under the new root.
  std::string new_root;
  ASSERT_TRUE(Eventually(
      [&] {
        new_root = ReadFile(dir_b + "/root-cert.pem");
        return CertificatesIn(ReadFile(dir_a + "/trusted-roots.pem")) == 2 &&
               CertificatesIn(ReadFile(dir_b + "/trusted-roots.pem")) == 2 &&
               ReadFile(dir_a + "/root-cert.pem") == new_root && new_root != root;
      },
      absl::Seconds(20)));
  IstioCertificateResponse renewed;
  const bool signs_with_new = Eventually(
      [&] {
        renewed.Clear();
        return Create(*stub, Csr(*key), IssueToken("shop", "cart"), 0, &renewed).ok() &&
               *renewed.cert_chain().rbegin() == new_root;
      },
      absl::Seconds(20), absl::Milliseconds(100));
  if (signs_with_new) {
    const std::string identity = WriteIdentity(*key, renewed);
    CommandResult verified = OpensslVerify(identity, dir_b + "/trusted-roots.pem");
    EXPECT_EQ(verified.exit.status, 0) << verified.out << verified.err;
  }
  EXPECT_TRUE(signs_with_new);
  // The first certificate, under the old root, still verifies against the bundle.
  CommandResult old_verified = OpensslVerify(WriteIdentity(*key, response), dir_b + "/trusted-roots.pem");
  EXPECT_EQ(old_verified.exit.status, 0) << old_verified.out << old_verified.err;
}

// Root rotation on etcd is the leader's: `rotate-root begin` asks, the
// leading replica makes the new root; killed then, the other replica takes
// the lead when the lease runs out and retires the old root once the
// overlap has passed. Every certificate issued meanwhile verifies against
// the roots its replica trusted when it was issued.
TEST_F(CitadelTest, TheLeaderRotatesTheRootAndAnotherFinishesWhenItDies) {
  absl::StatusOr<std::unique_ptr<EtcdCluster>> etcd = EtcdCluster::Start(3);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  struct Replica {
    RunningService* service;
    std::string ca_dir, serving_dir;
  };
  std::vector<Replica> replicas;
  for (const char* name : {"ca-a", "ca-b"}) {
    ca_dir_ = TestTempDir(name);
    StartCitadel({(*etcd)->EndpointsFlag(), "--leader_lease=2s"});
    replicas.push_back({citadel_, ca_dir_, serving_dir_});
  }
  auto leads = [](const Replica& r) {
    return absl::StrContains(r.service->process().Log(), "leads /keel/v1/ca/leader");
  };
  const absl::Time elected_by = absl::Now() + absl::Seconds(20);
  while (!leads(replicas[0]) && !leads(replicas[1]) && absl::Now() < elected_by) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_NE(leads(replicas[0]), leads(replicas[1])) << "exactly one replica must lead";
  const Replica leader = leads(replicas[0]) ? replicas[0] : replicas[1];
  const Replica follower = leads(replicas[0]) ? replicas[1] : replicas[0];
  const std::string old_root = ReadFile(follower.ca_dir + "/root-cert.pem");

  auto citadel_cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), (*etcd)->EndpointsFlag());
    absl::StatusOr<CommandResult> result = RunToCompletion(KeelBinaryPath("citadel"), args);
    EXPECT_TRUE(result.ok());
    return result.ok() ? *result : CommandResult{};
  };
  CommandResult asked = citadel_cli({"--rotation_overlap=4s", "rotate-root", "begin"});
  ASSERT_EQ(asked.exit.status, 0) << asked.err;
  CommandResult twice = citadel_cli({"rotate-root", "begin"});
  EXPECT_EQ(twice.exit.status, 1);
  EXPECT_THAT(twice.err, HasSubstr("a root rotation is under way"));

  // The leader begins it: both replicas trust two roots.
  const absl::Time begun_by = absl::Now() + absl::Seconds(20);
  while (CertificatesIn(ReadFile(follower.ca_dir + "/trusted-roots.pem")) != 2 &&
         absl::Now() < begun_by) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(CertificatesIn(ReadFile(follower.ca_dir + "/trusted-roots.pem")), 2);
  // (The leader logs the step after its transaction, which the follower's
  // watch may see first.)
  EXPECT_TRUE(WaitForLog(leader.service->process(), "CA root rotation begun by citadel@",
                         absl::Seconds(10)));
  leader.service->Kill();

  // The follower takes over and retires the old root after the overlap;
  // meanwhile it keeps signing, and what it signs verifies.
  citadel_ = follower.service;
  ca_dir_ = follower.ca_dir;
  serving_dir_ = follower.serving_dir;
  absl::StatusOr<mtls::PrivateKey> key = mtls::PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  auto stub = Stub();
  int issued = 0;
  const absl::Time retired_by = absl::Now() + absl::Seconds(30);
  while (CertificatesIn(ReadFile(follower.ca_dir + "/trusted-roots.pem")) != 1 &&
         absl::Now() < retired_by) {
    const std::string trusted = TestTempDir("trusted") + "/roots.pem";
    ASSERT_TRUE(WriteFileAtomically(trusted, ReadFile(follower.ca_dir + "/trusted-roots.pem")).ok());
    IstioCertificateResponse response;
    grpc::Status status = Create(*stub, Csr(*key), IssueToken("shop", "cart"), 0, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    CommandResult verified = OpensslVerify(WriteIdentity(*key, response), trusted);
    EXPECT_EQ(verified.exit.status, 0) << verified.out << verified.err;
    ++issued;
  }
  const std::string new_root = ReadFile(follower.ca_dir + "/root-cert.pem");
  ASSERT_EQ(CertificatesIn(ReadFile(follower.ca_dir + "/trusted-roots.pem")), 1);
  EXPECT_NE(new_root, old_root);
  EXPECT_EQ(ReadFile(follower.ca_dir + "/trusted-roots.pem"), new_root);
  EXPECT_THAT(follower.service->process().Log(), HasSubstr("leads /keel/v1/ca/leader"));
  EXPECT_TRUE(WaitForLog(follower.service->process(), "CA root rotation done by citadel@",
                         absl::Seconds(10)));
  EXPECT_GT(issued, 0);
  std::printf("rotation finished by the second leader; %d certificates issued meanwhile, all verified\n",
              issued);
  CommandResult nothing = citadel_cli({"rotate-root", "retire"});
  EXPECT_EQ(nothing.exit.status, 1);
  EXPECT_THAT(nothing.err, HasSubstr("no root rotation is under way"));
}

}  // namespace
}  // namespace keel::testing
