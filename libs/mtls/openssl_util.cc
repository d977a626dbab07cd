#include "libs/mtls/openssl_util.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace keel::mtls::internal {

absl::Status Error(absl::StatusCode code, absl::string_view what) {
  std::string reasons;
  while (unsigned long error = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(error);
    absl::StrAppend(&reasons, reasons.empty() ? "" : "; ",
                    reason != nullptr ? reason : absl::StrCat("error ", error));
  }
  return absl::Status(code, reasons.empty() ? std::string(what) : absl::StrCat(what, ": ", reasons));
}

absl::Status CopyPublicKeyInfo(const X509_PUBKEY* from, X509_PUBKEY* to) {
  ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* bits = nullptr;
  int length = 0;
  X509_ALGOR* algor = nullptr;
  if (X509_PUBKEY_get0_param(&algorithm, &bits, &length, &algor, from) != 1 || algor == nullptr) {
    return Error(absl::StatusCode::kInvalidArgument, "reading a public key");
  }
  const ASN1_OBJECT* parameter_object = nullptr;
  int parameter_type = V_ASN1_UNDEF;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&parameter_object, &parameter_type, &parameter, algor);
  void* parameter_copy = nullptr;
  if (parameter_type == V_ASN1_OBJECT) {
    parameter_copy = OBJ_dup(static_cast<const ASN1_OBJECT*>(parameter));
  } else if (parameter_type == V_ASN1_SEQUENCE) {
    parameter_copy = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(parameter));
  } else if (parameter_type != V_ASN1_NULL && parameter_type != V_ASN1_UNDEF) {
    return absl::InvalidArgumentError("unsupported public key parameters");
  }
  unsigned char* bits_copy = static_cast<unsigned char*>(OPENSSL_memdup(bits, length));
  if (X509_PUBKEY_set0_param(to, OBJ_dup(algorithm), parameter_type, parameter_copy, bits_copy,
                             length) != 1) {
    OPENSSL_free(bits_copy);
    return Error(absl::StatusCode::kInternal, "copying a public key");
  }
  return absl::OkStatus();
}

Owned<BIO> MemoryBio(absl::string_view text) {
  return Owned<BIO>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace keel::mtls::internal
