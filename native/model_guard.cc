#include "model_guard.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace lgbm_node {

std::string CheckModelText(const std::string& text) {
  if (text.empty()) return "the model is empty";
  if (text.find('\0') != std::string::npos) return "the model contains NUL bytes: not a LightGBM text model";
  size_t first = text.compare(0, 6, "Tree=0") == 0 ? 0 : text.find("\nTree=0");
  if (first == std::string::npos) return "the model has no trees (no \"Tree=0\"): truncated or not a model file";
  if (first != 0) first += 1;
  size_t end = text.find("end of trees", first);
  if (end == std::string::npos) return "the model is truncated: \"end of trees\" is missing";

  // tree_sizes in the header gives the byte length of each tree's block; LightGBM seeks with them.
  std::string header = text.substr(0, first);
  size_t ts = header.find("\ntree_sizes=");
  if (ts == std::string::npos) return "";
  size_t lineEnd = header.find('\n', ts + 1);
  std::istringstream sizes(header.substr(ts + 12, lineEnd == std::string::npos ? std::string::npos : lineEnd - ts - 12));
  size_t offset = first;
  long long size = 0;
  int i = 0;
  while (sizes >> size) {
    std::string expect = "Tree=" + std::to_string(i);
    if (size <= 0 || offset + expect.size() > end || text.compare(offset, expect.size(), expect) != 0) {
      return "the model is corrupt or truncated: tree " + std::to_string(i) + " is not where tree_sizes says";
    }
    offset += static_cast<size_t>(size);
    i++;
  }
  if (offset != end) return "the model is corrupt: tree_sizes does not add up to the trees section";
  return "";
}

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "could not open " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error = "could not read " + path;
    return false;
  }
  *out = ss.str();
  return true;
}

}  // namespace lgbm_node
