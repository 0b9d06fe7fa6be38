// The "baton" of an async batch predict: everything the worker thread needs, owned for the whole call.
//
// It reports through a callback, not a promise: the JS side wraps it in a Promise. A promise made here
// (napi_create_promise) holds a handle that only resolving or rejecting frees, and neither can run
// once a worker_thread is being terminated, so every worker terminated during a predict leaked it
// (8 bytes, found by valgrind). A callback reference is freed with the worker whatever happens.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "booster_state.h"
#include "predict_args.h"

namespace lgbm_node {

class PredictWorker : public Napi::AsyncWorker {
 public:
  // done(err, out) is called on the JS thread when LightGBM has finished.
  PredictWorker(Napi::Function done, std::shared_ptr<BoosterState> state, PredictArgs args, Napi::Float64Array input,
                Napi::Float64Array output);

 protected:
  void Execute() override;  // worker thread: no JS values touched here
  void OnOK() override;
  void OnError(const Napi::Error& error) override;

 private:
  std::shared_ptr<BoosterState> state_;  // keeps the handle alive through dispose() and GC
  PredictArgs args_;
  Napi::ObjectReference input_;   // keeps the input buffer alive while LightGBM reads it
  Napi::ObjectReference output_;  // LightGBM writes straight into this buffer: no copy
  double* out_;
};

}  // namespace lgbm_node
