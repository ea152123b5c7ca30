#include "executors/runner/process_tree.hpp"

#include <dirent.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace outpost::executors {
namespace {

template <class F>
void for_each_member(pid_t leader, F&& f) {
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) return;
    while (const dirent* entry = ::readdir(dir)) {
        char* end = nullptr;
        const long pid = std::strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        std::ifstream in(std::string("/proc/") + entry->d_name + "/stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto paren = stat.rfind(')');
        if (paren == std::string::npos) continue;
        // After "(comm)": state ppid pgrp session ...
        std::istringstream fields(stat.substr(paren + 2));
        char state = 0;
        long ppid = 0, pgrp = 0, session = 0;
        fields >> state >> ppid >> pgrp >> session;
        if (state == 'Z') continue;
        if (pgrp == leader || session == leader) f(static_cast<pid_t>(pid));
    }
    ::closedir(dir);
}

}  // namespace

int kill_session(pid_t leader) {
    int count = 0;
    for_each_member(leader, [&](pid_t pid) {
        if (::kill(pid, SIGKILL) == 0) ++count;
    });
    return count;
}

bool session_alive(pid_t leader) {
    bool alive = false;
    for_each_member(leader, [&](pid_t) { alive = true; });
    return alive;
}

}  // namespace outpost::executors
