#include "booster.h"

#include <string>
#include <vector>

#include "addon_data.h"
#include "args.h"
#include "errors.h"
#include "log_capture.h"
#include "model_guard.h"
#include "predict_args.h"
#include "predict_worker.h"

namespace lgbm_node {

Napi::Function Booster::Init(Napi::Env env) {
  return DefineClass(env, "Booster",
                     {
                         InstanceMethod<&Booster::NumFeatures>("numFeatures"),
                         InstanceMethod<&Booster::NumClasses>("numClasses"),
                         InstanceMethod<&Booster::NumTreePerIteration>("numTreePerIteration"),
                         InstanceMethod<&Booster::CurrentIteration>("currentIteration"),
                         InstanceMethod<&Booster::NumTotalModel>("numTotalModel"),
                         InstanceMethod<&Booster::FeatureNames>("featureNames"),
                         InstanceMethod<&Booster::LoadedParams>("loadedParams"),
                         InstanceMethod<&Booster::CalcNumPredict>("calcNumPredict"),
                         InstanceMethod<&Booster::Predict>("predict"),
                         InstanceMethod<&Booster::PredictAsync>("predictAsync"),
                         InstanceMethod<&Booster::AddValid>("addValid"),
                         InstanceMethod<&Booster::UpdateOneIter>("updateOneIter"),
                         InstanceMethod<&Booster::RollbackOneIter>("rollbackOneIter"),
                         InstanceMethod<&Booster::EvalNames>("evalNames"),
                         InstanceMethod<&Booster::GetEval>("getEval"),
                         InstanceMethod<&Booster::SaveModelToString>("saveModelToString"),
                         InstanceMethod<&Booster::FeatureImportance>("featureImportance"),
                         InstanceMethod<&Booster::Dispose>("dispose"),
                         InstanceAccessor<&Booster::IsDisposed>("disposed"),
                     });
}

// new Booster("file", path) | new Booster("string", modelText) | new Booster("train", dataset, params)
Booster::Booster(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Booster>(info) {
  Napi::Env env = info.Env();
  std::string mode = StringArg(info, 0, "mode");
  InstallLogCallback();
  state_ = std::make_shared<BoosterState>();
  int iterations = 0;
  if (mode == "file" || mode == "string") {
    // Files are read here and parsed from memory so the same structural checks guard both paths.
    std::string text;
    if (mode == "file") {
      std::string path = StringArg(info, 1, "path"), error;
      if (!ReadFile(path, &text, &error)) throw LightGBMError(env, "loading the model file: " + error);
    } else {
      text = StringArg(info, 1, "model");
    }
    std::string problem = CheckModelText(text);
    if (!problem.empty()) throw LightGBMError(env, "loading the model: " + problem);
    Check(env, LGBM_BoosterLoadModelFromString(text.c_str(), &iterations, &state_->handle), "loading the model");
    memory_.Report(env, LoadedBoosterBytes(text.size()));
  } else if (mode == "train") {
    auto ds = Dataset::StateOf(env, info[1], "dataset");
    std::string params = StringArg(info, 2, "params");
    Check(env, LGBM_BoosterCreate(ds->handle, params.c_str(), &state_->handle), "creating the booster");
    state_->datasets.push_back(ds);
  } else {
    throw ArgRangeError(env, "mode must be file, string or train, got \"" + mode + "\"");
  }
  Check(env, LGBM_BoosterGetNumFeature(state_->handle, &state_->numFeatures), "reading the number of features");
}

std::shared_ptr<BoosterState> Booster::StateOf(Napi::Env env, Napi::Value value, const char* name) {
  Napi::Function ctor = GetAddonData(env)->booster.Value();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(ctor)) {
    throw ArgTypeError(env, std::string(name) + " must be a Booster");
  }
  Booster* b = Booster::Unwrap(value.As<Napi::Object>());
  b->Live(env);
  return b->state_;
}

BoosterHandle Booster::Live(Napi::Env env) const {
  InstallLogCallback();
  if (!state_ || !state_->handle) {
    throw DisposedError(env);
  }
  return state_->handle;
}

namespace {

using IntGetter = int (*)(BoosterHandle, int*);

Napi::Value GetInt(const Napi::CallbackInfo& info, BoosterHandle h, IntGetter fn, const char* what) {
  int out = 0;
  Check(info.Env(), fn(h, &out), what);
  return Napi::Number::New(info.Env(), out);
}

// LightGBM's string-list getters: ask once, and again with bigger buffers if a string did not fit.
template <typename Fn>
Napi::Value StringList(Napi::Env env, int count, Fn&& call, const char* what) {
  size_t width = 256;
  for (int attempt = 0; attempt < 2; attempt++) {
    std::vector<std::vector<char>> bufs(count, std::vector<char>(width));
    std::vector<char*> ptrs;
    for (auto& b : bufs) ptrs.push_back(b.data());
    int outLen = 0;
    size_t needed = 0;
    Check(env, call(count, &outLen, width, &needed, ptrs.data()), what);
    if (needed <= width) {
      Napi::Array arr = Napi::Array::New(env, outLen);
      for (int i = 0; i < outLen; i++) arr.Set(i, Napi::String::New(env, ptrs[i]));
      return arr;
    }
    width = needed;
  }
  throw LightGBMError(env, std::string(what) + ": names did not fit the buffer");
}

}  // namespace

Napi::Value Booster::NumFeatures(const Napi::CallbackInfo& info) {
  return GetInt(info, Live(info.Env()), LGBM_BoosterGetNumFeature, "reading the number of features");
}
Napi::Value Booster::NumClasses(const Napi::CallbackInfo& info) {
  return GetInt(info, Live(info.Env()), LGBM_BoosterGetNumClasses, "reading the number of classes");
}
Napi::Value Booster::NumTreePerIteration(const Napi::CallbackInfo& info) {
  return GetInt(info, Live(info.Env()), LGBM_BoosterNumModelPerIteration, "reading trees per iteration");
}
Napi::Value Booster::CurrentIteration(const Napi::CallbackInfo& info) {
  return GetInt(info, Live(info.Env()), LGBM_BoosterGetCurrentIteration, "reading the iteration");
}
Napi::Value Booster::NumTotalModel(const Napi::CallbackInfo& info) {
  return GetInt(info, Live(info.Env()), LGBM_BoosterNumberOfTotalModel, "reading the number of trees");
}

Napi::Value Booster::FeatureNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BoosterHandle h = Live(env);
  return StringList(
      env, state_->numFeatures,
      [h](int len, int* outLen, size_t width, size_t* needed, char** strs) {
        return LGBM_BoosterGetFeatureNames(h, len, outLen, width, needed, strs);
      },
      "reading feature names");
}

