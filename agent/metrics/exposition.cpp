#include "agent/metrics/exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace outpost::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
    // upper_bound's "first bound > value" is wrong for value == bound: a
    // bucket's `le` includes its bound.
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ += value;
    ++count_;
}

std::vector<double> latency_buckets() {
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
            0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[32];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    if (error != std::errc{}) return "NaN";  // cannot happen with 32 bytes
    return std::string(buffer, end);
}

void ExpositionWriter::family(std::string_view name, MetricType type, std::string_view help) {
    std::string_view type_name = type == MetricType::counter ? "counter"
                                 : type == MetricType::gauge ? "gauge"
                                                             : "histogram";
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += escape_help(help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type_name;
    out_ += '\n';
}

void ExpositionWriter::line(std::string_view name, const std::vector<Label>& labels,
                            std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
        out_ += '{';
        bool first = true;
        for (const Label& label : labels) {
            if (!first) out_ += ',';
            first = false;
            out_ += label.name;
            out_ += "=\"";
            out_ += escape_label_value(label.value);
            out_ += '"';
        }
        out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
}

void ExpositionWriter::sample(std::string_view name, std::initializer_list<Label> labels,
                              double value) {
    line(name, std::vector<Label>(labels), format_value(value));
}

void ExpositionWriter::sample(std::string_view name, const std::vector<Label>& labels,
                              double value) {
    line(name, labels, format_value(value));
}

void ExpositionWriter::histogram(std::string_view name, const std::vector<Label>& labels,
                                 const Histogram& h) {
    const std::string bucket = std::string(name) + "_bucket";
    std::vector<Label> with_le = labels;
    with_le.push_back({"le", ""});
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
        cumulative += h.counts()[i];
        const std::string le = i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf";
        with_le.back().value = le;
        line(bucket, with_le, std::to_string(cumulative));
    }
    line(std::string(name) + "_sum", labels, format_value(h.sum()));
    line(std::string(name) + "_count", labels, std::to_string(h.count()));
}

}  // namespace outpost::metrics
