// Getting online: hello/welcome with a verified JWT, TLS verification (wrong
// CA, SPKI pins) and the HTTP CONNECT proxy (protocol.md §1, §2, §3.1).
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

// Waits until the agent has logged `n` failed connection attempts.
void expect_failed_attempts(Agent& agent, int n) {
    std::size_t from = 0;
    for (int i = 0; i < n; ++i) {
        auto at = agent.wait_log("connection failed", kEventLimit, from);
        INFO("failed attempt " << i + 1 << " of " << n);
        REQUIRE(at);
        from = *at + 1;
    }
}

// No HTTP request of any kind reached the hub in [from, now).
void expect_no_http(Hub& hub, std::size_t from) {
    hub.idle(300ms);  // let anything in flight arrive
    CHECK(hub.events(event_named("upgrade"), from).empty());
    CHECK(hub.events(event_named("connected"), from).empty());
    CHECK(hub.events(event_named("http"), from).empty());
    CHECK(hub.events(event_named("token"), from).empty());
}

}  // namespace

TEST_CASE("online with hello/welcome and a verified JWT", "[integration][connect]") {
    Rig rig;
    const std::size_t from = rig.hub.mark();
    const Event& connected = rig.start_online();
    const std::string session = *connected.str("/session");

    const Event& upgrade = rig.hub.expect_event(upgrade_with_status(101), 0ms, from, "upgrade");
    CHECK(upgrade.index() < connected.index());
    CHECK(upgrade.str("/auth") == "jwt");  // the hub verified the agent's EdDSA JWT
    CHECK(upgrade.str("/agent_id") == "node-1");
    CHECK(upgrade.str("/subprotocol") == "outpost.v1");
    CHECK(upgrade.str("/user_agent").value_or("").starts_with("outpost/"));
    CHECK(connected.str("/auth") == "jwt");
    CHECK(connected.str("/agent_id") == "node-1");
    // No refused attempt before it.
    CHECK(rig.hub.events(event_named("upgrade"), from).size() == 1);

    const Event& hello =
        rig.hub.expect_event(message_of_type("hello"), 0ms, connected.index(), "hello");
    CHECK(hello.str("/session") == session);
    CHECK(hello.str("/msg/type") == "hello");
    CHECK(!hello.str("/msg/id").value_or("").empty());
    CHECK(hello.str("/msg/ts").value_or("").ends_with("Z"));
    CHECK(hello.str("/msg/data/node_id") == "node-1");
    CHECK(!hello.str("/msg/data/agent_version").value_or("").empty());
    CHECK(hello.strings("/msg/data/protocols") == std::vector<std::string>{"outpost.v1"});
    CHECK(hello.strings("/msg/data/capabilities").has_value());
    CHECK(!hello.str("/msg/data/host/hostname").value_or("").empty());
    for (const char* field : {"os", "kernel", "arch", "machine_id", "boot_id"}) {
        INFO("host." << field);
        CHECK(hello.str(std::string("/msg/data/host/") + field).has_value());
    }
    CHECK(hello.num("/msg/data/backlog/results").has_value());
    CHECK(hello.num("/msg/data/backlog/outbox").has_value());

    // hello is the first message; welcome answers it; then status online.
    auto first = rig.hub.events(event_named("message"), connected.index());
    REQUIRE(!first.empty());
    CHECK(first.front()->index() == hello.index());
    const Event& welcome =
        rig.hub.expect_event(sent_of_type("welcome"), 0ms, hello.index(), "welcome");
    CHECK(welcome.str("/session") == session);
    const Event& status = rig.hub.expect_event(message_of_type("status"), kEventLimit,
                                               welcome.index(), "status online");
    CHECK(status.str("/msg/data/status") == "online");
    CHECK(status.str("/msg/data/node_id") == "node-1");
}

TEST_CASE("wrong CA: refused before any HTTP is sent, and retried", "[integration][connect][tls]") {
    Rig rig;
    rig.agent.set("server", "ca_file", rig.hub.pki_file("other-ca.pem"));
    const std::size_t from = rig.hub.mark();
    rig.agent.start(rig.hub);

    // It keeps trying (reconnect.initial 200ms, max 2s): three failures.
    expect_failed_attempts(rig.agent, 3);
    CHECK(rig.agent.running());
    expect_no_http(rig.hub, from);
}

