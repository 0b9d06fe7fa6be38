// Routes the lines LightGBM prints to stderr itself (Log::Fatal) into our log capture.
#pragma once

namespace lgbm_node {

// Points lib_lightgbm's fprintf at a router, once per process; returns the number of slots patched
// (0: nothing changed, LightGBM keeps printing its [Fatal] lines to stderr).
int RouteLightGBMStderr();

}  // namespace lgbm_node
