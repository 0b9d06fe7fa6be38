// Module entry. Node-API modules are context-aware: Init runs once per environment (main thread, each
// worker_thread, Electron contexts), and each environment keeps its own constructors in AddonData.
#include <napi.h>

#include "addon_data.h"
#include "booster.h"
#include "dataset.h"
#include "log_capture.h"
#include "output_converter.h"
#include "row_loan.h"
#include "row_predictor.h"
#include "stderr_hook.h"
#include "table_walk.h"

namespace lgbm_node {
namespace {

Napi::Value TakeLogs(const Napi::CallbackInfo& info) {
  auto lines = TakeLogLines();
  Napi::Array arr = Napi::Array::New(info.Env(), lines.size());
  for (size_t i = 0; i < lines.size(); i++) arr.Set(static_cast<uint32_t>(i), lines[i]);
  return arr;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallLogCallback();
  RouteLightGBMStderr();
  auto* data = new AddonData();
  data->booster = Napi::Persistent(Booster::Init(env));
  data->dataset = Napi::Persistent(Dataset::Init(env));
  data->rowPredictor = Napi::Persistent(RowPredictor::Init(env));
  data->outputConverter = Napi::Persistent(OutputConverter::Init(env));
  data->tableWalk = Napi::Persistent(TableWalk::Init(env));
  env.SetInstanceData(data);  // deleted by node-addon-api when this environment is torn down
  exports.Set("Booster", data->booster.Value());
  exports.Set("Dataset", data->dataset.Value());
  exports.Set("RowPredictor", data->rowPredictor.Value());
  exports.Set("OutputConverter", data->outputConverter.Value());
  exports.Set("TableWalk", data->tableWalk.Value());
  exports.Set("takeLogs", Napi::Function::New<TakeLogs>(env, "takeLogs"));
  exports.Set("lendRows", Napi::Function::New<LendRows>(env, "lendRows"));
  exports.Set("endLoan", Napi::Function::New<EndLoan>(env, "endLoan"));
  exports.Set("copyLent", Napi::Function::New<CopyLent>(env, "copyLent"));
  exports.Set("lendOutput", Napi::Function::New<LendOutput>(env, "lendOutput"));
  exports.Set("copyToLent", Napi::Function::New<CopyToLent>(env, "copyToLent"));
  exports.Set("openLoans", Napi::Function::New<OpenLoans>(env, "openLoans"));
  return exports;
}

}  // namespace
}  // namespace lgbm_node

static Napi::Object InitLightGBMNode(Napi::Env env, Napi::Object exports) { return lgbm_node::Init(env, exports); }

NODE_API_MODULE(lightgbm_node, InitLightGBMNode)
