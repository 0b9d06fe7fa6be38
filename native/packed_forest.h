// PackedForest: LightGBM's tree traversal (Tree::GetLeaf / Tree::Decision, GBDT::PredictRaw and the
// objective's ConvertOutput) over the packed preorder layout that the js engine builds
// (src/engines/js/layout.ts): one 16-byte record per node and leaf, a node's left child next to it.
//
// Why by hand, beside LightGBM: for a few rows LightGBM's own path is dominated by per-row work around
// the trees (building a feature vector from the row, clearing it again) and by its scattered per-tree
// arrays, which the HTTP work between two micro-batches evicts from cache. On the shipped model this
// loop takes about 1.2 us a row against 2.7 us for LGBM_BoosterPredictForMatSingleRowFast. The values
// are LightGBM's bit for bit (test/native-zoo.test.ts checks every zoo model against LightGBM); models
// with linear leaves, and leaf / SHAP outputs, stay on LightGBM.
//
// The layout is copied and checked at construction (children after their parent, indices in range),
// so no input can make the loop read out of bounds or run forever.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

namespace lgbm_node {

class PackedForest : public Napi::ObjectWrap<PackedForest> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new PackedForest(records: Float64Array (2 doubles a record), roots: Int32Array, catStart: Int32Array,
  //                  catWords: Int32Array, catBits: Uint32Array, numFeatures, treesPerIteration,
  //                  transform: number (TRANSFORM_* in src/native/binding.ts), sigmoid, averageOutput)
  explicit PackedForest(const Napi::CallbackInfo& info);

  // predict(data: Float64Array, nrow, out: Float64Array, raw: boolean): writes nrow * treesPerIteration values
  Napi::Value Predict(const Napi::CallbackInfo& info);
  // dispose(): frees the trees now (the finalizer would later); predict() then throws.
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  enum Transform { kIdentity = 0, kSigmoid = 1, kSigmoidPerClass = 2, kSoftmax = 3, kLog1pExp = 4, kExp = 5, kSignSquare = 6 };

 private:
  struct Record {
    double value;    // threshold, or the leaf value
    int32_t right;   // record of the right child (leaf: its leaf index)
    int32_t fk;      // (feature << 3) | kind
  };

  const Record* LeafOf(const double* row, int32_t n) const;
  void ConvertOutput(double* out) const;

  std::vector<Record> records_;
  std::vector<int32_t> roots_;
  std::vector<int32_t> catStart_, catWords_;
  std::vector<uint32_t> catBits_;
  int32_t numFeatures_ = 0;
  int32_t k_ = 1;
  int transform_ = kIdentity;
  double sigmoid_ = 1.0;
  bool averageOutput_ = false;
  bool disposed_ = false;
};

}  // namespace lgbm_node