Napi::Value Booster::EvalNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BoosterHandle h = Live(env);
  int count = 0;
  Check(env, LGBM_BoosterGetEvalCounts(h, &count), "reading the number of metrics");
  return StringList(
      env, count,
      [h](int len, int* outLen, size_t width, size_t* needed, char** strs) {
        return LGBM_BoosterGetEvalNames(h, len, outLen, width, needed, strs);
      },
      "reading metric names");
}

Napi::Value Booster::LoadedParams(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BoosterHandle h = Live(env);
  int64_t len = 0;
  Check(env, LGBM_BoosterGetLoadedParam(h, 0, &len, nullptr), "reading the model parameters");
  std::string buf(static_cast<size_t>(len), '\0');
  Check(env, LGBM_BoosterGetLoadedParam(h, len, &len, buf.data()), "reading the model parameters");
  if (!buf.empty() && buf.back() == '\0') buf.pop_back();
  return Napi::String::New(env, buf);
}

// calcNumPredict(nrow, type, startIteration, numIterations)
Napi::Value Booster::CalcNumPredict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BoosterHandle h = Live(env);
  int nrow = static_cast<int>(IntArg(info, 0, "nrow", 0, INT32_MAX));
  int type = static_cast<int>(IntArg(info, 1, "type", 0, 3));
  int start = static_cast<int>(IntArg(info, 2, "startIteration", 0, INT32_MAX));
  int num = static_cast<int>(IntArg(info, 3, "numIterations", INT32_MIN, INT32_MAX));
  int64_t out = 0;
  Check(env, LGBM_BoosterCalcNumPredict(h, nrow, type, start, num, &out), "computing the prediction size");
  return Napi::Number::New(env, static_cast<double>(out));
}

