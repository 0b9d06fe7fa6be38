// The baseline for the SDK's speed targets: LightGBM's C API called directly from C++, on the same
// model and the same row-major float64 buffer the JS bench uses (read from a file it writes).
//
//   direct_bench <model.txt> <rows.f64> <ncol> batch <nrow> <reps> <threads>
//   direct_bench <model.txt> <rows.f64> <ncol> row <nrow> <reps>
// Prints one JSON line: {"mode", "nrow", "seconds", "calls", "rowsPerSec", "nsPerCall"}.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "lightgbm_c_api.h"

static void check(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s: %s\n", what, LGBM_GetLastError());
    std::exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: direct_bench model rows.f64 ncol batch|row nrow reps [threads]\n");
    return 2;
  }
  const std::string mode = argv[4];
  const int ncol = std::atoi(argv[3]);
  const int nrow = std::atoi(argv[5]);
  const int reps = std::atoi(argv[6]);
  const int threads = argc > 7 ? std::atoi(argv[7]) : 1;
  std::ifstream in(argv[2], std::ios::binary);
  std::vector<double> data(static_cast<size_t>(nrow) * ncol);
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(double)));
  if (!in) {
    std::fprintf(stderr, "could not read %d rows from %s\n", nrow, argv[2]);
    return 1;
  }
  BoosterHandle booster = nullptr;
  int iters = 0;
  check(LGBM_BoosterCreateFromModelfile(argv[1], &iters, &booster), "load");
  int64_t width = 0;
  check(LGBM_BoosterCalcNumPredict(booster, 1, C_API_PREDICT_NORMAL, 0, -1, &width), "calc");
  std::vector<double> out(static_cast<size_t>(width) * nrow);
  const std::string params = "num_threads=" + std::to_string(threads);
  int64_t len = 0;
  double sink = 0;
  using clock = std::chrono::steady_clock;
  clock::time_point t0;
  long long calls = 0;
  if (mode == "batch") {
    // one warm-up call, then timed reps
    check(LGBM_BoosterPredictForMat(booster, data.data(), C_API_DTYPE_FLOAT64, nrow, ncol, 1, C_API_PREDICT_NORMAL, 0,
                                    -1, params.c_str(), &len, out.data()),
          "predict");
    t0 = clock::now();
    for (int r = 0; r < reps; r++, calls++) {
      check(LGBM_BoosterPredictForMat(booster, data.data(), C_API_DTYPE_FLOAT64, nrow, ncol, 1, C_API_PREDICT_NORMAL,
                                      0, -1, params.c_str(), &len, out.data()),
            "predict");
      sink += out[0];
    }
  } else {
    FastConfigHandle fc = nullptr;
    check(LGBM_BoosterPredictForMatSingleRowFastInit(booster, C_API_PREDICT_NORMAL, 0, -1, C_API_DTYPE_FLOAT64, ncol,
                                                     "num_threads=1", &fc),
          "fast init");
    for (int i = 0; i < nrow; i++) check(LGBM_BoosterPredictForMatSingleRowFast(fc, &data[i * ncol], &len, out.data()), "row");
    t0 = clock::now();
    for (int r = 0; r < reps; r++) {
      for (int i = 0; i < nrow; i++, calls++) {
        check(LGBM_BoosterPredictForMatSingleRowFast(fc, &data[static_cast<size_t>(i) * ncol], &len, out.data()), "row");
        sink += out[0];
      }
    }
    LGBM_FastConfigFree(fc);
  }
  double seconds = std::chrono::duration<double>(clock::now() - t0).count();
  double rows = mode == "batch" ? static_cast<double>(nrow) * reps : static_cast<double>(calls);
  std::printf("{\"mode\":\"%s\",\"nrow\":%d,\"seconds\":%.6f,\"calls\":%lld,\"rowsPerSec\":%.1f,\"nsPerCall\":%.1f,\"sink\":%g}\n",
              mode.c_str(), nrow, seconds, calls, rows / seconds, seconds * 1e9 / calls, sink);
  LGBM_BoosterFree(booster);
  return 0;
}
