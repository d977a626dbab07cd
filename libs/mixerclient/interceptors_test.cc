#include "libs/mixerclient/interceptors.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::mixerclient {
namespace {

using mixer::AttributeBag;

struct NoProperties : grpc::AuthPropertyIterator {
  NoProperties() = default;
};

// An mTLS peer's auth context, as gRPC's TLS credentials fill it in.
class PeerContext final : public grpc::AuthContext {
 public:
  explicit PeerContext(std::vector<std::string> sans) : sans_(std::move(sans)) {}
  bool IsPeerAuthenticated() const override { return !sans_.empty(); }
  std::vector<grpc::string_ref> GetPeerIdentity() const override { return {}; }
  std::string GetPeerIdentityPropertyName() const override { return ""; }
  std::vector<grpc::string_ref> FindPropertyValues(const std::string& name) const override {
    std::vector<grpc::string_ref> out;
    if (name == "x509_subject_alternative_name") {
      for (const std::string& san : sans_) out.emplace_back(san);
    }
    return out;
  }
  grpc::AuthPropertyIterator begin() const override { return NoProperties(); }
  grpc::AuthPropertyIterator end() const override { return NoProperties(); }
  void AddProperty(const std::string&, const grpc::string_ref&) override {}
  bool SetPeerIdentityPropertyName(const std::string&) override { return false; }

 private:
  std::vector<std::string> sans_;
};

const WorkloadInfo kSelf = {.name = "echo-v1",
                            .namespace_name = "default",
                            .service_host = "echo.default.svc.cluster.local",
                            .labels = {{"app", "echo"}}};

// Identity comes from the certificate; headers that claim one (Istio's
// x-istio-attributes, a spoofed source header) neither set it nor reach rules.
TEST(InboundAttributesTest, IdentityComesFromTheCertificateNeverFromHeaders) {
  const std::string forged = "forged";
  const std::string user = "john";
  const std::multimap<grpc::string_ref, grpc::string_ref> metadata = {
      {"x-istio-attributes", forged}, {"source.principal", forged}, {"x-user", user}};
  AttributeBag plaintext =
      InboundAttributes(kSelf, "/keel.testing.Echo/Echo", "ipv4:10.1.2.3:5000", nullptr, metadata);
  EXPECT_EQ(plaintext.count("source.principal"), 0u);
  EXPECT_EQ(std::get<bool>(plaintext.at("connection.mtls")), false);
  const auto& headers = std::get<mixer::StringMap>(plaintext.at("request.headers"));
  EXPECT_EQ(headers.count("x-istio-attributes"), 0u);
  EXPECT_EQ(headers.at("x-user"), "john");
  EXPECT_EQ(std::get<mixer::Bytes>(plaintext.at("source.ip")).data, std::string("\x0a\x01\x02\x03", 4));
  EXPECT_EQ(std::get<std::string>(plaintext.at("destination.service.host")),
            "echo.default.svc.cluster.local");
  EXPECT_EQ(std::get<std::string>(plaintext.at("request.path")), "/keel.testing.Echo/Echo");

  PeerContext peer({"spiffe://cluster.local/ns/shop/sa/cart"});
  AttributeBag mtls =
      InboundAttributes(kSelf, "/keel.testing.Echo/Echo", "ipv6:[::1]:5000", &peer, metadata);
  EXPECT_EQ(std::get<std::string>(mtls.at("source.principal")), "cluster.local/ns/shop/sa/cart");
  EXPECT_EQ(std::get<std::string>(mtls.at("source.namespace")), "shop");
  EXPECT_EQ(std::get<bool>(mtls.at("connection.mtls")), true);
  EXPECT_EQ(std::get<mixer::Bytes>(mtls.at("source.ip")).data.size(), 16u);
}

TEST(ResponseAttributesTest, GrpcStatusMapsToIstiosHttpCode) {
  AttributeBag bag;
  const absl::Time start = absl::FromUnixSeconds(100);
  AddResponseAttributes(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no"), 7, 9, start,
                        start + absl::Milliseconds(3), bag);
  EXPECT_EQ(std::get<int64_t>(bag.at("response.code")), 403);
  EXPECT_EQ(std::get<std::string>(bag.at("response.grpc_status")), "7");
  EXPECT_EQ(std::get<std::string>(bag.at("response.grpc_message")), "no");
  EXPECT_EQ(std::get<absl::Duration>(bag.at("response.duration")), absl::Milliseconds(3));
  EXPECT_EQ(std::get<int64_t>(bag.at("request.size")), 7);
  AddResponseAttributes(grpc::Status(grpc::StatusCode::UNAVAILABLE, ""), 0, 0, start, start, bag);
  EXPECT_EQ(std::get<int64_t>(bag.at("response.code")), 503);
}

TEST(TcpAttributesTest, ConnectionsCarryIstiosTcpAttributes) {
  AttributeBag bag = TcpConnectionAttributes(kSelf, "10.1.2.3", 6379,
                                             "spiffe://cluster.local/ns/shop/sa/cart");
  EXPECT_EQ(std::get<std::string>(bag.at("context.protocol")), "tcp");
  EXPECT_EQ(std::get<int64_t>(bag.at("destination.port")), 6379);
  EXPECT_EQ(std::get<mixer::Bytes>(bag.at("source.ip")).data, std::string("\x0a\x01\x02\x03", 4));
  EXPECT_EQ(std::get<std::string>(bag.at("source.principal")), "cluster.local/ns/shop/sa/cart");
  EXPECT_TRUE(std::get<bool>(bag.at("connection.mtls")));
  AddTcpCloseAttributes(5, 7, absl::Seconds(2), bag);
  EXPECT_EQ(std::get<std::string>(bag.at("connection.event")), "close");
  EXPECT_EQ(std::get<int64_t>(bag.at("connection.received.bytes")), 5);
  EXPECT_EQ(std::get<int64_t>(bag.at("connection.sent.bytes")), 7);
  AttributeBag plaintext = TcpConnectionAttributes(kSelf, "::1", 80, "");
  EXPECT_FALSE(std::get<bool>(plaintext.at("connection.mtls")));
  EXPECT_EQ(plaintext.count("source.principal"), 0u);
  EXPECT_EQ(std::get<mixer::Bytes>(plaintext.at("source.ip")).data.size(), 16u);
}

}  // namespace
}  // namespace keel::mixerclient
