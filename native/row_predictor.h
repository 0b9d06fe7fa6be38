// RowPredictor: the single-row hot path. One FastConfig (LGBM_BoosterPredictForMatSingleRowFastInit)
// bound to two buffers that JS owns and reuses: JS copies a row into `input`, calls run(), reads `output`.
// run() takes no arguments, so a call costs one N-API transition and no type checks or allocation:
// this is what keeps predictRow within a few percent of calling SingleRowFast from C++.
#pragma once

#include <napi.h>

#include <memory>

#include "booster_state.h"

namespace lgbm_node {

class RowPredictor : public Napi::ObjectWrap<RowPredictor> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new RowPredictor(booster, type, startIteration, numIterations, input: Float64Array, output: Float64Array)
  explicit RowPredictor(const Napi::CallbackInfo& info);
  ~RowPredictor() override;

 private:
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  void Release();

  std::shared_ptr<BoosterState> state_;  // keeps the booster alive while this predictor exists
  FastConfigHandle fast_ = nullptr;
  Napi::ObjectReference input_, output_;  // keep the buffers (and so the raw pointers) alive
  const double* in_ = nullptr;
  double* out_ = nullptr;
};

}  // namespace lgbm_node
