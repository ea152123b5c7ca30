// kill -9 of the agent while commands run (issue 14): no process of a run
// may outlive it. Each sandbox profile (none, standard, strict) runs as root
// and as nobody, all at once: `sh -c 'sleep M & exec sleep M'`, so every
// run has a process of the agent's chain (the command, and for strict the
// PID namespace's init and its parent, copies of the agent) and one the
// command forked, which no parent-death signal covers. After the kill and a
// restart, each command must be reported `interrupted`, with a reason that
// says what became of its processes, and at that moment none of them — found
// by the marker M in their argv and by walking up their parents before the
// kill — may exist any more.
#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <sstream>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

struct Case {
    const char* sandbox;
    const char* user;
    std::string marker;  // sleep's argument, unique to this run of the test
    std::string request_id;
};

// A process as it was seen: the pid plus its start time, so a reused pid
// is never taken for it.
struct Seen {
    pid_t pid = 0;
    std::string start;  // field 22 of /proc/<pid>/stat
    std::string what;
};

// Fields of /proc/<pid>/stat after the command name: [0] = state, [1] =
// ppid, [19] = starttime. Empty when the process is gone.
std::vector<std::string> stat_fields(pid_t pid) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream in(stat.substr(close + 1));
    std::vector<std::string> fields;
    for (std::string f; in >> f;) fields.push_back(f);
    return fields.size() >= 20 ? fields : std::vector<std::string>{};
}

bool still_there(const Seen& p) {
    const auto fields = stat_fields(p.pid);
    return !fields.empty() && fields[19] == p.start && fields[0] != "Z";
}

// The marker's processes and every ancestor below the agent (the agent is
// this test's child): the command, the namespace init and P0 for strict.
std::vector<Seen> run_processes(const std::string& marker) {
    std::vector<Seen> out;
    for (pid_t pid : processes_with_arg(marker)) {
        for (int depth = 0; pid > 1 && depth < 8; ++depth) {
            const auto fields = stat_fields(pid);
            if (fields.empty()) break;
            const pid_t parent = static_cast<pid_t>(std::stol(fields[1]));
            if (parent == ::getpid()) break;  // the agent itself
            Seen seen{pid, fields[19], marker + " (depth " + std::to_string(depth) + ")"};
            bool known = false;
            for (const Seen& s : out) known = known || s.pid == pid;
            if (!known) out.push_back(seen);
            pid = parent;
        }
    }
    return out;
}

std::string entry(const Case& c) {
    return std::string("{name: tree-") + c.sandbox + "-" + c.user +
           ", path: /bin/sh, args: [\"-c\", \"sleep $0 & exec sleep $0\"], "
           "arg_rules: [{regex: '^47[.][0-9]{1,12}$'}], run_as: " +
           c.user + (std::string(c.user) == "root" ? ", allow_root: true" : "") +
           ", sandbox: " + c.sandbox + "}";
}

}  // namespace

TEST_CASE("kill -9 of the agent: no process of a run survives, interrupted once they are gone",
          "[integration][orphans]") {
    if (::geteuid() != 0) {
        WARN("not running as root: orphan test skipped (run_as needs a root agent)");
        return;
    }
    std::vector<Case> cases;
    int n = 0;
    for (const char* sandbox : {"none", "standard", "strict"}) {
        for (const char* user : {"root", "nobody"}) {
            const std::string marker = "47." + std::to_string(::getpid()) + std::to_string(++n);
            cases.push_back({sandbox, user, marker, std::string("orphan-") + sandbox + "-" + user});
        }
    }
    Rig rig;
    for (const Case& c : cases) rig.agent.add_command(entry(c));
    rig.agent.set("executor", "max_concurrent", "8");
    rig.start_online();

    const std::size_t from = rig.hub.mark();
    for (const Case& c : cases) {
        rig.hub.command(
            "send-type execute {\"request_id\":" + json_quote(c.request_id) +
            ",\"command\":" + json_quote(std::string("tree-") + c.sandbox + "-" + c.user) +
            ",\"args\":[" + json_quote(c.marker) + "],\"timeout_ms\":30000}");
    }
    for (const Case& c : cases) {
        const Event& ack = rig.hub.expect_event(
            [&](const Event& e) {
                return e.is_message("command_ack") && e.str("/msg/data/request_id") == c.request_id;
            },
            kEventLimit, from, "command_ack of " + c.request_id);
        INFO(c.request_id << ": " << ack.line());
        REQUIRE(ack.str("/msg/data/state") == "accepted");
    }
    // Both sleeps of every run up (the command and the one it forked).
    std::vector<Seen> before;
    const auto deadline = Clock::now() + kEventLimit;
    for (const Case& c : cases) {
        while (processes_with_arg(c.marker).size() < 2 && Clock::now() < deadline)
            rig.hub.idle(20ms);
        INFO(c.request_id << " did not start both sleeps");
        REQUIRE(processes_with_arg(c.marker).size() == 2);
        for (const Seen& s : run_processes(c.marker)) before.push_back(s);
    }
    // Strict adds the namespace init and P0 above its command.
    CHECK(before.size() >= cases.size() * 2 + 4);

    rig.agent.kill();
    const std::size_t restart_from = rig.hub.mark();
    rig.agent.start(rig.hub);
    for (const Case& c : cases) {
        const Event& result = rig.hub.expect_event(
            [&](const Event& e) {
                return e.is_message("command_result") &&
                       e.str("/msg/data/request_id") == c.request_id;
            },
            kFirstOnline, restart_from, "command_result of " + c.request_id);
        // Read at once: the agent sent this only after its start-up killed
        // what was left, so nothing may be left now.
        std::vector<std::string> alive;
        for (const Seen& s : before)
            if (still_there(s)) alive.push_back(s.what + " pid " + std::to_string(s.pid));
        for (const Case& other : cases)
            for (pid_t pid : processes_with_arg(other.marker))
                alive.push_back(other.marker + " pid " + std::to_string(pid));
        INFO(c.sandbox << " as " << c.user << ": " << result.line());
        CHECK(result.str("/msg/data/state") == "interrupted");
        const std::string reason = result.str("/msg/data/reason").value_or("");
        CHECK(reason.rfind("agent restarted while the command was running; ", 0) == 0);
        CHECK((reason.find("were killed") != std::string::npos ||
               reason.find("was killed") != std::string::npos ||
               reason.find("no process") != std::string::npos));
        CHECK(reason.find("still there") == std::string::npos);
        INFO("alive when the result arrived: " << alive.size());
        for (const std::string& a : alive) UNSCOPED_INFO(a);
        CHECK(alive.empty());
    }
    // A failed run of this test leaves nothing behind either.
    for (const Seen& s : before)
        if (still_there(s)) ::kill(s.pid, SIGKILL);
}
