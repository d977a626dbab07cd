#include "services/citadel/certificate_log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::citadel {
namespace {

using ::testing::HasSubstr;

std::string Json(const CertificateLog& log) {
  JsonWriter json;
  json.BeginObject();
  log.WriteJson(json);
  json.EndObject();
  return json.Take();
}

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

// Each identity shows its latest certificate and how often it renewed;
// the one expiring first comes first; events are newest first.
TEST(CertificateLogTest, KeepsEachIdentitysLatestCertificateAndTheEvents) {
  CertificateLog log;
  log.RecordIssued({.identity = "spiffe://cluster.local/ns/shop/sa/cart",
                    .serial = "AA",
                    .not_after = kStart + absl::Hours(24)},
                   kStart);
  log.RecordIssued({.identity = "spiffe://cluster.local/ns/shop/sa/web",
                    .serial = "BB",
                    .not_after = kStart + absl::Hours(30)},
                   kStart);
  log.RecordIssued({.identity = "spiffe://cluster.local/ns/shop/sa/cart",
                    .serial = "CC",
                    .not_after = kStart + absl::Hours(36),
                    .renewal = true},
                   kStart + absl::Hours(12));
  log.RecordCaEvent("CA reloaded: signing with DD, 2 trusted roots", kStart + absl::Hours(13));
  const std::string json = Json(log);
  EXPECT_THAT(json, HasSubstr("\"issued\":3"));
  // web (30 h) expires before cart's renewed certificate (36 h).
  const size_t web = json.find("sa/web\",\"serial\":\"BB\"");
  const size_t cart = json.find("sa/cart\",\"serial\":\"CC\"");
  ASSERT_NE(web, std::string::npos) << json;
  ASSERT_NE(cart, std::string::npos) << json;
  EXPECT_LT(web, cart);
  EXPECT_THAT(json, HasSubstr("\"serial\":\"CC\",\"notAfter\":\"2027-01-16T20:00:00+00:00\""));
  EXPECT_THAT(json, HasSubstr("\"lastIssued\":\"2027-01-15T20:00:00+00:00\",\"renewals\":1"));
  const size_t reload = json.find("\"kind\":\"ca\"");
  const size_t renewed = json.find("\"kind\":\"renewed\"");
  const size_t first = json.find("\"kind\":\"issued\"");
  ASSERT_NE(reload, std::string::npos);
  EXPECT_LT(reload, renewed);
  EXPECT_LT(renewed, first);
}

// A flood of identities or events cannot grow the log without bound.
TEST(CertificateLogTest, StaysWithinItsBounds) {
  CertificateLog log(/*max_events=*/5, /*max_identities=*/3);
  for (int i = 0; i < 10; ++i) {
    log.RecordIssued({.identity = "spiffe://cluster.local/ns/a/sa/s" + std::to_string(i),
                      .serial = "0" + std::to_string(i),
                      .not_after = kStart + absl::Hours(1)},
                     kStart + absl::Seconds(i));
  }
  const std::string json = Json(log);
  EXPECT_THAT(json, HasSubstr("\"issued\":10"));
  int identities = 0, events = 0;
  for (size_t at = json.find("\"identity\""); at != std::string::npos;
       at = json.find("\"identity\"", at + 1)) {
    ++identities;  // counts workloads' and events' identity keys
  }
  for (size_t at = json.find("\"kind\""); at != std::string::npos;
       at = json.find("\"kind\"", at + 1)) {
    ++events;
  }
  EXPECT_EQ(events, 5);
  EXPECT_EQ(identities - events, 3);
  // The three identities heard from last are the ones kept.
  const std::string workloads =
      json.substr(json.find("\"workloads\""), json.find("\"events\"") - json.find("\"workloads\""));
  EXPECT_THAT(workloads, HasSubstr("sa/s7"));
  EXPECT_THAT(workloads, HasSubstr("sa/s9"));
  EXPECT_THAT(workloads, ::testing::Not(HasSubstr("sa/s6")));
}

}  // namespace
}  // namespace keel::citadel
