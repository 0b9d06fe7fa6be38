// Per-environment data: the addon is context-aware, so each main thread / worker_thread / Electron
// context gets its own constructors instead of sharing process-wide statics.
#pragma once

#include <napi.h>

namespace lgbm_node {

struct AddonData {
  Napi::FunctionReference booster;
  Napi::FunctionReference dataset;
  Napi::FunctionReference rowPredictor;
  Napi::FunctionReference outputConverter;
  Napi::FunctionReference tableWalk;
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace lgbm_node
