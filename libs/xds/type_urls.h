// The type URLs of the Envoy v3 resources Keel serves, defined once.
#ifndef KEEL_LIBS_XDS_TYPE_URLS_H_
#define KEEL_LIBS_XDS_TYPE_URLS_H_

namespace keel::xds {

inline constexpr char kListenerType[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
inline constexpr char kRouteType[] = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
inline constexpr char kClusterType[] = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
inline constexpr char kEndpointType[] =
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

// Each type with its xDS short name ("LDS") and the plural istioctl uses
// for it ("listeners").
struct EnvoyType {
  const char* type_url;
  const char* short_name;
  const char* plural;
};
inline constexpr EnvoyType kEnvoyTypes[] = {
    {kClusterType, "CDS", "clusters"},
    {kListenerType, "LDS", "listeners"},
    {kEndpointType, "EDS", "endpoints"},
    {kRouteType, "RDS", "routes"},
};

}  // namespace keel::xds

#endif  // KEEL_LIBS_XDS_TYPE_URLS_H_
