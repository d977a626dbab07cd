// One validator per kind, with Istio's rules (istio/istio
// pkg/config/validation). Each collects every problem into FieldErrors with
// paths rooted at the resource ("spec.hosts[0]", "metadata.name").
#ifndef KEEL_LIBS_MESH_VALIDATION_VALIDATORS_H_
#define KEEL_LIBS_MESH_VALIDATION_VALIDATORS_H_

#include "libs/mesh/resource.h"
#include "libs/mesh/validation/field_errors.h"

namespace keel::mesh::validation {

void ValidateVirtualService(const Resource& resource, FieldErrors& errors);
void ValidateDestinationRule(const Resource& resource, FieldErrors& errors);
void ValidateGateway(const Resource& resource, FieldErrors& errors);
void ValidateServiceEntry(const Resource& resource, FieldErrors& errors);
void ValidateSidecar(const Resource& resource, FieldErrors& errors);
void ValidateEnvoyFilter(const Resource& resource, FieldErrors& errors);
void ValidateWorkloadEntry(const Resource& resource, FieldErrors& errors);
void ValidateAuthorizationPolicy(const Resource& resource, FieldErrors& errors);
void ValidatePeerAuthentication(const Resource& resource, FieldErrors& errors);
void ValidateRequestAuthentication(const Resource& resource, FieldErrors& errors);
void ValidateAuthenticationPolicy(const Resource& resource, FieldErrors& errors);
void ValidateMeshPolicy(const Resource& resource, FieldErrors& errors);
void ValidateServiceRole(const Resource& resource, FieldErrors& errors);
void ValidateServiceRoleBinding(const Resource& resource, FieldErrors& errors);
void ValidateRbacConfig(const Resource& resource, FieldErrors& errors);
void ValidateHandler(const Resource& resource, FieldErrors& errors);
void ValidateInstance(const Resource& resource, FieldErrors& errors);
void ValidateRule(const Resource& resource, FieldErrors& errors);
void ValidateAttributeManifest(const Resource& resource, FieldErrors& errors);
void ValidateQuotaSpec(const Resource& resource, FieldErrors& errors);
void ValidateQuotaSpecBinding(const Resource& resource, FieldErrors& errors);
void ValidateHttpApiSpec(const Resource& resource, FieldErrors& errors);
void ValidateHttpApiSpecBinding(const Resource& resource, FieldErrors& errors);
void ValidateAdapterInfo(const Resource& resource, FieldErrors& errors);

}  // namespace keel::mesh::validation

#endif  // KEEL_LIBS_MESH_VALIDATION_VALIDATORS_H_
