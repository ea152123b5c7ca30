// RE2 behind our Regex: linear-time matching and the compile-size cap.

#include <catch2/catch.hpp>

#include <string>

#include "executors/policy/regex.hpp"
#include "policy_test_support.hpp"

using namespace outpost::policy;
using namespace outpost::policy::test;

TEST_CASE("a backtracking-prone pattern completes on a hostile input", "[policy][regex]") {
    // (a+)+$ is exponential for backtracking engines; RE2 is linear. No
    // timing assertion: finishing at all is the point.
    auto re = Regex::compile("(a+)+$");
    REQUIRE(re.has_value());
    const std::string hostile = std::string(100000, 'a') + "!";
    CHECK_FALSE(re->full_match(hostile));
    CHECK(re->full_match(std::string(100000, 'a')));

    const auto list = build_ok(
        "    - {name: t, path: /usr/bin/true, run_as: nobody, max_arg_bytes: 1MiB,"
        " arg_rules: [{regex: '(a+)+$'}]}\n");
    CHECK_THAT(refusal(list, request("t", {hostile})).message,
               Catch::Contains("does not match regex (a+)+$"));
}

TEST_CASE("a pattern over the size limit is refused at load", "[policy][regex]") {
    auto re = Regex::compile("((((((a{100}){100}){100}){100}){100}){100})");
    REQUIRE_FALSE(re.has_value());
    INFO(re.error().message());
    std::string big;  // 8000 character classes; 32000 are over the 1 MiB cap
    for (int i = 0; i < 8; ++i) {
        big += "[a-z0-9]{1000}";
    }
    REQUIRE(Regex::compile(big).has_value());
    auto too_big = Regex::compile(big + big + big + big);
    REQUIRE_FALSE(too_big.has_value());
    CHECK_THAT(too_big.error().message(), Catch::Contains("too large"));
    CHECK_THAT(build_error_patched("    - {name: t, path: /usr/bin/true, run_as: nobody,"
                                   " arg_rules: [{regex: x}]}\n",
                                   [&](outpost::config::ExecutorConfig& e) {
                                       e.commands.at(0).arg_rules.at(0).regex =
                                           big + big + big + big;
                                   }),
               Catch::Contains("executor.commands[0].arg_rules[0] (t): regex"));
}

TEST_CASE("RE2 syntax errors and unsupported backreferences are refused", "[policy][regex]") {
    CHECK_FALSE(Regex::compile("(a").has_value());
    CHECK_FALSE(Regex::compile("(a)\\1").has_value());  // no backreferences: not linear
    CHECK_FALSE(Regex::compile("(?=a)").has_value());   // no lookaround either
}

TEST_CASE("full_match anchors at both ends and $ is the end of text", "[policy][regex]") {
    auto re = Regex::compile("^[a-z]+$");
    REQUIRE(re.has_value());
    CHECK(re->full_match("abc"));
    CHECK_FALSE(re->full_match("abc\n"));  // $ is not `before a final newline`
    CHECK_FALSE(re->full_match("ab1"));
    CHECK(re->pattern() == "^[a-z]+$");
}
