// The LightGBM booster handle and what hangs off it, shared by the JS object and in-flight async work
// so that dispose() or GC during an async predict frees the handle only when that work is done.
#pragma once

#include <memory>
#include <vector>

#include "dataset.h"
#include "lightgbm_c_api.h"

namespace lgbm_node {

struct BoosterState {
  BoosterHandle handle = nullptr;
  int numFeatures = 0;
  // Training data must outlive the booster: LightGBM keeps pointers to it.
  std::vector<std::shared_ptr<DatasetState>> datasets;

  ~BoosterState() {
    if (handle) LGBM_BoosterFree(handle);
  }
};

}  // namespace lgbm_node
