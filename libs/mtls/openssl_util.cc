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

Owned<BIO> MemoryBio(absl::string_view text) {
  return Owned<BIO>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace keel::mtls::internal
