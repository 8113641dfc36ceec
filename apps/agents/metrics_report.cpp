#include "metrics_report.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>
#include <sstream>

namespace agents::cli::metrics {

namespace {

// A metric summed per period; periods with no datapoint count as zero (DynamoDB publishes these
// metrics only for minutes with traffic).
struct SumMetric {
  const char* key;          ///< in --json
  const char* label;        ///< in the text
  const char* metric_name;  ///< CloudWatch's
  const char* id;           ///< the query id
};
constexpr SumMetric kSums[] = {
    {"read_units", "read units", "ConsumedReadCapacityUnits", "rcu"},
    {"write_units", "write units", "ConsumedWriteCapacityUnits", "wcu"},
    {"throttled_reads", "throttled reads", "ReadThrottleEvents", "rthrottle"},
    {"throttled_writes", "throttled writes", "WriteThrottleEvents", "wthrottle"},
};

std::string utc(std::int64_t epoch, const char* format) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, format, &tm);
  return buffer;
}
std::string iso(std::int64_t epoch) { return utc(epoch, "%Y-%m-%dT%H:%M:%SZ"); }

// 12345.5 -> "12,345.5" with `decimals` digits after the point.
std::string number(double value, int decimals) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << std::abs(value);
  std::string text = out.str();
  auto point = text.find('.');
  for (auto i = (point == std::string::npos ? text.size() : point); i > 3; i -= 3) text.insert(i - 3, ",");
  return (value < 0 ? "-" : "") + text;
}

