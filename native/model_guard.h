// Structural checks on model text before LightGBM parses it. LightGBM 4.7 trusts the header's
// tree_sizes and reads past the end of a truncated model (measured here: abort or garbage), and it
// loads a model with no trees without complaint. These checks turn both into clear errors.
#pragma once

#include <string>

namespace lgbm_node {

// Empty string when the text looks complete; otherwise what is wrong with it.
std::string CheckModelText(const std::string& text);

// Reads a whole file; on failure returns false with the reason in *error.
bool ReadFile(const std::string& path, std::string* out, std::string* error);

}  // namespace lgbm_node
