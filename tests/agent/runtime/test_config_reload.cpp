// plan_reload (agent/runtime/config_reload.hpp) over configs made by the real
// loader: which keys a SIGHUP applies and which wait for a restart (the table
// of docs/configuration.md, "Reloading"), and the start-up banner's text.
#include <catch2/catch.hpp>

#include "agent/config/loader.hpp"
#include "agent/runtime/banner.hpp"
#include "agent/runtime/config_reload.hpp"

using namespace outpost;

namespace {

config::Config load(const std::string& extra) {
    auto loaded = config::load_config_text(
        "server:\n  url: wss://hub.example.com/v1/agent\n" + extra, "test.yaml");
    REQUIRE(loaded);
    return *loaded;
}

}  // namespace

TEST_CASE("reload plan: the same file changes nothing", "[config_reload]") {
    const config::Config c = load("telemetry:\n  interval: 30s\n");
    runtime::ReloadPlan plan = runtime::plan_reload(c, c);
    CHECK(plan.changed.empty());
    CHECK(plan.restart_needed.empty());
}

TEST_CASE("reload plan: reloadable keys are taken, restart-only keys kept and named",
          "[config_reload]") {
    const config::Config before = load(
        "telemetry:\n  interval: 30s\nlogging:\n  level: info\nreconnect:\n  max: 60s\n"
        "executor:\n  max_concurrent: 4\n");
    const config::Config after = load(
        "telemetry:\n  interval: 5s\nlogging:\n  level: debug\nreconnect:\n  max: 10s\n"
        "executor:\n  max_concurrent: 8\n"
        "  commands: [{name: id, path: /usr/bin/id, run_as: nobody}]\n"
        "status:\n  socket: /tmp/other.sock\n");
    runtime::ReloadPlan plan = runtime::plan_reload(before, after);
    CHECK(plan.changed == std::vector<std::string>{"telemetry", "logging", "executor.commands"});
    CHECK(plan.restart_needed ==
          std::vector<std::string>{"reconnect", "status", "executor.max_concurrent"});
    // Taken: the new values are in the plan's config.
    CHECK(plan.next.telemetry.interval == std::chrono::seconds(5));
    CHECK(plan.next.logging.level == log::Level::debug);
    REQUIRE(plan.next.executor.commands.size() == 1);
    // Kept: the values in force stay.
    CHECK(plan.next.reconnect.max == std::chrono::seconds(60));
    CHECK(plan.next.executor.max_concurrent == 4);
    CHECK(plan.next.status.socket == before.status.socket);
}

TEST_CASE("reload plan: server, auth and collectors wait for a restart", "[config_reload]") {
    const config::Config before = load("");
    config::Config after = load("auth:\n  token_ttl: 10m\ncollectors:\n  load: {enabled: false}\n");
    after.server.url = "wss://other.example.com/v1/agent";
    runtime::ReloadPlan plan = runtime::plan_reload(before, after);
    CHECK(plan.changed.empty());
    CHECK(plan.restart_needed == std::vector<std::string>{"server", "auth", "collectors"});
    CHECK(plan.next.server.url == before.server.url);
}

TEST_CASE("banner: the server URL without user:password, and no proxy URL", "[config_reload]") {
    CHECK(runtime::without_userinfo("wss://u:secret@hub.example.com:443/v1/agent?x=@") ==
          "wss://hub.example.com:443/v1/agent?x=@");
    CHECK(runtime::without_userinfo("wss://hub.example.com/v1/a@b") ==
          "wss://hub.example.com/v1/a@b");
    CHECK(runtime::without_userinfo("not a url") == "not a url");

    config::Config c = load("");
    c.server.proxy = "http://user:pw@proxy:3128";
    protocol::outbound::SandboxReport sandbox{.active = {"seccomp", "landlock"},
                                              .unavailable = {{"namespaces_net", "EPERM"}}};
    const std::string banner =
        runtime::startup_banner(runtime::BannerFacts{.node_id = "n1",
                                                     .config_path = "/etc/outpost/agent.yaml",
                                                     .config = c,
                                                     .sandbox = sandbox});
    CHECK_THAT(banner, Catch::Contains("starting: node n1, protocol outpost.v1, auth jwt, server "
                                       "wss://hub.example.com/v1/agent via a proxy, config "
                                       "/etc/outpost/agent.yaml, sandbox: seccomp landlock "
                                       "(unavailable: namespaces_net)"));
    CHECK_THAT(banner, !Catch::Contains("pw"));
}
