// Per-environment data: the addon is context-aware, so each main thread / worker_thread / Electron
// context gets its own constructors instead of sharing process-wide statics.
#pragma once

#include <napi.h>

#include "row_loan.h"

namespace lgbm_node {

struct AddonData {
  Napi::FunctionReference booster;
  Napi::FunctionReference dataset;
  Napi::FunctionReference rowPredictor;
  Napi::FunctionReference outputConverter;
  Napi::FunctionReference tableWalk;

  // rows this environment lent to worker threads end before its arrays are freed
  ~AddonData() { EndLoansOf(this); }
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace lgbm_node
