// The LightGBM booster handle and what hangs off it, shared by the JS object and in-flight async work
// so that dispose() or GC during an async predict frees the handle only when that work is done.
#pragma once

#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "dataset.h"
#include "lightgbm_c_api.h"

namespace lgbm_node {

struct BoosterState {
  BoosterHandle handle = nullptr;
  int numFeatures = 0;
  // Single-row FastConfigs keyed by (predict type, start, num iterations). Each Booster object lives in
  // one JS thread, so this is one FastConfig per thread and per configuration; only that thread uses it.
  std::map<std::tuple<int, int, int>, FastConfigHandle> fast;
  // Training data must outlive the booster: LightGBM keeps pointers to it.
  std::vector<std::shared_ptr<DatasetState>> datasets;

  ~BoosterState() {
    for (auto& kv : fast) LGBM_FastConfigFree(kv.second);  // before the booster they point into
    if (handle) LGBM_BoosterFree(handle);
  }
};

}  // namespace lgbm_node
