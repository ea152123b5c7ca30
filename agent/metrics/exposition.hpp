#pragma once
// A writer of the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): one
// `# HELP` and `# TYPE` line per family, then its samples, label values and
// help text escaped as the format requires. It holds no registry: the agent's
// metrics are made fresh from its state each time they are asked for
// (agent_metrics.hpp), so there is nothing to keep in step.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { counter, gauge, histogram };

struct Label {
    std::string_view name;   // [a-zA-Z_][a-zA-Z0-9_]*, a literal of the code
    std::string_view value;  // anything: escaped
};

// Cumulative buckets over fixed upper bounds, plus _sum and _count. Cheap to
// update (no allocation after construction): the hot paths observe into it.
class Histogram {
  public:
    // `bounds` ascending; +Inf is implied.
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);

    [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
    // Non-cumulative: counts_[i] observations <= bounds_[i] and > bounds_[i-1];
    // the last one (size bounds+1) is for +Inf.
    [[nodiscard]] const std::vector<std::uint64_t>& counts() const { return counts_; }
    [[nodiscard]] double sum() const { return sum_; }
    [[nodiscard]] std::uint64_t count() const { return count_; }

  private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_;
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

// Seconds buckets from 100 µs to 10 s, for latencies.
[[nodiscard]] std::vector<double> latency_buckets();

class ExpositionWriter {
  public:
    // Starts a family: HELP (escaped) and TYPE. Every sample after it until
    // the next family() must belong to it (the format wants a family's
    // samples together).
    void family(std::string_view name, MetricType type, std::string_view help);
    void sample(std::string_view name, std::initializer_list<Label> labels, double value);
    void sample(std::string_view name, const std::vector<Label>& labels, double value);
    // name_bucket{le=...}, name_sum, name_count for one label set.
    void histogram(std::string_view name, const std::vector<Label>& labels, const Histogram& h);

    [[nodiscard]] const std::string& text() const { return out_; }
    [[nodiscard]] std::string take() { return std::move(out_); }

  private:
    void line(std::string_view name, const std::vector<Label>& labels, std::string_view value);
    std::string out_;
};

// A label value as the format wants it inside its double quotes: `\` → `\\`,
// `"` → `\"`, newline → `\n`. Nothing else changes (UTF-8 is allowed).
[[nodiscard]] std::string escape_label_value(std::string_view value);
// HELP text: `\` → `\\`, newline → `\n` (quotes stay).
[[nodiscard]] std::string escape_help(std::string_view help);
// A sample value: integers without a fraction, others shortest round-trip,
// NaN and ±Inf as the format spells them.
[[nodiscard]] std::string format_value(double value);

}  // namespace outpost::metrics
