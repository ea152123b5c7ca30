// The exposition-format writer: label values and HELP escaped as the format
// wants (checked by a property test against an independent reader), sample
// values spelled as Prometheus parses them, and histograms with cumulative
// buckets, +Inf, _sum and _count.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <random>

#include "agent/metrics/exposition.hpp"
#include "agent/metrics/http_endpoint.hpp"

using namespace outpost::metrics;

namespace {

// Reads an escaped label value back the way Prometheus' text parser does:
// `\\`, `\"` and `\n` are the only escapes; any other backslash, a raw
// newline or a bare quote is malformed (nullopt).
std::optional<std::string> unescape(std::string_view escaped) {
    std::string out;
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        const char c = escaped[i];
        if (c == '\n' || c == '"') return std::nullopt;
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (++i == escaped.size()) return std::nullopt;
        switch (escaped[i]) {
            case '\\':
                out.push_back('\\');
                break;
            case '"':
                out.push_back('"');
                break;
            case 'n':
                out.push_back('\n');
                break;
            default:
                return std::nullopt;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("metrics: label values escape backslash, quote and newline only", "[metrics]") {
    CHECK(escape_label_value("plain") == "plain");
    CHECK(escape_label_value(R"(a\b)") == R"(a\\b)");
    CHECK(escape_label_value(R"(say "hi")") == R"(say \"hi\")");
    CHECK(escape_label_value("two\nlines") == R"(two\nlines)");
    CHECK(escape_label_value("tab\there, ümlaut") == "tab\there, ümlaut");
    CHECK(escape_help("a \"quote\" stays\\\n") == "a \"quote\" stays\\\\\\n");
}

TEST_CASE("metrics: any label value survives escaping and reading back", "[metrics]") {
    // Property: for random byte strings weighted towards the characters that
    // matter, unescape(escape(s)) == s and the escaped form is well formed.
    std::mt19937 random(20261207);
    const std::string alphabet = "\\\"\nn\r\t {}=,a\xc3\xbc";
    for (int round = 0; round < 20000; ++round) {
        std::string value;
        const std::size_t length = random() % 24;
        for (std::size_t i = 0; i < length; ++i) {
            value.push_back(random() % 4 == 0 ? static_cast<char>(random() % 256)
                                              : alphabet[random() % alphabet.size()]);
        }
        const std::string escaped = escape_label_value(value);
        const auto back = unescape(escaped);
        INFO("value of " << value.size() << " bytes, round " << round);
        REQUIRE(back.has_value());
        REQUIRE(*back == value);
    }
}

TEST_CASE("metrics: sample values are spelled as Prometheus parses them", "[metrics]") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(42) == "42");
    CHECK(format_value(-3) == "-3");
    CHECK(format_value(0.25) == "0.25");
    CHECK(format_value(1e21) == "1e+21");
    CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(format_value(std::nan("")) == "NaN");
    CHECK(std::stod(format_value(0.1 + 0.2)) == 0.1 + 0.2);  // round-trips exactly
}

TEST_CASE("metrics: a family is HELP, TYPE and its samples with escaped labels", "[metrics]") {
    ExpositionWriter w;
    w.family("outpost_things_total", MetricType::counter, "Things,\nby kind.");
    w.sample("outpost_things_total", {{"kind", "a\"b"}, {"zone", "x"}}, 3);
    w.sample("outpost_things_total", {}, 1);
    CHECK(w.text() ==
          "# HELP outpost_things_total Things,\\nby kind.\n"
          "# TYPE outpost_things_total counter\n"
          "outpost_things_total{kind=\"a\\\"b\",zone=\"x\"} 3\n"
          "outpost_things_total 1\n");
}

TEST_CASE("metrics: histograms have cumulative buckets, +Inf, _sum and _count", "[metrics]") {
    Histogram h({0.25, 1, 10});
    // Values exact in binary, so the sum's text is exact too.
    for (double v : {0.125, 0.25, 0.5, 1.0, 2.0, 50.0}) h.observe(v);
    // A bucket's bound is included (le): 0.25 falls in le="0.25".
    CHECK(h.counts() == std::vector<std::uint64_t>{2, 2, 1, 1});
    CHECK(h.count() == 6);
    CHECK(h.sum() == 53.875);

    ExpositionWriter w;
    w.family("outpost_wait_seconds", MetricType::histogram, "Waits.");
    w.histogram("outpost_wait_seconds", {{"queue", "q\\1"}}, h);
    CHECK(w.text() ==
          "# HELP outpost_wait_seconds Waits.\n"
          "# TYPE outpost_wait_seconds histogram\n"
          "outpost_wait_seconds_bucket{queue=\"q\\\\1\",le=\"0.25\"} 2\n"
          "outpost_wait_seconds_bucket{queue=\"q\\\\1\",le=\"1\"} 4\n"
          "outpost_wait_seconds_bucket{queue=\"q\\\\1\",le=\"10\"} 5\n"
          "outpost_wait_seconds_bucket{queue=\"q\\\\1\",le=\"+Inf\"} 6\n"
          "outpost_wait_seconds_sum{queue=\"q\\\\1\"} 53.875\n"
          "outpost_wait_seconds_count{queue=\"q\\\\1\"} 6\n");

    // Empty: every bucket 0, +Inf included.
    Histogram empty(latency_buckets());
    ExpositionWriter e;
    e.histogram("x_seconds", {}, empty);
    CHECK_THAT(e.text(), Catch::Contains("x_seconds_bucket{le=\"+Inf\"} 0\n"));
    CHECK_THAT(e.text(), Catch::EndsWith("x_seconds_sum 0\nx_seconds_count 0\n"));
}

TEST_CASE("metrics endpoint: GET /metrics answers, anything else is refused", "[metrics]") {
    const auto render = [] { return std::string("a 1\n"); };
    const std::string ok = http_response("GET /metrics HTTP/1.1\r\nHost: x\r\n", render);
    CHECK_THAT(ok, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
    CHECK_THAT(ok, Catch::Contains("Content-Type: text/plain; version=0.0.4"));
    CHECK_THAT(ok, Catch::Contains("Content-Length: 4\r\n"));
    CHECK_THAT(ok, Catch::EndsWith("\r\n\r\na 1\n"));
    CHECK_THAT(http_response("HEAD /metrics HTTP/1.0\r\n", render), Catch::EndsWith("\r\n\r\n"));
    CHECK_THAT(http_response("GET / HTTP/1.1\r\n", render), Catch::StartsWith("HTTP/1.1 404"));
    CHECK_THAT(http_response("POST /metrics HTTP/1.1\r\n", render),
               Catch::StartsWith("HTTP/1.1 405"));
    for (const char* junk : {"", "GET", "GET /metrics", "\x16\x03\x01\x02", "GET /metrics SMTP\r\n",
                             "hello world\r\n"}) {
        INFO(junk);
        CHECK_THAT(http_response(junk, render), Catch::StartsWith("HTTP/1.1 400"));
    }
}
