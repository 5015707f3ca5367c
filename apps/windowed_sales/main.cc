// brook-windowed-sales: the windowed-sales workload as a worker process.
#include <algorithm>
#include <iostream>
#include <map>
#include <mutex>

#include "apps/common/cli.h"
#include "apps/common/worker.h"
#include "apps/windowed_sales/windowed_sales.h"

namespace {

// The latest windows' top products, printed when they change (the Spark
// demo's console output).
class WindowsView {
 public:
  void update(const brook::demo::WindowedSalesRecord& r) {
    std::lock_guard<std::mutex> lock(mu_);
    windows_[r.window_start][r.product_id] = r;
    while (windows_.size() > 2) windows_.erase(windows_.begin());
    dirty_ = true;
  }
  void print_if_changed() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dirty_) return;
    dirty_ = false;
    std::string out;
    for (auto w = windows_.rbegin(); w != windows_.rend(); ++w) {
      std::vector<brook::demo::WindowedSalesRecord> rows;
      for (const auto& [id, r] : w->second) rows.push_back(r);
      std::sort(rows.begin(), rows.end(),
                [](const auto& a, const auto& b) { return a.sales.value > b.sales.value; });
      out += "\n window " + rows.front().window_start + " - " + rows.front().window_end + "\n";
      out += " product  transactions  quantities          sales\n";
      for (size_t i = 0; i < rows.size() && i < 5; ++i) {
        std::string sales;
        brook::json::write(rows[i].sales, sales);
        char line[128];
        std::snprintf(line, sizeof line, " %-7s  %12lld  %10lld  %13s\n",
                      rows[i].product_id.c_str(), static_cast<long long>(rows[i].transactions),
                      static_cast<long long>(rows[i].quantities), sales.c_str());
        out += line;
      }
    }
    std::cout << out << std::flush;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, brook::demo::WindowedSalesRecord>> windows_;
  bool dirty_ = false;
};

std::chrono::milliseconds minutes_flag(const brook::apps::Cli& cli, const char* name,
                                       std::chrono::milliseconds otherwise) {
  auto v = cli.get(name);
  if (!v) return otherwise;
  return std::chrono::milliseconds(
      static_cast<int64_t>(std::stod(*v) * 60000));  // throws on a bad number
}

}  // namespace

int main(int argc, char** argv) {
  brook::KafkaStreams::install_signal_handlers();
  brook::apps::Cli cli("brook-windowed-sales",
                       "Sales per product over hopping windows of event time, written to "
                       "demo.windowed.sales.");
  brook::apps::add_worker_flags(cli);
  cli.option("input-topic", "default demo.purchases")
      .option("output-topic", "default demo.windowed.sales")
      .option("window-size", "window size in minutes (default 10)")
      .option("advance", "a new window every this many minutes (default 5)")
      .option("grace",
              "late purchases still count this many minutes after a window's end "
              "(default 10)")
      .option("emit",
              "updates: every update of a window | final: one result per window once "
              "it closed (default updates)")
      .flag("print-windows", "print the top products of the latest windows to stdout");
  std::string error;
  if (!cli.parse(argc, argv, &error)) {
    std::cerr << "brook-windowed-sales: " << error << "\n\n" << cli.usage();
    return 2;
  }
  if (cli.has("help")) {
    std::cout << cli.usage();
    return 0;
  }
  brook::demo::WindowedSalesOptions o;
  o.input_topic = cli.get("input-topic").value_or(o.input_topic);
  o.output_topic = cli.get("output-topic").value_or(o.output_topic);
  try {
    o.window_size = minutes_flag(cli, "window-size", o.window_size);
    o.advance = minutes_flag(cli, "advance", o.advance);
    o.grace = minutes_flag(cli, "grace", o.grace);
  } catch (const std::exception&) {
    std::cerr << "brook-windowed-sales: --window-size, --advance and --grace take minutes\n";
    return 2;
  }
  std::string emit = cli.get("emit").value_or("updates");
  if (emit != "updates" && emit != "final") {
    std::cerr << "brook-windowed-sales: --emit takes updates or final, got '" << emit << "'\n";
    return 2;
  }
  o.final_only = emit == "final";
  WindowsView view;
  if (cli.has("print-windows")) o.observer = [&view](const auto& r) { view.update(r); };

  brook::apps::WorkerApp app{
      "brook-windowed-sales", "windowed-sales", {o.input_topic, o.output_topic}};
  brook::StreamsConfig config;
  if (!brook::apps::worker_config(app, cli, &config)) return 2;
  brook::Topology topology;
  try {
    topology = brook::demo::build_windowed_sales(o);
  } catch (const std::exception& e) {
    std::cerr << "brook-windowed-sales: " << e.what() << "\n";
    return 2;
  }
  std::function<void()> tick;
  if (o.observer) tick = [&view] { view.print_if_changed(); };
  return brook::apps::run_worker(app, cli, std::move(topology), std::move(config), tick);
}
