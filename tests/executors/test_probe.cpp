// The probe on this host, and the profile assessment.

#include <catch2/catch.hpp>
#include <iostream>

#include "harness.hpp"

using namespace outpost::executors;
using namespace outpost::executors::test;

TEST_CASE("the probe reports every protection with a reason", "[probe]") {
    const Capabilities& caps = probed();
    for (const Protection p : kAllProtections) {
        const ProtectionStatus* s = caps.status(p);
        REQUIRE(s != nullptr);
        CHECK_FALSE(s->detail.empty());
    }
    CHECK(caps.pidfd);
    for (const auto& line : caps.summary()) std::cout << "probe: " << line << "\n";
}

TEST_CASE("assess_profile: required missing refuses, best effort degrades", "[probe]") {
    Capabilities caps;
    for (const Protection p : kAllProtections) caps.set(p, true, "ok");
    caps.set(Protection::namespaces_net, false, "unshare: Operation not permitted");
    SandboxProfile profile;
    auto degraded = assess_profile(profile, caps);
    REQUIRE(degraded);
    CHECK(*degraded ==
          std::vector<std::string>{"namespaces_net: unshare: Operation not permitted"});

    profile.required = {Protection::namespaces_net};
    auto refused = assess_profile(profile, caps);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message() ==
          "required protection namespaces_net is unavailable: unshare: Operation not permitted");

    profile.required.clear();
    profile.no_network = false;  // not asked for: not degraded either
    CHECK(assess_profile(profile, caps)->empty());
}

TEST_CASE("protection names round-trip", "[probe]") {
    for (const Protection p : kAllProtections) CHECK(protection_from_name(protection_name(p)) == p);
    CHECK_FALSE(protection_from_name("nonsense"));
}