std::string duration_text(std::int64_t seconds) {
  if (seconds % 86400 == 0 && seconds > 86400) return std::to_string(seconds / 86400) + "d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

// Values per period (nullopt: no datapoint) from a series; `combine` merges two in one period.
template <typename Combine>
std::vector<std::optional<double>> per_period(const Window& window, const cloudwatch::MetricSeries* series,
                                              Combine combine) {
  std::vector<std::optional<double>> out(static_cast<std::size_t>(window.periods));
  if (series == nullptr) return out;
  for (std::size_t i = 0; i < series->values.size(); ++i) {
    std::int64_t offset = series->timestamps[i] - window.start;
    if (offset < 0 || offset >= window.end() - window.start) continue;
    auto& slot = out[static_cast<std::size_t>(offset / window.period)];
    slot = slot ? combine(*slot, series->values[i]) : series->values[i];
  }
  return out;
}

// One column per period: blank for none (or zero), ▁..█ scaled to the largest period.
std::string sparkline(const std::vector<std::optional<double>>& values) {
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  double max = 0;
  for (const auto& v : values) max = std::max(max, v.value_or(0));
  std::string line;
  for (const auto& v : values) {
    if (!v || *v <= 0 || max <= 0) {
      line += " ";
      continue;
    }
    int level = static_cast<int>(std::ceil(*v / max * 8.0)) - 1;
    line += kBlocks[std::clamp(level, 0, 7)];
  }
  return line;
}

// The sparkline cut into rows of `width` columns, continued under the first.
std::string chart_rows(const std::string& label, const std::vector<std::optional<double>>& values,
                       const std::string& suffix) {
  constexpr std::size_t kWidth = 60;
  std::string out;
  for (std::size_t first = 0; first < values.size() || first == 0; first += kWidth) {
    std::vector<std::optional<double>> part(
        values.begin() + static_cast<long>(first),
        values.begin() + static_cast<long>(std::min(values.size(), first + kWidth)));
    std::string name = first == 0 ? label : "";
    name.resize(20, ' ');
    out += "  " + name + "|" + sparkline(part) + "|";
    if (first == 0) out += "  " + suffix;
    out += "\n";
    if (values.empty()) break;
  }
  return out;
}

const cloudwatch::MetricSeries* find(const std::vector<cloudwatch::MetricSeries>& series,
                                     const std::string& id) {
  for (const auto& s : series) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace

const OnDemandPrices& on_demand_prices() {
  // AWS's 50% cut of on-demand throughput prices took effect on 1 November 2024; these are the
  // figures docs/benchmarks.md and bench/checkpoint_bench.cpp use too.
  static const OnDemandPrices kPrices{"us-east-1",  "standard",
                                      0.125,        0.625,
                                      "2024-11-01", "https://aws.amazon.com/dynamodb/pricing/on-demand/"};
  return kPrices;
}

std::vector<cloudwatch::MetricQuery> queries_for(const TableInfo& table) {
  std::vector<cloudwatch::MetricQuery> queries;
  for (const SumMetric& m : kSums) {
    queries.push_back({.id = m.id, .metric_name = m.metric_name, .dimensions = {{"TableName", table.table}}});
  }
  for (std::size_t i = 0; i < table.replicas.size(); ++i) {
    // Reported by the source table's Region, per receiving Region (docs/global-tables.md).
    std::vector<std::pair<std::string, std::string>> dimensions{{"TableName", table.table},
                                                                {"ReceivingRegion", table.replicas[i]}};
    queries.push_back({.id = "replavg" + std::to_string(i),
                       .metric_name = "ReplicationLatency",
                       .dimensions = dimensions,
                       .stat = "Average"});
    queries.push_back({.id = "replmax" + std::to_string(i),
                       .metric_name = "ReplicationLatency",
                       .dimensions = dimensions,
                       .stat = "Maximum"});
  }
  return queries;
}

Report build_report(const TableInfo& table, const Window& window, const std::string& endpoint,
                    const std::vector<cloudwatch::MetricSeries>& series) {
  Report report;
  for (const auto& s : series) report.datapoints += s.values.size();
  const OnDemandPrices& prices = on_demand_prices();
  auto add = [](double a, double b) { return a + b; };

  nlohmann::json periods = nlohmann::json::array();
  for (int k = 0; k < window.periods; ++k)
    periods.push_back(iso(window.start + static_cast<std::int64_t>(k) * window.period));
  nlohmann::json& j = report.json;
  j = {{"table", table.table},
       {"region", table.region},
       {"billing_mode", table.billing_mode},
       {"cloudwatch_endpoint", endpoint},
       {"start", iso(window.start)},
       {"end", iso(window.end())},
       {"period_seconds", window.period},
       {"periods", periods},
       {"datapoints", report.datapoints}};

  std::ostringstream text, chart;
  const std::string period_text = duration_text(window.period);
  text << "table " << table.table << " in " << table.region << ", " << utc(window.start, "%Y-%m-%d %H:%M")
       << " to " << utc(window.end(), "%Y-%m-%d %H:%M") << " UTC ("
       << duration_text(window.end() - window.start) << " in " << period_text << " periods)\n\n";
  text << "                            total   cost (USD)\n";
  chart << "per " << period_text << " period, oldest first (blank: none; █: the largest period)\n";

  double sums[4] = {0, 0, 0, 0};
  for (std::size_t m = 0; m < std::size(kSums); ++m) {
    auto values = per_period(window, find(series, kSums[m].id), add);
    nlohmann::json per = nlohmann::json::array();
    double max = 0;
    for (const auto& v : values) {
      sums[m] += v.value_or(0);
      max = std::max(max, v.value_or(0));
      per.push_back(v.value_or(0));
    }
    const bool units = m < 2;
    j["metrics"][kSums[m].key] = {{"metric", kSums[m].metric_name}, {"sum", sums[m]}, {"per_period", per}};
    std::string label = kSums[m].label;
    label.resize(20, ' ');
    std::string total = number(sums[m], units ? 1 : 0);
    text << "  " << label << std::string(total.size() < 12 ? 12 - total.size() : 0, ' ') << total;
    if (units) {
      double price = m == 0 ? prices.usd_per_million_read_units : prices.usd_per_million_write_units;
      text << "   " << number(sums[m] * price / 1e6, 6);
    }
    text << "\n";
    chart << chart_rows(kSums[m].label, values, "max " + number(max, units ? 1 : 0));
  }
  const double read_cost = sums[0] * prices.usd_per_million_read_units / 1e6;
  const double write_cost = sums[1] * prices.usd_per_million_write_units / 1e6;
  text << "  total                                " << number(read_cost + write_cost, 6) << "\n";
  j["cost"] = {{"currency", "USD"},
               {"read", read_cost},
               {"write", write_cost},
               {"total", read_cost + write_cost},
               {"prices",
                {{"region", prices.region},
                 {"table_class", prices.table_class},
                 {"usd_per_million_read_request_units", prices.usd_per_million_read_units},
                 {"usd_per_million_write_request_units", prices.usd_per_million_write_units},
                 {"in_force_since", prices.in_force_since},
                 {"source", prices.source}}}};

  j["replication_latency"] = nlohmann::json::array();
  for (std::size_t i = 0; i < table.replicas.size(); ++i) {
    auto averages = per_period(window, find(series, "replavg" + std::to_string(i)),
                               [](double a, double b) { return (a + b) / 2; });
    auto maxima = per_period(window, find(series, "replmax" + std::to_string(i)),
                             [](double a, double b) { return std::max(a, b); });
    std::optional<double> average, maximum;
    double total = 0;
    int count = 0;
    nlohmann::json per = nlohmann::json::array();
    for (std::size_t k = 0; k < averages.size(); ++k) {
      per.push_back(optional_json(averages[k]));
      if (averages[k]) total += *averages[k], ++count;
      if (maxima[k]) maximum = std::max(maximum.value_or(0), *maxima[k]);
    }
    if (count > 0) average = total / count;
    j["replication_latency"].push_back({{"region", table.replicas[i]},
                                        {"average_ms", optional_json(average)},
                                        {"maximum_ms", optional_json(maximum)},
                                        {"per_period_average_ms", per}});
    std::string summary =
        average ? "avg " + number(*average, 1) + " ms, max " + number(maximum.value_or(0), 1) + " ms"
                : "no datapoints";
    text << "  replication latency to " << table.replicas[i] << ": " << summary << "\n";
    chart << chart_rows("latency " + table.replicas[i], averages, "avg ms per period");
  }

  nlohmann::json notes = nlohmann::json::array();
  if (report.datapoints == 0) {
    notes.push_back(
        "no datapoints: CloudWatch has no metrics for table " + table.table + " in " + table.region +
        " in this window (no traffic then, or the table lives in another Region or account: check "
        "--region and the credentials)");
  }
  for (const auto& s : series) {
    if (!s.status_code.empty() && s.status_code != "Complete")
      notes.push_back("CloudWatch returned " + s.status_code + " for " + (s.label.empty() ? s.id : s.label));
  }
  if (table.region != prices.region) {
    notes.push_back("the cost uses " + prices.region + " prices; " + table.region +
                    "'s may differ (see the pricing page)");
  }
  if (!table.billing_mode.empty() && table.billing_mode != "PAY_PER_REQUEST") {
    notes.push_back("table " + table.table + " uses " + table.billing_mode +
                    " billing: the cost above is what these units would cost on demand, not the hourly "
                    "provisioned capacity it pays for");
  }
  j["notes"] = notes;

  text << "\n" << chart.str() << "\n";
  text << "cost: on-demand prices of " << prices.region << " (" << prices.table_class
       << " table class, in force since " << prices.in_force_since << "): $"
       << prices.usd_per_million_read_units << " per million read units, $"
       << prices.usd_per_million_write_units << " per million write units; " << prices.source
       << " (docs/metrics.md)\n";
  for (const auto& note : notes) text << "note: " << note.get<std::string>() << "\n";
  report.text = text.str();
  return report;
}

}  // namespace agents::cli::metrics
