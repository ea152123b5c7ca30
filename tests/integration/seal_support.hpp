#pragma once
// What the sealed-message tests (protocol.md §8) share: a server seal key
// made by `outpost-hub gen-seal-key`, the hub options that load it, the
// agent's side effects and journal, and commands as hub control lines.

#include <string>
#include <vector>

#include "agent.hpp"
#include "command_events.hpp"
#include "hub.hpp"
#include "support.hpp"

namespace outpost::integration {

// A server X25519 key pair: the private key in a 0600 file for the hub's
// --seal-key, the public key (base64url) for the agent's
// security.server_seal_key.
struct SealKey {
    explicit SealKey(const TempDir& dir, const std::string& name = "seal.key");
    std::string file;
    std::string public_key;
};

// HubOptions with `--seal-key key.file` (and anything in `extra`).
HubOptions sealed_hub(const SealKey& key, std::vector<std::string> extra = {});

// The append helper (outpost-test-append) where the allow-list trusts it,
// as entry `append` writing its first argument to `side_file`. usable() is
// false (with a warning) when the agent cannot run it here (not root, or a
// build tree the allow-list does not trust).
struct AppendEntry {
    explicit AppendEntry(const TempDir& dir);
    [[nodiscard]] bool usable() const;
    [[nodiscard]] std::string entry() const;
    // Lines of the side-effect file equal to `word`.
    [[nodiscard]] std::size_t count(const std::string& word) const;

    TrustedProgram program;
    std::string side_file;
};

// Whether the stopped agent's journal holds a record of `request_id`
// (opened with the journal's own API).
bool journal_knows(const Agent& agent, const std::string& request_id);

}  // namespace outpost::integration
