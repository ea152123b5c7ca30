#include <catch2/catch.hpp>

#include "agent/transport/url.hpp"

using outpost::transport::parse_url;

TEST_CASE("parse_url splits wss URLs with defaults") {
    auto url = parse_url("wss://Hub.Example.com/v1/agent");
    REQUIRE(url);
    CHECK(url->scheme == "wss");
    CHECK(url->host == "hub.example.com");
    CHECK(url->port == 443);
    CHECK(url->path == "/v1/agent");
    CHECK(url->tls);
    CHECK(url->host_header() == "hub.example.com");
}

TEST_CASE("parse_url keeps explicit ports, queries and IPv6 literals") {
    auto url = parse_url("ws://127.0.0.1:8080?x=1");
    REQUIRE(url);
    CHECK(url->port == 8080);
    CHECK(url->path == "/?x=1");
    CHECK_FALSE(url->tls);
    CHECK(url->host_header() == "127.0.0.1:8080");

    auto v6 = parse_url("https://[::1]:8443/token");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 8443);
    CHECK(v6->host_header() == "[::1]:8443");

    auto bare = parse_url("https://example.com");
    REQUIRE(bare);
    CHECK(bare->path == "/");
}

TEST_CASE("parse_url rejects what must not be connected to") {
    CHECK_FALSE(parse_url("hub.example.com/v1"));
    CHECK_FALSE(parse_url("ftp://hub.example.com/"));
    CHECK_FALSE(parse_url("wss://user:secret@hub.example.com/"));  // credentials in URL
    CHECK_FALSE(parse_url("wss:///path"));
    CHECK_FALSE(parse_url("wss://hub:0/"));
    CHECK_FALSE(parse_url("wss://hub:65536/"));
    CHECK_FALSE(parse_url("wss://hub:12x/"));
    CHECK_FALSE(parse_url("wss://hub:/"));
    CHECK_FALSE(parse_url("wss://hub/#frag"));
    CHECK_FALSE(parse_url("wss://[::1/"));
    CHECK_FALSE(parse_url("wss://bad host/"));
}
