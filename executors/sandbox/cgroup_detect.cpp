// detect_cgroups: which cgroup hierarchies this process is in and which the
// agent may use, read from /proc/self/cgroup and /proc/self/mountinfo.
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "executors/sandbox/cgroup.hpp"
#include "executors/sandbox/small_file.hpp"

namespace outpost::executors {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(s);
    while (std::getline(in, part, sep)) out.push_back(part);
    return out;
}

bool contains_token(const std::string& list, const std::string& token) {
    for (const auto& t : split(list, ','))
        if (t == token) return true;
    return false;
}

// Where a hierarchy's mount shows the agent's own cgroup: the mount point
// plus the own path relative to the mount's root (containers mount subtrees).
std::optional<std::string> own_dir(const std::string& mount_point, const std::string& mount_root,
                                   const std::string& own_path) {
    if (own_path.rfind(mount_root, 0) != 0) return std::nullopt;
    std::string rest = own_path.substr(mount_root == "/" ? 0 : mount_root.size());
    if (rest == "/") rest.clear();
    return mount_point + rest;
}

}  // namespace

CgroupSupport detect_cgroups(const std::string& mountinfo_file,
                             const std::string& self_cgroup_file) {
    CgroupSupport support;
    std::string v2_own;
    std::map<std::string, std::string> v1_own;  // controller -> own path
    {
        std::ifstream in(self_cgroup_file);
        std::string line;
        while (std::getline(in, line)) {
            const auto first = line.find(':');
            const auto second = line.find(':', first + 1);
            if (first == std::string::npos || second == std::string::npos) continue;
            const std::string controllers = line.substr(first + 1, second - first - 1);
            const std::string path = line.substr(second + 1);
            if (line.substr(0, first) == "0" && controllers.empty()) v2_own = path;
            for (const auto& c : split(controllers, ',')) v1_own[c] = path;
        }
    }
    std::ifstream in(mountinfo_file);
    std::string line;
    while (std::getline(in, line)) {
        // id parent dev root mountpoint options [optional...] - fstype source superoptions
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        const auto head = split(line.substr(0, dash), ' ');
        const auto tail = split(line.substr(dash + 3), ' ');
        if (head.size() < 5 || tail.size() < 3) continue;
        const std::string& root = head[3];
        const std::string& point = head[4];
        if (tail[0] == "cgroup2") {
            if (support.v2_dir || v2_own.empty()) continue;
            support.v2_dir = own_dir(point, root, v2_own);
            if (!support.v2_dir) continue;
            for (const auto& c : split(read_file(*support.v2_dir + "/cgroup.controllers"), ' ')) {
                std::string name = c;
                while (!name.empty() && (name.back() == '\n' || name.back() == ' '))
                    name.pop_back();
                if (!name.empty()) support.v2_controllers.insert(name);
            }
            support.v2_kill = ::access((*support.v2_dir + "/cgroup.kill").c_str(), W_OK) == 0;
        } else if (tail[0] == "cgroup") {
            const std::string& opts = tail[2];
            auto pick = [&](const char* controller, std::optional<std::string>& slot) {
                if (!slot && contains_token(opts, controller) && v1_own.contains(controller))
                    slot = own_dir(point, root, v1_own[controller]);
            };
            pick("pids", support.v1_pids_dir);
            pick("memory", support.v1_memory_dir);
            pick("freezer", support.v1_freezer_dir);
        }
    }
    return support;
}

}  // namespace outpost::executors
