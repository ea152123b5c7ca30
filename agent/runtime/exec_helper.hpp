#pragma once
// Finds outpost-exec-as, the program that lets a run change uid without the
// agent forking itself (executors/sandbox/exec_as/exec_as.cpp). It runs as
// root on the agent's behalf, so it is used only from a trusted location:
// it and every directory above it owned by root and not writable by group
// or others, as for allow-list programs — checked at start-up, and again
// before each run together with the file's identity, because the file
// system can change in between (an upgrade, a chmod).

#include <string>
#include <vector>

#include "executors/policy/trust.hpp"

namespace outpost::runtime {

class ExecHelper {
  public:
    // Looks next to the running executable (a build tree), then in
    // ../libexec/outpost/ relative to it (the installed layout, /usr/bin ->
    // /usr/libexec/outpost).
    [[nodiscard]] static ExecHelper find();
    // The same for a given list of candidates, in order. Each must pass the
    // trust check and run once in probe mode.
    [[nodiscard]] static ExecHelper find(const std::vector<std::string>& candidates);

    // Resolved; empty: none usable, runs that change uid fork.
    [[nodiscard]] const std::string& path() const { return path_; }
    // "<candidate>: <why>" for each candidate refused.
    [[nodiscard]] const std::vector<std::string>& refused() const { return refused_; }

    // For one run: path() if that is still trusted and still the file that
    // was probed; otherwise empty (the run forks) and, the first time, a
    // warning in the log.
    [[nodiscard]] std::string for_run();

  private:
    std::string path_;
    policy::TrustedFile checked_;  // the probed file's identity (device, inode, ctime)
    bool warned_ = false;
    std::vector<std::string> refused_;
};

}  // namespace outpost::runtime
