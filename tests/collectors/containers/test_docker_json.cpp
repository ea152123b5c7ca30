// The Docker API's JSON as podman 4.3 answers it (saved by hand from a
// private podman service: a running container `web`, `stopped` which exited,
// `created` never started, and `flappy` which exited 3 times under
// --restart=on-failure:3), read offline with the values expected.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "collectors/containers/docker_json.hpp"
#include "collectors/containers/http_response.hpp"
#include "testdata.hpp"

using namespace outpost::collectors::containers;

using outpost::collectors::containers::test::testdata;

TEST_CASE("the saved container list gives names without the slash, images and states") {
    auto parsed = parse_container_list(testdata("list.json"));
    REQUIRE(parsed.has_value());
    CHECK(parsed->left_out.empty());
    const auto& list = parsed->containers;
    REQUIRE(list.size() == 4);
    CHECK(list[0].name == "web");
    CHECK(list[0].state == "running");
    CHECK(list[0].image == "localhost/bb:1");
    CHECK(list[0].id == "15e619fdcea4e78790076ce18be365bee4343cb5935105177b60c5813188853f");
    CHECK(list[1].name == "stopped");
    CHECK(list[1].state == "exited");
    CHECK(list[2].name == "created");
    CHECK(list[2].state == "created");
    CHECK(list[3].name == "flappy");
    CHECK(list[3].state == "exited");
}

TEST_CASE("a listed Id that is not 12 to 64 lowercase hex digits is left out with a note") {
    const std::string good = "15e619fdcea4e78790076ce18be365bee4343cb5935105177b60c5813188853f";
    for (const std::string& bad :
         {std::string("15e619fdcea4/../../x"), std::string("15e619fdcea4?force=1"),
          std::string("15e619fdcea4 HTTP/1.1\\r\\nPOST /containers/x/kill"),
          std::string("15E619FDCEA4"), std::string("15e619fdcea"), good + "0", std::string()}) {
        INFO(bad);
        auto parsed =
            parse_container_list(R"([{"Id":")" + bad +
                                 R"(","Names":["/evil"],"Image":"i","State":"running"},)"
                                 R"({"Id":")" +
                                 good + R"(","Names":["/web"],"Image":"i","State":"running"}])");
        REQUIRE(parsed.has_value());
        REQUIRE(parsed->containers.size() == 1);
        CHECK(parsed->containers[0].name == "web");
        REQUIRE(parsed->left_out.size() == 1);
        CHECK_THAT(parsed->left_out[0], Catch::StartsWith("container list entry 0: Id \""));
        CHECK_THAT(parsed->left_out[0],
                   Catch::EndsWith("is not 12 to 64 lowercase hex digits; left out"));
        CHECK(parsed->left_out[0].find('\r') == std::string::npos);
        CHECK(parsed->left_out[0].find('\n') == std::string::npos);
    }
    CHECK(is_container_id("0123456789ab"));
    CHECK(is_container_id(good));
    CHECK_FALSE(is_container_id("0123456789a"));
    CHECK_FALSE(is_container_id("0123456789ag"));
}

TEST_CASE("the saved inspect answers give state, restart count and an empty health") {
    struct Want {
        const char* file;
        const char* state;
        std::uint64_t restarts;
    };
    for (const auto& expected :
         {Want{"inspect-web.json", "running", 0}, Want{"inspect-stopped.json", "exited", 0},
          Want{"inspect-created.json", "created", 0}, Want{"inspect-flappy.json", "exited", 3}}) {
        INFO(expected.file);
        auto inspected = parse_container_inspect(testdata(expected.file));
        REQUIRE(inspected.has_value());
        CHECK(inspected->state == expected.state);
        CHECK(inspected->restart_count == expected.restarts);
        CHECK(inspected->health.empty());  // no healthcheck: podman sends Status ""
    }
}

