#include "policy_test_support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "agent/config/loader.hpp"

namespace outpost::policy::test {

namespace {

config::ExecutorConfig load_executor(std::string_view commands) {
    const std::string text =
        "server:\n  url: wss://hub.example.com/v1/agent\n"
        "executor:\n  commands:\n" +
        std::string(commands);
    auto config = config::load_config_text(text, "test.yaml");
    if (!config) {
        std::string issues;
        for (const auto& issue : config.error()) {
            issues += config::format_issue(issue) + "\n";
        }
        FAIL("config did not load:\n" << issues << text);
    }
    return config->executor;
}

}  // namespace

Expected<AllowList> build_yaml(std::string_view commands) {
    return AllowList::build(load_executor(commands));
}

std::string build_error_patched(std::string_view commands,
                                const std::function<void(config::ExecutorConfig&)>& patch) {
    config::ExecutorConfig executor = load_executor(commands);
    patch(executor);
    auto list = AllowList::build(executor);
    REQUIRE_FALSE(list.has_value());
    return list.error().message();
}

AllowList build_ok(std::string_view commands) {
    auto list = build_yaml(commands);
    if (!list) {
        FAIL("build failed: " << list.error().message());
    }
    return std::move(*list);
}

std::string build_error(std::string_view commands) {
    auto list = build_yaml(commands);
    REQUIRE_FALSE(list.has_value());
    return list.error().message();
}

Request request(std::string command, std::vector<std::string> args) {
    Request req;
    req.command = std::move(command);
    req.args = std::move(args);
    return req;
}

PolicyRefusal refusal(const AllowList& list, const Request& req) {
    auto result = list.check(req);
    if (result) {
        FAIL("request was approved: " << req.command);
    }
    return result.error();
}

ScratchDir::ScratchDir(const std::string& parent) {
    std::string tmpl = parent + "/policy-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
    REQUIRE(::chmod(path_.c_str(), 0755) == 0);
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void copy_file(const std::string& from, const std::string& to, unsigned mode) {
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
    REQUIRE(::chmod(to.c_str(), mode) == 0);
}

bool trusted_parent(const std::string& dir) {
    std::filesystem::path p = std::filesystem::canonical(dir);
    while (true) {
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0) {
            return false;
        }
        if (p == p.root_path()) {
            return true;
        }
        p = p.parent_path();
    }
}

}  // namespace outpost::policy::test
