// The `metrics` section: all optional, textfile an absolute path, the
// interval in range, and `listen` refusing every address that is not
// loopback (the endpoint has neither TLS nor authentication).
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace outpost::config;
using namespace outpost::config::test;
using namespace std::chrono_literals;

TEST_CASE("metrics: absent means no textfile, no listener, 15 s interval", "[config][metrics]") {
    auto result = load(kMinimal);
    REQUIRE(result);
    CHECK_FALSE(result->metrics.textfile);
    CHECK_FALSE(result->metrics.listen);
    CHECK(result->metrics.textfile_interval == 15s);
}

TEST_CASE("metrics.textfile is an absolute path, its interval 1 s to 1 h", "[config][metrics]") {
    auto ok = load_with(
        "metrics:\n  textfile: /var/lib/node-exporter/outpost.prom\n"
        "  textfile_interval: 30s\n");
    REQUIRE(ok);
    CHECK(ok->metrics.textfile == "/var/lib/node-exporter/outpost.prom");
    CHECK(ok->metrics.textfile_interval == 30s);
    CHECK(has_issue(issues_of(load_with("metrics:\n  textfile: outpost.prom\n")),
                    "metrics.textfile"));
    CHECK(has_issue(issues_of(load_with("metrics:\n  textfile_interval: 100ms\n")),
                    "metrics.textfile_interval"));
}

TEST_CASE("metrics.listen takes loopback addresses only", "[config][metrics]") {
    for (const char* good : {"127.0.0.1:9464", "[::1]:9464", "127.0.0.1:1", "[::1]:65535"}) {
        INFO(good);
        auto result = load_with(std::string("metrics:\n  listen: \"") + good + "\"\n");
        REQUIRE(result);
        CHECK(result->metrics.listen == good);
    }
    for (const char* bad : {"0.0.0.0:9464", "192.168.1.10:9464", "localhost:9464", "[::]:9464",
                            "127.0.0.2:9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
                            "127.0.0.1:65536", "127.0.0.1:94x", "[::1]:-1", ":9464"}) {
        INFO(bad);
        const auto issues =
            issues_of(load_with(std::string("metrics:\n  listen: \"") + bad + "\"\n"));
        CHECK(has_issue(issues, "metrics.listen"));
    }
    CHECK(has_issue(issues_of(load_with("metrics:\n  listen: \"0.0.0.0:9464\"\n")),
                    "metrics.listen", "loopback"));
}
