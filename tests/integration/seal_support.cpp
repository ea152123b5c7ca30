#include "seal_support.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "agent/journal/journal.hpp"

namespace outpost::integration {

SealKey::SealKey(const TempDir& dir, const std::string& name) : file(dir.file(name)) {
    ChildProcess gen(SpawnOptions({OUTPOST_HUB_BIN, "gen-seal-key", "--out", file}));
    auto status = gen.wait_exit(Clock::now() + 30s);
    INFO("outpost-hub gen-seal-key: " << gen.all_output(ChildProcess::Stream::err));
    REQUIRE(status);
    REQUIRE(describe_status(*status) == "exited with 0");
    public_key = gen.all_output(ChildProcess::Stream::out);
    while (!public_key.empty() && public_key.back() == '\n') public_key.pop_back();
    REQUIRE(public_key.size() == 43);  // 32 bytes, base64url without padding
}

HubOptions sealed_hub(const SealKey& key, std::vector<std::string> extra) {
    HubOptions o;
    o.extra = {"--seal-key", key.file};
    o.extra.insert(o.extra.end(), extra.begin(), extra.end());
    return o;
}

AppendEntry::AppendEntry(const TempDir& dir)
    : program(OUTPOST_APPEND_HELPER_BIN), side_file(dir.file("side-effects")) {}

bool AppendEntry::usable() const {
    if (::geteuid() != 0) {
        WARN("not running as root: sealed command tests skipped (run_as needs a root agent)");
        return false;
    }
    if (program.trusted()) return true;
    WARN("append helper not usable as an allow-listed program: " << program.why());
    return false;
}

std::string AppendEntry::entry() const {
    return "{name: append, path: " + program.path() + ", args: [" + side_file +
           "], arg_rules: [{regex: '^[A-Za-z0-9._:-]{1,128}$'}, {int_range: [0, 10000]}], "
           "run_as: root, allow_root: true, sandbox: none}";
}

std::size_t AppendEntry::count(const std::string& word) const {
    std::istringstream in(read_file(side_file));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line == word ? 1 : 0;
    return n;
}

bool journal_knows(const Agent& agent, const std::string& request_id) {
    REQUIRE_FALSE(agent.running());
    auto journal =
        journal::Journal::open(agent.state_dir() + "/journal.db", journal::SyncMode::full);
    REQUIRE(journal);
    auto record = journal->lookup(request_id);
    REQUIRE(record);
    return record->has_value();
}

}  // namespace outpost::integration
