// The baseline for the SDK's speed targets: LightGBM's C API called directly from C++, on the same
// model and the same row-major float64 buffer the JS bench uses (read from a file it writes).
//
//   direct_bench <model.txt> <rows.f64> <ncol> <nrow>
//
// It loads once, then serves timing rounds on request, so that bench/native.mjs can alternate short
// SDK and C++ rounds in the same seconds (this machine's noise swamps a 10% difference otherwise).
// Each stdin line asks for one round and gets one JSON line back:
//   row <reps> <n>             reps passes of LGBM_BoosterPredictForMatSingleRowFast over the first n rows
//   batch <reps> <threads> [n] [cycle]  reps calls of LGBM_BoosterPredictForMat on n rows (default all): the
//                              first n, or with cycle > n the next window of n among the first cycle rows
// -> {"mode", "seconds", "calls", "rowsPerSec", "nsPerCall", "sink"}
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
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
  if (argc != 5) {
    std::fprintf(stderr, "usage: direct_bench model.txt rows.f64 ncol nrow  (then rounds on stdin)\n");
    return 2;
  }
  const int ncol = std::atoi(argv[3]);
  const int nrow = std::atoi(argv[4]);
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
  FastConfigHandle fc = nullptr;
  check(LGBM_BoosterPredictForMatSingleRowFastInit(booster, C_API_PREDICT_NORMAL, 0, -1, C_API_DTYPE_FLOAT64, ncol,
                                                   "num_threads=1", &fc),
        "fast init");
  int64_t len = 0;
  // warm-up: the first rows once
  for (int i = 0; i < nrow && i < 1000; i++) check(LGBM_BoosterPredictForMatSingleRowFast(fc, &data[i * ncol], &len, out.data()), "row");

  using clock = std::chrono::steady_clock;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string mode;
    int reps = 1;
    int arg = 1;  // threads (batch) or rows (row)
    int n = nrow;
    words >> mode >> reps >> arg;
    if (!(words >> n) || n < 1 || n > nrow) n = nrow;
    int cycle = 0;  // batch: windows of n rows among the first `cycle` (a call never repeats the last one's rows)
    if (!(words >> cycle) || cycle > nrow) cycle = 0;
    const int windows = cycle > n ? cycle / n : 1;
    double sink = 0;
    long long calls = 0;
    double rows = 0;
    clock::time_point t0 = clock::now();
    if (mode == "batch") {
      const std::string params = "num_threads=" + std::to_string(arg);
      for (int r = 0; r < reps; r++, calls++) {
        const double* rows_at = data.data() + static_cast<size_t>(r % windows) * n * ncol;
        check(LGBM_BoosterPredictForMat(booster, rows_at, C_API_DTYPE_FLOAT64, n, ncol, 1, C_API_PREDICT_NORMAL,
                                        0, -1, params.c_str(), &len, out.data()),
              "predict");
        sink += out[0];
      }
      rows = static_cast<double>(n) * reps;
    } else if (mode == "row") {
      const int count = arg < 1 || arg > nrow ? nrow : arg;
      for (int r = 0; r < reps; r++) {
        for (int i = 0; i < count; i++, calls++) {
          check(LGBM_BoosterPredictForMatSingleRowFast(fc, &data[static_cast<size_t>(i) * ncol], &len, out.data()),
                "row");
          sink += out[0];
        }
      }
      rows = static_cast<double>(calls);
    } else {
      std::fprintf(stderr, "unknown round: %s\n", line.c_str());
      return 2;
    }
    double seconds = std::chrono::duration<double>(clock::now() - t0).count();
    std::printf(
        "{\"mode\":\"%s\",\"seconds\":%.6f,\"calls\":%lld,\"rowsPerSec\":%.1f,\"nsPerCall\":%.1f,\"sink\":%g}\n",
        mode.c_str(), seconds, calls, rows / seconds, seconds * 1e9 / calls, sink);
    std::fflush(stdout);
  }
  LGBM_FastConfigFree(fc);
  LGBM_BoosterFree(booster);
  return 0;
}
