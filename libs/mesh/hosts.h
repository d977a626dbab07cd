// Host names as Istio resolves them.
#ifndef KEEL_LIBS_MESH_HOSTS_H_
#define KEEL_LIBS_MESH_HOSTS_H_

#include <string>

namespace keel::mesh {

// ToFqdn expands a short host name in `ns` ("reviews" ->
// "reviews.default.svc.cluster.local"); names with a dot or a wildcard stay.
std::string ToFqdn(const std::string& ns, const std::string& host, const std::string& domain);

// HostsMatch reports whether two host names overlap, wildcards included
// ("*.example.com" matches "a.example.com"; "*" matches everything).
bool HostsMatch(const std::string& a, const std::string& b);

}  // namespace keel::mesh

#endif  // KEEL_LIBS_MESH_HOSTS_H_
