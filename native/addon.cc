// Module entry: a context-aware addon (Napi::Addon), so it loads in worker_threads and Electron.
#include <napi.h>

#include "addon_data.h"
#include "booster.h"
#include "dataset.h"
#include "log_capture.h"

namespace lgbm_node {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    InstallLogCallback();
    auto* data = new AddonData();
    data->booster = Napi::Persistent(Booster::Init(env));
    data->dataset = Napi::Persistent(Dataset::Init(env));
    env.SetInstanceData(data);  // deleted by node-addon-api when this environment is torn down
    DefineAddon(exports, {
                             InstanceValue("Booster", data->booster.Value()),
                             InstanceValue("Dataset", data->dataset.Value()),
                             InstanceMethod<&Addon::TakeLogs>("takeLogs"),
                         });
  }

 private:
  Napi::Value TakeLogs(const Napi::CallbackInfo& info) {
    auto lines = TakeLogLines();
    Napi::Array arr = Napi::Array::New(info.Env(), lines.size());
    for (size_t i = 0; i < lines.size(); i++) arr.Set(static_cast<uint32_t>(i), lines[i]);
    return arr;
  }
};

}  // namespace lgbm_node

using LightGBMNodeAddon = lgbm_node::Addon;
NODE_API_ADDON(LightGBMNodeAddon)
