// Booster: a LightGBM model loaded from a file or string, or being trained on a Dataset.
#pragma once

#include <napi.h>

#include <memory>

#include "booster_state.h"
#include "external_memory.h"

namespace lgbm_node {

class Booster : public Napi::ObjectWrap<Booster> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Booster(const Napi::CallbackInfo& info);
  // The state of a JS value that must be a live Booster (checked with instanceof).
  static std::shared_ptr<BoosterState> StateOf(Napi::Env env, Napi::Value value, const char* name);

 private:
  // metadata
  Napi::Value NumFeatures(const Napi::CallbackInfo& info);
  Napi::Value NumClasses(const Napi::CallbackInfo& info);
  Napi::Value NumTreePerIteration(const Napi::CallbackInfo& info);
  Napi::Value CurrentIteration(const Napi::CallbackInfo& info);
  Napi::Value NumTotalModel(const Napi::CallbackInfo& info);
  Napi::Value FeatureNames(const Napi::CallbackInfo& info);
  Napi::Value LoadedParams(const Napi::CallbackInfo& info);
  Napi::Value CalcNumPredict(const Napi::CallbackInfo& info);
  // prediction
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value PredictAsync(const Napi::CallbackInfo& info);
  // training
  Napi::Value AddValid(const Napi::CallbackInfo& info);
  Napi::Value UpdateOneIter(const Napi::CallbackInfo& info);
  Napi::Value RollbackOneIter(const Napi::CallbackInfo& info);
  Napi::Value EvalNames(const Napi::CallbackInfo& info);
  Napi::Value GetEval(const Napi::CallbackInfo& info);
  Napi::Value SaveModelToString(const Napi::CallbackInfo& info);
  Napi::Value FeatureImportance(const Napi::CallbackInfo& info);
  // lifetime
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);

  BoosterHandle Live(Napi::Env env) const;

  std::shared_ptr<BoosterState> state_;
  ExternalMemory memory_;  // what LightGBM holds for a loaded model, reported to V8
};

}  // namespace lgbm_node
