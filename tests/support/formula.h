/* Deterministic "formula" parameter values for tests (not part of the library).
 *
 * The C twin of tests/gen/formula_weights.py; both produce bit-identical
 * float32 values, so fixtures generated in Python can be checked against a
 * model filled in C without committing any weight file.
 *
 *   splitmix64(x): x += 0x9E3779B97F4A7C15 (mod 2^64); z = x;
 *                  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
 *                  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
 *                  return z ^ (z >> 31)
 *   h    = FNV-1a 64 of the full name "{layer}/{param}"
 *          (offset 0xcbf29ce484222325, prime 0x100000001b3)
 *   u(k) = (splitmix64(h + k) >> 40) / 2^24, k = flat row-major index in the
 *          Keras layout, u in [0, 1)
 *   value (in double, then rounded to float32):
 *     kernel           (2u-1) * sqrt(3.0 / (shape[0]*shape[1]*shape[2]))
 *                      (Conv2D HWIO and Conv2DTranspose (kh,kw,cout,cin) alike)
 *     bias             0.1*(2u-1)
 *     gamma            0.5 + u
 *     beta             0.2*(2u-1)
 *     moving_mean      0.2*(2u-1)    (layer "bn_data": 100 + 50u)
 *     moving_variance  0.5 + u       (layer "bn_data": 3000 + 2000u)
 *
 * Test images use the same u() over a plain name: input[k] = float32(255 u(k))
 * with name "input" (tests/fixtures/parity_*.safetensors).
 */
#ifndef US_TEST_FORMULA_H
#define US_TEST_FORMULA_H

#include <stdint.h>

#include "unetseg.h"

uint64_t formula_splitmix64(uint64_t x);
uint64_t formula_fnv1a64(const char *text);
/* u(k) over the hash of `name` (any string, e.g. "input" or "conv0/kernel"). */
double formula_u(const char *name, int64_t k);

/* Value of element k of the parameter `param_name` ("{layer}/{param}") whose
 * Keras shape is shape[0..rank-1]. NAN for an unknown param suffix or a
 * kernel of rank < 3. */
float formula_value(const char *param_name, const int64_t *shape, int32_t rank, int64_t k);

/* Set every parameter tensor of `model` to its formula values. Returns
 * UNETSEG_OK, a status from the public API, or UNETSEG_E_UNSUPPORTED if a
 * parameter has no formula. */
int32_t formula_fill_model(unetseg_model *model);

/* Compare formula_value/formula_u with the table below; returns the number of
 * mismatches (0 = the C and Python implementations agree) and prints each
 * mismatch to stderr. */
int32_t formula_self_check(void);

/* Values printed by `python3 tests/gen/formula_weights.py`.
 * X(name, rank, d0, d1, d2, d3, k, expected float32) (unused dims are 1). */
#define FORMULA_SELF_CHECK(X)                                                                 \
    X("conv0/kernel", 4, 7, 7, 3, 64, 0, -0x1.28638p-5f)                     /* -0.0361802578 */ \
    X("conv0/kernel", 4, 7, 7, 3, 64, 9407, -0x1.cd09d6p-4f)                 /* -0.112558208 */  \
    X("stage1_unit1_conv1/kernel", 4, 3, 3, 64, 64, 12345, 0x1.1e8884p-4f)   /* 0.0699544102 */  \
    X("decoder_stage0a_transpose/kernel", 4, 4, 4, 256, 512, 100, 0x1.1cf6b4p-6f) /* 0.017392803 */ \
    X("final_conv/bias", 1, 1, 1, 1, 1, 0, 0x1.0bbeep-4f)                    /* 0.0653675795 */  \
    X("bn0/gamma", 1, 64, 1, 1, 1, 5, 0x1.83eaccp-1f)                        /* 0.757650733 */   \
    X("bn0/beta", 1, 64, 1, 1, 1, 63, -0x1.4e30a6p-3f)                       /* -0.163178727 */  \
    X("bn_data/beta", 1, 3, 1, 1, 1, 1, 0x1.5821p-7f)                        /* 0.0105019808 */  \
    X("bn_data/moving_mean", 1, 3, 1, 1, 1, 2, 0x1.e13ccap+6f)               /* 120.309364 */    \
    X("bn_data/moving_variance", 1, 3, 1, 1, 1, 0, 0x1.ea3598p+11f)          /* 3921.6748 */     \
    X("decoder_stage4b_bn/moving_mean", 1, 16, 1, 1, 1, 3, 0x1.a3b08p-4f)    /* 0.102463245 */   \
    X("decoder_stage4b_bn/moving_variance", 1, 16, 1, 1, 1, 15, 0x1.0127b4p+0f) /* 1.00451207 */

/* X(name, k, u(k) as double, float32(255 u(k))). */
#define FORMULA_SELF_CHECK_INPUT(X)                                                   \
    X("input", 0, 0x1.90a9fp-4, 0x1.8f1946p+4f)       /* u=0.0978183150, 24.9436703 */  \
    X("input", 1, 0x1.2e094p-3, 0x1.2cdb36p+5f)       /* u=0.147478580, 37.6070366 */   \
    X("input", 12287, 0x1.e2054cp-1, 0x1.e02346p+7f)  /* u=0.941446662, 240.068893 */

/* Known answers of the two primitives. */
#define FORMULA_CHECK_SPLITMIX64_OF_0 UINT64_C(0xe220a8397b1dcdaf)
#define FORMULA_CHECK_FNV1A64_CONV0_KERNEL UINT64_C(0x0face5f3d3a99c27) /* "conv0/kernel" */

#endif
