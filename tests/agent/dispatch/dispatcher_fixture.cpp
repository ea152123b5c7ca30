#include "dispatcher_fixture.hpp"

#include <fmt/format.h>
#include <stdlib.h>

#include <fstream>

#include "agent/protocol/inbound_parser.hpp"
#include "executors/sandbox/probe.hpp"

namespace outpost::dispatch::test {
namespace {

executors::SandboxProfile light_profile() {
    executors::SandboxProfile profile;
    profile.no_network = false;
    profile.private_tmp = false;
    profile.read_only_root = false;
    profile.own_pid_namespace = false;
    profile.private_ipc = false;
    profile.private_uts = false;
    profile.landlock = false;
    return profile;
}

const executors::Capabilities& capabilities() {
    static const executors::Capabilities caps = executors::probe_capabilities("outpost-test");
    return caps;
}

}  // namespace

CommandPolicy test_policy(const std::filesystem::path& append_file) {
    return [append_file](const CommandRequest& request) -> Expected<ApprovedRun> {
        ApprovedRun run;
        run.spec.profile = light_profile();
        run.spec.timeout = std::chrono::milliseconds(request.timeout_ms.value_or(10000));
        run.spec.kill_grace = std::chrono::milliseconds(200);
        if (request.command == "echo") {
            run.spec.path = "/bin/echo";
        } else if (request.command == "sleep") {
            run.spec.path = "/bin/sleep";
        } else if (request.command == "append") {
            run.spec.path = "/bin/sh";
            run.spec.argv = {"/bin/sh", "-c", "echo run >> " + append_file.string()};
            return run;
        } else if (request.command == "unstartable") {
            // Refused by the runner itself, synchronously (not absolute).
            run.spec.path = "relative/outpost-test-binary";
            return run;
        } else if (request.command == "missing") {
            run.spec.path = "/nonexistent/outpost-test-binary";
            run.exec_retries = 2;
        } else if (request.command == "big") {
            run.spec.path = "/usr/bin/head";
            run.spec.max_output_bytes = 256 * 1024;
            run.spec.argv = {"/usr/bin/head", "-c", "200000", "/dev/urandom"};
            return run;
        } else {
            return fail(ErrorKind::invalid_input,
                        "`" + std::string(request.command) + "` is not on the allow-list");
        }
        for (const auto& arg : request.args) {
            if (!arg.empty() && arg[0] == '-')
                return fail(ErrorKind::invalid_input, "args: leading '-' refused");
        }
        run.spec.argv.push_back(run.spec.path);
        run.spec.argv.insert(run.spec.argv.end(), request.args.begin(), request.args.end());
        return run;
    };
}

Fixture::Fixture(bool with_journal, std::optional<auth::PublicKey> command_key,
                 std::size_t max_message_bytes, journal::Options journal_options,
                 QueueLimits queue_limits) {
    append_file = dir.path() / "runs.txt";
    if (with_journal) {
        auto opened = journal::Journal::open(dir.path() / "journal.db", journal_options);
        REQUIRE(opened.has_value());
        journal.emplace(std::move(*opened));
    }
    auto created = transport::EventLoop::create();
    REQUIRE(created.has_value());
    loop = std::move(*created);
    runner = std::make_unique<executors::Runner>(*loop, capabilities(),
                                                 executors::Runner::Options{.max_concurrent = 8});
    dispatcher = std::make_unique<Dispatcher>(
        DispatcherSettings{
            .node_id = "node-1",
            .max_message_bytes = max_message_bytes,
            .max_concurrent = 2,
            .queue_limits = queue_limits,
            .command_public_key = command_key,
            .state_dir = dir.path().string(),
            .on_invalid = [this](std::string_view code) { ++invalid[std::string(code)]; },
            .on_journal_failed = [this] { ++journal_failures; }},
        journal ? &*journal : nullptr, with_journal ? "" : "journal.db: file is not a database",
        test_policy(append_file), *runner,
        [this](out::Body body) {
            if (!online) return false;
            if ((journal && journal->syncs_deferred()) || (sync_pending && sync_pending()))
                ++sent_while_unsynced;
            sent.push_back(std::move(body));
            return true;
        },
        [] { return std::chrono::system_clock::now(); });
}

Fixture::~Fixture() {
    dispatcher.reset();
    runner.reset();
    loop.reset();
}

void Fixture::deliver(const std::string& json) {
    auto parsed = protocol::parse_inbound(json, 1024 * 1024);
    INFO(json);
    REQUIRE(parsed.has_value());
    dispatcher->handle(*parsed);
}

bool Fixture::wait_results(const std::string& request_id, std::size_t count,
                           std::chrono::milliseconds limit) {
    return loop->run_until([&] { return results(request_id).size() >= count; }, limit);
}

std::vector<const out::CommandAck*> Fixture::acks(const std::string& request_id) const {
    std::vector<const out::CommandAck*> found;
    for (const auto& body : sent) {
        if (const auto* a = std::get_if<out::CommandAck>(&body); a && a->request_id == request_id) {
            found.push_back(a);
        }
    }
    return found;
}

std::vector<const out::CommandResult*> Fixture::results(const std::string& request_id) const {
    std::vector<const out::CommandResult*> found;
    for (const auto& body : sent) {
        if (const auto* r = std::get_if<out::CommandResult>(&body);
            r && r->request_id == request_id) {
            found.push_back(r);
        }
    }
    return found;
}

std::vector<const out::Error*> Fixture::errors() const {
    std::vector<const out::Error*> found;
    for (const auto& body : sent) {
        if (const auto* e = std::get_if<out::Error>(&body)) found.push_back(e);
    }
    return found;
}

std::size_t Fixture::append_runs() const {
    std::ifstream in(append_file);
    std::size_t lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
}

std::string message(const std::string& type, const std::string& data) {
    return R"({"type":")" + type + R"(","id":"x-)" + type +
           R"(","ts":"2026-11-22T10:00:00Z","data":)" + data + "}";
}

std::string execute_json(const std::string& request_id, const std::string& command,
                         const std::vector<std::string>& args, const std::string& extra) {
    std::string list;
    for (size_t i = 0; i < args.size(); ++i) {
        list += (i ? "," : "") + fmt::format("\"{}\"", args[i]);
    }
    return fmt::format(
        R"({{"type":"execute","id":"m-{}","ts":"2026-11-22T10:00:00.000Z","data":{{"request_id":"{}","command":"{}","args":[{}]{}}}}})",
        request_id, request_id, command, list, extra);
}

}  // namespace outpost::dispatch::test
