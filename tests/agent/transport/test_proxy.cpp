#include <catch2/catch.hpp>

#include "agent/transport/proxy.hpp"

using namespace outpost::transport;

TEST_CASE("no_proxy matches hosts, suffixes and '*'") {
    CHECK(no_proxy_matches("hub.example.com", "example.com"));
    CHECK(no_proxy_matches("hub.example.com", ".example.com"));
    CHECK(no_proxy_matches("example.com", ".example.com"));
    CHECK(no_proxy_matches("HUB.Example.COM", "example.com"));
    CHECK_FALSE(no_proxy_matches("badexample.com", "example.com"));
    CHECK_FALSE(no_proxy_matches("example.com.evil", "example.com"));
    CHECK(no_proxy_matches("anything", "*"));
    CHECK(no_proxy_matches("hub.internal", "localhost, 127.0.0.1 ,  .internal"));
    CHECK(no_proxy_matches("127.0.0.1", "localhost,127.0.0.1"));
    CHECK_FALSE(no_proxy_matches("127.0.0.10", "127.0.0.1"));
    CHECK(no_proxy_matches("hub.example.com", "example.com:443"));
    CHECK(no_proxy_matches("::1", "[::1]"));
    CHECK(no_proxy_matches("::1", "::1"));
    CHECK_FALSE(no_proxy_matches("hub.example.com", ""));
    CHECK_FALSE(no_proxy_matches("hub.example.com", ",,"));
}

TEST_CASE("resolve_proxy prefers config, then https_proxy, then HTTPS_PROXY") {
    ProxyEnv env;
    CHECK_FALSE(resolve_proxy("hub", std::nullopt, env));
    env.https_proxy_upper = "http://upper:3128";
    CHECK(resolve_proxy("hub", std::nullopt, env) == "http://upper:3128");
    env.https_proxy = "http://lower:3128";
    CHECK(resolve_proxy("hub", std::nullopt, env) == "http://lower:3128");
    CHECK(resolve_proxy("hub", std::string("http://cfg:8080"), env) == "http://cfg:8080");
    env.https_proxy = "";  // empty counts as unset
    CHECK(resolve_proxy("hub", std::nullopt, env) == "http://upper:3128");
}

TEST_CASE("resolve_proxy honours no_proxy for the environment's proxy only") {
    ProxyEnv env;
    env.https_proxy = "http://proxy:3128";
    env.no_proxy = "example.com";
    CHECK_FALSE(resolve_proxy("hub.example.com", std::nullopt, env));
    CHECK(resolve_proxy("hub.other.org", std::nullopt, env) == "http://proxy:3128");
    // The explicitly configured proxy wins over the environment's no_proxy.
    CHECK(resolve_proxy("hub.example.com", std::string("http://cfg:1"), env) == "http://cfg:1");
    // NO_PROXY is used only when no_proxy is unset.
    env.no_proxy.reset();
    env.no_proxy_upper = "*";
    CHECK_FALSE(resolve_proxy("hub.other.org", std::nullopt, env));
}

TEST_CASE("parse_proxy accepts http://host:port and rejects the rest") {
    auto p = parse_proxy("http://user:pw@proxy.local:3128/");
    REQUIRE(p);
    CHECK(p->host == "proxy.local");
    CHECK(p->port == 3128);
    CHECK(p->user_info == "user:pw");
    CHECK(p->lws_form() == "user:pw@proxy.local:3128");
    auto bare = parse_proxy("10.0.0.1:8080");
    REQUIRE(bare);
    CHECK(bare->lws_form() == "10.0.0.1:8080");
    auto v6 = parse_proxy("http://[fd00::1]:3128");
    REQUIRE(v6);
    CHECK(v6->lws_form() == "[fd00::1]:3128");
    CHECK_FALSE(parse_proxy("https://proxy:3128"));
    CHECK_FALSE(parse_proxy("http://proxy"));
    CHECK_FALSE(parse_proxy("http://proxy:0"));
    CHECK_FALSE(parse_proxy("http://:3128"));
}