TEST_CASE("SPKI pin: a mismatch is refused before HTTP, the right pin connects",
          "[integration][connect][tls]") {
    Rig rig;
    // base64 SHA-256 of the empty string: a well-formed pin of some other key.
    const std::string other_pin = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    REQUIRE(rig.hub.spki_pin().size() == 44);
    REQUIRE(rig.hub.spki_pin() != other_pin);

    SECTION("mismatch") {
        rig.agent.set("server", "pin_sha256", "[\"" + other_pin + "\"]");
        const std::size_t from = rig.hub.mark();
        rig.agent.start(rig.hub);
        expect_failed_attempts(rig.agent, 2);
        CHECK(rig.agent.running());
        // No upgrade event at all: no Authorization header reached the hub.
        expect_no_http(rig.hub, from);
    }
    SECTION("match, listed after a wrong one") {
        rig.agent.set("server", "pin_sha256",
                      "[\"" + other_pin + "\", \"" + rig.hub.spki_pin() + "\"]");
        const Event& connected = rig.start_online();
        CHECK(connected.str("/auth") == "jwt");
        CHECK(rig.agent.count_log("connection failed") == 0);
    }
}

TEST_CASE("online through a real HTTP CONNECT proxy (tinyproxy)", "[integration][connect][proxy]") {
    const std::string tinyproxy = OUTPOST_TINYPROXY_BIN;
    if (tinyproxy.empty() || !std::filesystem::exists(tinyproxy)) {
        WARN("tinyproxy is not installed: skipped");
        return;
    }
    Rig rig;
    const int proxy_port = free_loopback_port();
    const std::string log_file = rig.dir.file("tinyproxy.log");
    write_file(rig.dir.file("tinyproxy.conf"), "Port " + std::to_string(proxy_port) + "\n" +
                                                   "Listen 127.0.0.1\n"
                                                   "Timeout 60\n"
                                                   "Allow 127.0.0.1\n"
                                                   "ConnectPort " +
                                                   std::to_string(rig.hub.port()) + "\n" +
                                                   "LogFile \"" + log_file + "\"\n" +
                                                   "LogLevel Connect\n"
                                                   "MaxClients 10\n");
    ChildProcess proxy(SpawnOptions({tinyproxy, "-d", "-c", rig.dir.file("tinyproxy.conf")}));
    struct ProxyOutput {  // printed when the test fails
        ChildProcess& p;
        std::string log_file;
        ~ProxyOutput() {
            if (!current_test_failed()) return;
            print_block("tinyproxy output", p.all_output(ChildProcess::Stream::out) +
                                                p.all_output(ChildProcess::Stream::err));
            print_block("tinyproxy log", read_file(log_file));
        }
    } proxy_output{proxy, log_file};

    REQUIRE(wait_for_port(proxy_port, 10s));
    REQUIRE_FALSE(proxy.poll_exit());

    rig.agent.set("server", "proxy", "http://127.0.0.1:" + std::to_string(proxy_port));
    const std::size_t log_from = rig.agent.mark();
    rig.start_online();
    CHECK(
        rig.agent.wait_log("proxy http://127.0.0.1:" + std::to_string(proxy_port), 0ms, log_from));

    const std::string target = "localhost:" + std::to_string(rig.hub.port());
    const auto seen_by = Clock::now() + 5s;
    while (Clock::now() < seen_by && read_file(log_file).find("CONNECT") == std::string::npos) {
        ChildProcess::pump(50ms);
    }
    const std::string log = read_file(log_file);
    INFO("tinyproxy log:\n" << log);
    CHECK(log.find("CONNECT") != std::string::npos);
    CHECK(log.find(target) != std::string::npos);
}

TEST_CASE("mTLS: a hub requiring client certificates admits the agent only with its certificate",
          "[integration][connect][tls]") {
    HubOptions options;
    options.extra = {"--require-client-cert"};
    Rig rig(options);
    SECTION("without a client certificate") {
        const std::size_t from = rig.hub.mark();
        rig.agent.start(rig.hub);
        expect_failed_attempts(rig.agent, 2);
        CHECK(rig.agent.running());
        expect_no_http(rig.hub, from);
    }
    SECTION("with the certificate the hub's CA signed") {
        rig.agent.set("server", "client_cert", rig.hub.pki_file("client.pem"));
        rig.agent.set("server", "client_key", rig.hub.pki_file("client.key"));
        const Event& connected = rig.start_online();
        CHECK(connected.str("/auth") == "jwt");
    }
}
