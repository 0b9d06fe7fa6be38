// Timing harness of the gcc -O2 baseline (see generate.mjs), with the protocol of
// bench/native/direct_bench.cc so the bench can alternate its rounds with the SDK's:
//   harness <rows.f64> <nrow>       then one round per stdin line, one JSON line back:
//   batch <reps> <n> [cycle]  reps passes over n rows, as one batch call would (predict per row): the first
//                      n, or with cycle > n the next window of n among the first cycle rows
//   row <reps> <n>     the same, counted as n single-row calls
//   dump <n>           the outputs of the first n rows (raw then normal), as hex bit patterns
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void predict(const double* x, double* out);
extern void predict_raw(const double* x, double* out);
extern const int kNumFeatures, kNumOutputs;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: harness rows.f64 nrow\n");
    return 2;
  }
  const long nrow = atol(argv[2]);
  const int nf = kNumFeatures, k = kNumOutputs;
  double* data = malloc(sizeof(double) * nrow * nf);
  double* out = malloc(sizeof(double) * nrow * k);
  FILE* f = fopen(argv[1], "rb");
  if (!f || fread(data, sizeof(double), nrow * nf, f) != (size_t)(nrow * nf)) {
    fprintf(stderr, "could not read %ld rows from %s\n", nrow, argv[1]);
    return 1;
  }
  fclose(f);
  char line[256], mode[32];
  while (fgets(line, sizeof line, stdin)) {
    long reps = 1, n = 1, cycle = 0;
    if (sscanf(line, "%31s %ld %ld %ld", mode, &reps, &n, &cycle) < 2) n = reps;
    if (n < 1 || n > nrow) n = nrow;
    if (cycle > nrow) cycle = 0;
    const long windows = cycle > n ? cycle / n : 1;
    if (strcmp(mode, "dump") == 0) {
      for (long r = 0; r < reps && r < nrow; r++) {
        double o[64];
        predict_raw(data + r * nf, o);
        for (int c = 0; c < k; c++) printf("%016llx ", (unsigned long long)*(uint64_t*)&o[c]);
        predict(data + r * nf, o);
        for (int c = 0; c < k; c++) printf("%016llx ", (unsigned long long)*(uint64_t*)&o[c]);
        printf("\n");
      }
      printf("end\n");
      fflush(stdout);
      continue;
    }
    double sink = 0;
    const double t0 = now();
    for (long rep = 0; rep < reps; rep++) {
      const double* x = data + (rep % windows) * n * nf;
      for (long r = 0; r < n; r++) predict(x + r * nf, out + r * k);
      sink += out[0];
    }
    const double s = now() - t0;
    const double rows = (double)reps * n;
    printf("{\"mode\":\"%s\",\"seconds\":%.6f,\"calls\":%ld,\"rowsPerSec\":%.1f,\"nsPerRow\":%.2f,\"sink\":%g}\n", mode, s,
           strcmp(mode, "row") == 0 ? (long)rows : reps, rows / s, s * 1e9 / rows, sink);
    fflush(stdout);
  }
  return 0;
}
