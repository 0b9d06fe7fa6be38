// The arguments shared by the batch predict calls, read and checked once on the JS thread.
#pragma once

#include <napi.h>

#include <string>

#include "args.h"
#include "booster_state.h"

namespace lgbm_node {

struct PredictArgs {
  const double* data = nullptr;
  int32_t nrow = 0;
  int32_t ncol = 0;
  int type = 0;
  int start = 0;
  int num = 0;
  std::string params;
  int64_t outLen = 0;  // values LightGBM will write
};

// predict(data: Float64Array, nrow, ncol, type, startIteration, numIterations, params)
PredictArgs ReadPredictArgs(const Napi::CallbackInfo& info, BoosterState& state, Napi::Float64Array* data);

}  // namespace lgbm_node
