#include "libs/common/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "libs/common/build_info.h"
#include "prometheus/gauge.h"
#include "prometheus/text_serializer.h"

namespace keel {
namespace {

prometheus::MetricFamily GaugeFamily(const std::string& name, const std::string& help,
                                     prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

// Fields of /proc/self/stat after the command name, which may hold spaces.
std::vector<std::string> ReadProcStatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  return absl::StrSplit(line.substr(close + 2), ' ', absl::SkipEmpty());
}

double ReadBootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

int CountOpenFds() {
  int count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (struct dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
    --count;  // the descriptor opendir itself holds
  }
  return count;
}

// Index into ReadProcStatFields(): field N of proc(5) is at N - 3.
constexpr size_t kUtime = 11, kStime = 12, kNumThreads = 17, kStartTime = 19, kVsize = 20,
                 kRss = 21;

}  // namespace

MetricsRegistry::MetricsRegistry(const std::string& component)
    : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::BuildGauge()
      .Name("keel_build_info")
      .Help("Always 1; labels give the component, version and git commit of this binary.")
      .Register(*registry_)
      .Add({{"component", component}, {"version", KeelVersion()}, {"commit", GitCommit()}})
      .Set(1);
  AddCollectable(std::make_shared<ProcessCollector>());
}

void MetricsRegistry::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  absl::MutexLock lock(&mu_);
  collectables_.push_back(std::move(collectable));
}

std::vector<prometheus::MetricFamily> MetricsRegistry::Collect() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  absl::MutexLock lock(&mu_);
  for (const auto& collectable : collectables_) {
    std::vector<prometheus::MetricFamily> more = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return families;
}

std::string MetricsRegistry::SerializeText() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, Collect());
  return out.str();
}

ProcessCollector::ProcessCollector() {
  std::vector<std::string> fields = ReadProcStatFields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  start_time_seconds_ = fields.size() > kStartTime
                            ? ReadBootTimeSeconds() + std::stod(fields[kStartTime]) / ticks
                            : 0;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  std::vector<std::string> fields = ReadProcStatFields();
  if (fields.size() <= kRss) return families;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
  families.push_back(GaugeFamily(
      "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
      MetricType::Counter, (std::stod(fields[kUtime]) + std::stod(fields[kStime])) / ticks));
  families.push_back(GaugeFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                                 MetricType::Gauge, std::stod(fields[kRss]) * page_size));
  families.push_back(GaugeFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                 MetricType::Gauge, std::stod(fields[kVsize])));
  families.push_back(GaugeFamily("process_threads", "Number of OS threads in the process.",
                                 MetricType::Gauge, std::stod(fields[kNumThreads])));
  families.push_back(GaugeFamily("process_open_fds", "Number of open file descriptors.",
                                 MetricType::Gauge, CountOpenFds()));
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    families.push_back(GaugeFamily("process_max_fds", "Maximum number of open file descriptors.",
                                   MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  families.push_back(GaugeFamily("process_start_time_seconds",
                                 "Start time of the process since unix epoch in seconds.",
                                 MetricType::Gauge, start_time_seconds_));
  return families;
}

}  // namespace keel
