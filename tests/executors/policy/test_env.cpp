// Environment variables: only listed names, values matching their regex,
// and the dangerous names refused both at load and at request time.

#include <catch2/catch.hpp>

#include "executors/policy/env_rule.hpp"
#include "policy_test_support.hpp"

using namespace outpost::policy;
using namespace outpost::policy::test;

namespace {

const char* const kEntry =
    "    - name: t\n"
    "      path: /usr/bin/true\n"
    "      run_as: nobody\n"
    "      env:\n"
    "        - {name: TZ, regex: '^[A-Za-z0-9_/+-]{1,64}$'}\n"
    "        - {name: NOTE, regex: '(?s).{0,100}', allow_newline: true}\n";

Request with_env(std::map<std::string, std::string> env) {
    auto req = request("t");
    req.env = std::move(env);
    return req;
}

}  // namespace

TEST_CASE("listed variables with matching values pass, nothing else", "[policy][env]") {
    const auto list = build_ok(kEntry);
    auto approved = list.check(with_env({{"TZ", "Europe/Berlin"}, {"NOTE", "a\nb"}}));
    REQUIRE(approved.has_value());
    CHECK(approved->env == std::vector<std::pair<std::string, std::string>>{
                               {"NOTE", "a\nb"}, {"TZ", "Europe/Berlin"}});

    auto r = refusal(list, with_env({{"TZ", "$(id)"}}));
    CHECK(r.rule == "executor.commands[0].env[0]");
    CHECK(r.message ==
          "env TZ: \"$(id)\" does not match regex ^[A-Za-z0-9_/+-]{1,64}$ "
          "(executor.commands[0].env[0])");
    CHECK_THAT(refusal(list, with_env({{"TZ", "UTC\n"}})).message,
               Catch::Contains("contains a line break"));
    CHECK_THAT(refusal(list, with_env({{"NOTE", std::string("a\0b", 3)}})).message,
               Catch::Contains("contains a NUL byte"));
    r = refusal(list, with_env({{"LANGUAGE", "de"}}));
    CHECK(r.rule == "executor.commands[0].env");
    CHECK(r.message == "env \"LANGUAGE\": not allowed for `t` (executor.commands[0].env)");
}

TEST_CASE("dangerous variables are refused at request time", "[policy][env][injection]") {
    const auto list = build_ok(kEntry);
    for (const char* name : {"LD_PRELOAD", "LD_LIBRARY_PATH", "ld_preload", "BASH_ENV", "ENV",
                             "PATH", "IFS", "BASH_FUNC_x%%", "GLIBC_TUNABLES", "PYTHONPATH",
                             "NODE_OPTIONS", "OUTPOST_TOKEN", "HOME"}) {
        INFO(name);
        auto r = refusal(list, with_env({{name, "/tmp/x.so"}}));
        CHECK(r.rule == "executor.commands[0].env");
        CHECK_THAT(r.message, Catch::Contains("never allowed"));
    }
}

TEST_CASE("an entry that lists a dangerous variable is refused at load", "[policy][env]") {
    for (const char* name : {"LD_PRELOAD", "LD_AUDIT", "ld_preload", "BASH_ENV", "ENV", "PATH",
                             "IFS", "SHELLOPTS", "PS4", "PERL5OPT", "MALLOC_CHECK_"}) {
        INFO(name);
        auto error = build_error(std::string("    - {name: t, path: /usr/bin/true, run_as: nobody,"
                                             " env: [{name: ") +
                                 name + ", regex: '.*'}]}\n");
        CHECK_THAT(error, Catch::Contains("executor.commands[0].env[0].name (t): `" +
                                          std::string(name) + "` is never allowed"));
    }
}

TEST_CASE("the dangerous-name list", "[policy][env]") {
    CHECK(forbidden_env_reason("LD_PRELOAD").has_value());
    CHECK(forbidden_env_reason("Ld_Bind_Now").has_value());
    CHECK(forbidden_env_reason("BASH_FUNC_ls%%").has_value());
    CHECK_FALSE(forbidden_env_reason("TZ").has_value());
    CHECK_FALSE(forbidden_env_reason("LANG").has_value());
    CHECK_FALSE(forbidden_env_reason("ENVIRONMENT").has_value());
    CHECK_FALSE(forbidden_env_reason("XPATH").has_value());
}

TEST_CASE("an env rule with a bad regex or a duplicate name is refused", "[policy][env]") {
    // The loader refuses a bad regex itself; the build must refuse it too.
    auto error = build_error_patched(
        "    - name: t\n      path: /usr/bin/true\n      run_as: nobody\n"
        "      env:\n        - {name: TZ, regex: 'x'}\n        - {name: A, regex: x}\n"
        "        - {name: A, regex: y}\n",
        [](outpost::config::ExecutorConfig& e) { e.commands.at(0).env.at(0).regex = "[a-"; });
    CHECK_THAT(error, Catch::Contains("executor.commands[0].env[0].regex (t): regex \"[a-\""));
    CHECK_THAT(error, Catch::Contains("executor.commands[0].env[2].name (t): `A` is listed twice"));
}
