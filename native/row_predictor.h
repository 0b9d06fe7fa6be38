// RowPredictor: the single-row hot path. One FastConfig (LGBM_BoosterPredictForMatSingleRowFastInit)
// bound to two buffers that JS owns and reuses: JS copies a row into `input`, calls run(), reads `output`.
// runMany(data, nrow) loops the same FastConfig over the rows of a small matrix in one call: for a few
// rows that beats LGBM_BoosterPredictForMat, which builds a Predictor and parses its parameters on every
// call (~8 µs, measured: more than five predictions of the shipped model).
// run() takes no arguments and is a plain Node-API callback (no ObjectWrap unwrap, no C++ exception
// machinery): a call costs one N-API transition, no type checks and no allocation. This is what keeps
// predictRow close to calling SingleRowFast from C++.
#pragma once

#include <napi.h>

#include <memory>

#include "booster_state.h"
#include "external_memory.h"

namespace lgbm_node {

// What run() needs, shared by the predictor object and its run function (which may outlive it):
// `fast` is null once the predictor is disposed or collected, and run() then throws.
struct RunCell {
  FastConfigHandle fast = nullptr;
  const double* in = nullptr;
  double* out = nullptr;
};

class RowPredictor : public Napi::ObjectWrap<RowPredictor> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new RowPredictor(booster, type, startIteration, numIterations, input: Float64Array, output: Float64Array)
  explicit RowPredictor(const Napi::CallbackInfo& info);
  ~RowPredictor() override;

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  // runMany(data: Float64Array, nrow): Float64Array of nrow * width values
  Napi::Value RunMany(const Napi::CallbackInfo& info);
  void Release();

  std::shared_ptr<BoosterState> state_;  // keeps the booster alive while this predictor exists
  std::shared_ptr<RunCell> cell_ = std::make_shared<RunCell>();
  int64_t width_ = 0;                    // values per row of output
  Napi::ObjectReference input_, output_;  // keep the buffers (and so the raw pointers) alive
  ExternalMemory memory_;                 // the FastConfig (a Config and a predictor), reported to V8
};

}  // namespace lgbm_node
