#include "log_capture.h"

#include <deque>
#include <mutex>

#include "lightgbm_c_api.h"

namespace lgbm_node {
namespace {

constexpr size_t kMaxLines = 1000;
std::mutex g_mutex;
std::deque<std::string> g_lines;
std::string g_partial;  // LightGBM may log a line in pieces; join until the newline.

}  // namespace

void CaptureLogLine(const char* msg) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_partial += msg;
  size_t nl;
  while ((nl = g_partial.find('\n')) != std::string::npos) {
    std::string line = g_partial.substr(0, nl);
    g_partial.erase(0, nl + 1);
    if (line.empty()) continue;
    g_lines.push_back(std::move(line));
    if (g_lines.size() > kMaxLines) g_lines.pop_front();
  }
}

namespace {
void OnLog(const char* msg) { CaptureLogLine(msg); }
}  // namespace

void InstallLogCallback() {
  thread_local bool registered = false;
  if (!registered) {
    LGBM_RegisterLogCallback(OnLog);
    registered = true;
  }
}

std::vector<std::string> TakeLogLines() {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::vector<std::string> out(g_lines.begin(), g_lines.end());
  g_lines.clear();
  return out;
}

}  // namespace lgbm_node
