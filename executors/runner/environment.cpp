#include "executors/runner/environment.hpp"

namespace outpost::executors {
namespace {

bool dropped(const std::string& name) {
    if (name.empty() || name.find('=') != std::string::npos || name.find('\0') != std::string::npos)
        return true;
    if (name.rfind("LD_", 0) == 0) return true;  // loader injection
    return name == "BASH_ENV" || name == "ENV" || name == "PATH" || name == "LANG" ||
           name == "HOME";
}

}  // namespace

std::vector<std::string> build_environment(
    const std::vector<std::pair<std::string, std::string>>& given, const std::string& home) {
    std::vector<std::string> env;
    for (const auto& [name, value] : given) {
        if (dropped(name) || value.find('\0') != std::string::npos) continue;
        env.push_back(name + "=" + value);
    }
    env.push_back(std::string("PATH=") + kFixedPath);
    env.push_back(std::string("LANG=") + kFixedLang);
    env.push_back("HOME=" + home);
    return env;
}

}  // namespace outpost::executors
