// The web console's static files (services/pilot/console/), compiled into
// Pilot so that nothing is read from disk or fetched at run time.
#ifndef KEEL_SERVICES_PILOT_CONSOLE_CONSOLE_ASSETS_H_
#define KEEL_SERVICES_PILOT_CONSOLE_CONSOLE_ASSETS_H_

namespace keel::pilot {

struct ConsoleAsset {
  const char* name;          // "index.html"
  const char* content_type;  // "text/html; charset=utf-8"
  const char* body;
};

extern const ConsoleAsset kConsoleAssets[];
extern const int kConsoleAssetCount;

}  // namespace keel::pilot

#endif  // KEEL_SERVICES_PILOT_CONSOLE_CONSOLE_ASSETS_H_