TEST_CASE("inspect reads a healthcheck's status, and its absence as Docker sends it") {
    auto unhealthy = parse_container_inspect(
        R"({"RestartCount":2,"State":{"Status":"running","Health":{"Status":"unhealthy","FailingStreak":3}}})");
    REQUIRE(unhealthy.has_value());
    CHECK(unhealthy->health == "unhealthy");
    CHECK(unhealthy->restart_count == 2);
    auto docker_without =
        parse_container_inspect(R"({"RestartCount":0,"State":{"Status":"restarting"}})");
    REQUIRE(docker_without.has_value());
    CHECK(docker_without->health.empty());
    CHECK(docker_without->state == "restarting");
}

TEST_CASE("two saved stats readings give memory and CPU counters, and podman leaves precpu empty") {
    auto first = parse_container_stats(testdata("stats-web-1.json"));
    auto second = parse_container_stats(testdata("stats-web-2.json"));
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    CHECK(first->memory_bytes == 512000u);
    REQUIRE(first->cpu.has_value());
    CHECK(first->cpu->container_ns == 23089719u);
    CHECK(first->cpu->system_ns == 18629676838117u);
    CHECK(first->cpu->online_cpus == 2);
    CHECK_FALSE(first->precpu.has_value());
    REQUIRE(second->cpu.has_value());
    // `sleep` used no CPU between the two readings.
    CHECK(cpu_percent_between(*first->cpu, *second->cpu) == 0.0);
}

TEST_CASE("CPU percent follows docker stats, per core, and refuses readings that go back") {
    const CpuCounters earlier{1'000'000'000, 100'000'000'000, 4};
    const CpuCounters later{1'500'000'000, 102'000'000'000, 4};
    // 0.5 s of CPU in 2 s of all four cores' time (0.5 s wall): one core busy.
    CHECK(cpu_percent_between(earlier, later) == Approx(100.0));
    CHECK_FALSE(cpu_percent_between(later, earlier).has_value());
    CHECK_FALSE(cpu_percent_between(earlier, earlier).has_value());
}

TEST_CASE("memory leaves out the inactive page cache as docker stats does") {
    auto v1 = parse_container_stats(
        R"({"memory_stats":{"usage":1000,"stats":{"total_inactive_file":300}}})");
    REQUIRE(v1.has_value());
    CHECK(v1->memory_bytes == 700u);
    auto v2 =
        parse_container_stats(R"({"memory_stats":{"usage":1000,"stats":{"inactive_file":100}}})");
    REQUIRE(v2.has_value());
    CHECK(v2->memory_bytes == 900u);
    auto filled = parse_container_stats(
        R"({"cpu_stats":{"cpu_usage":{"total_usage":20,"percpu_usage":[10,10]},"system_cpu_usage":200},)"
        R"("precpu_stats":{"cpu_usage":{"total_usage":10},"system_cpu_usage":100,"online_cpus":2}})");
    REQUIRE(filled.has_value());
    REQUIRE(filled->cpu.has_value());
    CHECK(filled->cpu->online_cpus == 2);  // from percpu_usage, as old engines send it
    REQUIRE(filled->precpu.has_value());
}

TEST_CASE("answers of the wrong shape are errors naming what is wrong") {
    CHECK_FALSE(parse_container_list("{}").has_value());
    CHECK_FALSE(parse_container_list("[1]").has_value());
    CHECK_FALSE(parse_container_list("not json").has_value());
    auto missing = parse_container_list(R"([{"Id":"a","Names":["/a"],"Image":"i"}])");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().message().find("/State: missing") != std::string::npos);
    CHECK_FALSE(parse_container_inspect("[]").has_value());
    CHECK_FALSE(
        parse_container_inspect(R"({"RestartCount":-1,"State":{"Status":"x"}})").has_value());
    CHECK_FALSE(parse_container_stats("[]").has_value());
}

TEST_CASE("podman's stats answer for a container that is not running is a reading without values") {
    // Saved raw: a 200 whose chunked body is empty.
    auto response = parse_http_response(testdata("stats-stopped.http"), false);
    REQUIRE(response.has_value());
    REQUIRE(response->has_value());
    CHECK((*response)->head.status == 200);
    CHECK((*response)->body.empty());
    auto reading = parse_container_stats((*response)->body);
    REQUIRE(reading.has_value());
    CHECK_FALSE(reading->memory_bytes.has_value());
    CHECK_FALSE(reading->cpu.has_value());
}
