// The "baton" of an async batch predict: everything the worker thread needs, owned for the whole call.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "booster_state.h"
#include "predict_args.h"

namespace lgbm_node {

class PredictWorker : public Napi::AsyncWorker {
 public:
  PredictWorker(Napi::Env env, std::shared_ptr<BoosterState> state, PredictArgs args, Napi::Float64Array input,
                Napi::Float64Array output);
  Napi::Promise Promise() { return deferred_.Promise(); }

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
  Napi::Promise::Deferred deferred_;
};

}  // namespace lgbm_node
