// PackedForest: LightGBM's tree traversal (Tree::GetLeaf / Tree::Decision, GBDT::PredictRaw and the
// objective's ConvertOutput) over the packed preorder layout that the js engine builds
// (src/engines/js/layout.ts): one 16-byte record per node and leaf, a node's left child next to it.
//
// Why by hand, beside LightGBM: for a few rows LightGBM's own path is dominated by per-row work around
// the trees (building a feature vector from the row, clearing it again) and by its scattered per-tree
// arrays, which the HTTP work between two micro-batches evicts from cache. On the shipped model this
// loop takes about 1 us a row against 1.4 us for LGBM_BoosterPredictForMatSingleRowFast. The values
// are LightGBM's bit for bit (test/native-zoo.test.ts checks every zoo model against LightGBM); models
// with linear leaves, and leaf / SHAP outputs, stay on LightGBM.
//
// The layout is copied and checked at construction (children after their parent, indices in range),
// so no input can make the loop read out of bounds or run forever.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "external_memory.h"

namespace lgbm_node {

// The trees and output conversion, immutable once built: shared by the JS object and any async call
// running on the thread pool, so dispose() during a call frees them only when the call is done.
struct Forest {
  struct Record {
    double value;    // threshold, or the leaf value
    int32_t right;   // record of the right child (leaf: its leaf index)
    int32_t fk;      // (feature << 3) | kind
  };
  enum Transform { kIdentity = 0, kSigmoid = 1, kSigmoidPerClass = 2, kSoftmax = 3, kLog1pExp = 4, kExp = 5, kSignSquare = 6 };

  std::vector<Record> records;
  std::vector<int32_t> roots;
  std::vector<int32_t> catStart, catWords;
  std::vector<uint32_t> catBits;
  int32_t numFeatures = 0;
  int32_t k = 1;
  int transform = kIdentity;
  double sigmoid = 1.0;
  bool averageOutput = false;
  // When every split is numerical with no zero-as-missing (kinds 0 and 1), the records again in a
  // form for rows without NaN, where each split is one comparison (see NumericLeafValue); else empty.
  struct NumericRecord {
    double value;        // threshold, or the leaf value
    int32_t featureByte;  // feature * 8 (the byte offset of its value in a row); -1 for a leaf
    int32_t rightByte;    // right child's record * 16 (its byte offset in numeric)
  };
  std::vector<NumericRecord> numeric;

  // nrow rows of numFeatures values at x to nrow * k values at out. Touches no JS value (thread-safe).
  void Predict(const double* x, int64_t nrow, double* out, bool raw) const;

 private:
  const Record* LeafOf(const double* row, int32_t n) const;
  double NumericLeafValue(const double* row, int32_t n) const;
  void ConvertOutput(double* out) const;
};

// The forest of a PackedForest, shared with the row functions made by bindRow (which may outlive the
// object): dispose() empties it, and they throw from then on.
struct ForestSlot {
  std::shared_ptr<const Forest> forest;
};

class PackedForest : public Napi::ObjectWrap<PackedForest> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new PackedForest(records: Float64Array (2 doubles a record), roots: Int32Array, catStart: Int32Array,
  //                  catWords: Int32Array, catBits: Uint32Array, numFeatures, treesPerIteration,
  //                  transform: number (PACKED_TRANSFORM in src/native/binding.ts), sigmoid, averageOutput)
  explicit PackedForest(const Napi::CallbackInfo& info);

 private:
  // predict(data: Float64Array, nrow, out: Float64Array, raw: boolean): writes nrow * treesPerIteration values
  Napi::Value Predict(const Napi::CallbackInfo& info);
  // predictAsync(data, nrow, out, raw, done): done(null, out) once computed on libuv's thread pool
  Napi::Value PredictAsync(const Napi::CallbackInfo& info);
  // bindRow(input: Float64Array, output: Float64Array, raw): a function run() that predicts the row in
  // `input` (numFeatures values) into `output` (treesPerIteration values). The single-row hot path, as
  // RowPredictor.run is for LightGBM's: a plain Node-API callback with no arguments to check or convert.
  // The function keeps both arrays alive; they must not be transferred (the engine never exposes them).
  Napi::Value BindRow(const Napi::CallbackInfo& info);
  // dispose(): drops the trees now (the finalizer would later; a running async call keeps its own
  // reference); predict() then throws.
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // Checks predict's arguments; returns the forest.
  const Forest& CheckArgs(const Napi::CallbackInfo& info, Napi::Float64Array& data, int64_t& nrow,
                          Napi::Float64Array& out);

  std::shared_ptr<ForestSlot> slot_ = std::make_shared<ForestSlot>();
  ExternalMemory memory_;  // the forest's arrays, reported to V8
};

}  // namespace lgbm_node