Napi::Value Booster::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  Napi::Float64Array input;
  PredictArgs a = ReadPredictArgs(info, *state_, &input);
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(a.outLen));
  if (a.nrow == 0) return out;
  int64_t len = 0;
  Check(env,
        LGBM_BoosterPredictForMat(state_->handle, a.data, C_API_DTYPE_FLOAT64, a.nrow, a.ncol, 1, a.type, a.start,
                                  a.num, a.params.c_str(), &len, out.Data()),
        "predicting");
  return out;
}

// predictAsync(data, nrow, ncol, type, start, num, params, done): done(err, out) on the JS thread.
Napi::Value Booster::PredictAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  if (!info[7].IsFunction()) throw ArgTypeError(env, "done must be a function");
  Napi::Function done = info[7].As<Napi::Function>();
  Napi::Float64Array input;
  PredictArgs a = ReadPredictArgs(info, *state_, &input);
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(a.outLen));
  if (a.nrow == 0) {
    done.Call({env.Null(), out});
    return env.Undefined();
  }
  auto* worker = new PredictWorker(done, state_, std::move(a), input, out);
  worker->Queue();  // the worker deletes itself when done, also when its environment is torn down
  return env.Undefined();
}

Napi::Value Booster::AddValid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BoosterHandle h = Live(env);
  auto ds = Dataset::StateOf(env, info[0], "dataset");
  Check(env, LGBM_BoosterAddValidData(h, ds->handle), "adding validation data");
  state_->datasets.push_back(ds);
  return env.Undefined();
}

Napi::Value Booster::UpdateOneIter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int finished = 0;
  Check(env, LGBM_BoosterUpdateOneIter(Live(env), &finished), "training one iteration");
  return Napi::Boolean::New(env, finished != 0);
}

Napi::Value Booster::RollbackOneIter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Check(env, LGBM_BoosterRollbackOneIter(Live(env)), "rolling back one iteration");
  return env.Undefined();
}

// getEval(dataIndex): 0 is the training data, 1.. the validation sets in the order added.
Napi::Value Booster::GetEval(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BoosterHandle h = Live(env);
  int idx = static_cast<int>(IntArg(info, 0, "dataIndex", 0, INT32_MAX));
  int count = 0;
  Check(env, LGBM_BoosterGetEvalCounts(h, &count), "reading the number of metrics");
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(count));
  int len = 0;
  Check(env, LGBM_BoosterGetEval(h, idx, &len, out.Data()), "evaluating");
  return out;
}

// saveModelToString(startIteration, numIterations, importanceType)
Napi::Value Booster::SaveModelToString(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BoosterHandle h = Live(env);
  int start = static_cast<int>(IntArg(info, 0, "startIteration", 0, INT32_MAX));
  int num = static_cast<int>(IntArg(info, 1, "numIterations", INT32_MIN, INT32_MAX));
  int importance = static_cast<int>(IntArg(info, 2, "importanceType", 0, 1));
  int64_t len = 0;
  Check(env, LGBM_BoosterSaveModelToString(h, start, num, importance, 0, &len, nullptr), "saving the model");
  std::string buf(static_cast<size_t>(len), '\0');
  Check(env, LGBM_BoosterSaveModelToString(h, start, num, importance, len, &len, buf.data()), "saving the model");
  if (!buf.empty() && buf.back() == '\0') buf.pop_back();
  return Napi::String::New(env, buf);
}

// featureImportance(numIterations, importanceType): 0 = split counts, 1 = total gain.
Napi::Value Booster::FeatureImportance(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BoosterHandle h = Live(env);
  int num = static_cast<int>(IntArg(info, 0, "numIterations", INT32_MIN, INT32_MAX));
  int type = static_cast<int>(IntArg(info, 1, "importanceType", 0, 1));
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(state_->numFeatures));
  Check(env, LGBM_BoosterFeatureImportance(h, num, type, out.Data()), "computing feature importance");
  return out;
}

// Releases this object's share of the handle now; async predicts in flight hold their own share,
// so the handle is freed (exactly once) when the last of them finishes. The finalizer does the same.
Napi::Value Booster::Dispose(const Napi::CallbackInfo& info) {
  state_.reset();
  memory_.Release();
  return info.Env().Undefined();
}

Napi::Value Booster::IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !state_);
}

}  // namespace lgbm_node
