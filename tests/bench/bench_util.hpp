#pragma once
// Small helpers shared by the benchmark programs: a clock, percentiles and
// a JSON line writer. Header-only; the programs link nothing of the agent.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::bench {

using Clock = std::chrono::steady_clock;

inline double micros(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

struct Summary {
    double p50 = 0, p90 = 0, p99 = 0, mean = 0, min = 0, max = 0;
};

// Nearest-rank percentiles (same definition as the hub's bench events).
inline Summary summarize(std::vector<double> v) {
    Summary s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto rank = [&](double p) {
        auto i = static_cast<size_t>(p * static_cast<double>(v.size()) + 0.999999);
        return v[std::clamp<size_t>(i, 1, v.size()) - 1];
    };
    s.p50 = rank(0.50);
    s.p90 = rank(0.90);
    s.p99 = rank(0.99);
    s.min = v.front();
    s.max = v.back();
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    return s;
}

// Builds one flat JSON object (keys are trusted identifiers).
class JsonLine {
  public:
    JsonLine& num(std::string_view k, double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.3f", v);
        return raw(k, buf);
    }
    JsonLine& integer(std::string_view k, long long v) { return raw(k, std::to_string(v)); }
    JsonLine& str(std::string_view k, std::string_view v) {
        std::string q = "\"";
        for (char c : v) {
            if (c == '"' || c == '\\') q += '\\';
            if (static_cast<unsigned char>(c) >= 0x20) q += c;
        }
        q += '"';
        return raw(k, q);
    }
    JsonLine& summary(std::string_view prefix, const Summary& s, std::string_view unit) {
        const std::string p = std::string(prefix);
        const std::string u = "_" + std::string(unit);
        num(p + "p50" + u, s.p50);
        num(p + "p90" + u, s.p90);
        num(p + "p99" + u, s.p99);
        num(p + "mean" + u, s.mean);
        num(p + "min" + u, s.min);
        return num(p + "max" + u, s.max);
    }
    JsonLine& raw(std::string_view k, std::string_view json) {
        buf_ += buf_.size() > 1 ? "," : "";
        buf_ += "\"";
        buf_ += k;
        buf_ += "\":";
        buf_ += json;
        return *this;
    }
    void print() const {
        std::string line = buf_ + "}\n";
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fflush(stdout);
    }

  private:
    std::string buf_ = "{";
};

[[noreturn]] inline void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

// `--name value` from argv, or `fallback`.
inline std::string arg(int argc, char** argv, std::string_view name, std::string fallback = {}) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (name == argv[i]) return argv[i + 1];
    }
    return fallback;
}

inline long arg_int(int argc, char** argv, std::string_view name, long fallback) {
    const std::string v = arg(argc, argv, name);
    return v.empty() ? fallback : std::strtol(v.c_str(), nullptr, 10);
}

}  // namespace outpost::bench
