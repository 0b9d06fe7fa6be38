// OutputConverter: the objective's ConvertOutput (GBDT::Predict after the raw scores: random forests
// average over the iterations, then each objective's transform), with the same libm calls as LightGBM.
//
// Why in C++: the compiled engine (src/compiled/, WebAssembly) computes LightGBM's raw scores bit for bit,
// but JavaScript's Math.exp and friends are not glibc's, and LightGBM's transformed outputs come from
// glibc's libm. Converting here keeps the native engine's normal outputs LightGBM's bit for bit.
#pragma once

#include <napi.h>

#include <cstdint>

namespace lgbm_node {

struct Conversion {
  enum Transform { kIdentity = 0, kSigmoid = 1, kSigmoidPerClass = 2, kSoftmax = 3, kLog1pExp = 4, kExp = 5, kSignSquare = 6 };
  int transform = kIdentity;
  double sigmoid = 1.0;
  int32_t k = 1;
  // > 0: divide each raw score by it first (random forests: the iterations used)
  double average = 0.0;

  // In place, on the k values at out.
  void Row(double* out) const;
};

class OutputConverter : public Napi::ObjectWrap<OutputConverter> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new OutputConverter(transform: number (TRANSFORM_CODE in src/native/binding.ts), sigmoid, k, average)
  explicit OutputConverter(const Napi::CallbackInfo& info);

 private:
  // convert(out: Float64Array, nrow): the first nrow * k values of out, in place
  Napi::Value Convert(const Napi::CallbackInfo& info);
  // bindRow(slot: Float64Array of k values): a function run() that converts slot in place; no arguments to
  // check on the single-row hot path. The function keeps the array (and its buffer) alive.
  Napi::Value BindRow(const Napi::CallbackInfo& info);

  Conversion conversion_;
};

}  // namespace lgbm_node
