/* The fast convolution paths against a float64 direct convolution computed
 * here: Winograd F(4x4, 3x3), im2col + GEMM, the narrow kernel for 1-4
 * output channels, and the narrow GEMM against OpenBLAS. Odd and even
 * sizes, 'same'/'valid'/asymmetric padding, strides, batch, bias and the
 * fused epilogue. */
#include <math.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "core/parallel.h"
#include "ops/ops.h"
#include "support/test_support.h"

static float value(int64_t i, double f) { return (float)sin(f * (double)i + 0.3); }

typedef int32_t (*conv_fn)(const us_conv_geom *, const float *, const float *, const float *,
                           const us_conv_epilogue *, float *);

/* y = epilogue(conv(x, k) + bias) in float64, straight from the definition. */
static void reference(const us_conv_geom *g, const float *x, const float *k, const float *bias,
                      const us_conv_epilogue *ep, double *y) {
    for (int64_t b = 0; b < g->n; b++)
        for (int64_t oh = 0; oh < g->ho; oh++)
            for (int64_t ow = 0; ow < g->wo; ow++)
                for (int64_t co = 0; co < g->cout; co++) {
                    double s = 0;
                    for (int64_t i = 0; i < g->kh; i++)
                        for (int64_t j = 0; j < g->kw; j++) {
                            int64_t ih = oh * g->sh - g->pad_top + i, iw = ow * g->sw - g->pad_left + j;
                            if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                            for (int64_t c = 0; c < g->cin; c++)
                                s += (double)x[((b * g->h + ih) * g->w + iw) * g->cin + c] *
                                     k[((i * g->kw + j) * g->cin + c) * g->cout + co];
                        }
                    if (bias) s += bias[co];
                    if (ep && ep->scale) s = s * ep->scale[co] + ep->shift[co];
                    if (ep && ep->relu && s < 0) s = 0;
                    y[((b * g->ho + oh) * g->wo + ow) * g->cout + co] = s;
                }
}

/* Runs `fn` and checks it against the reference: max |err| <= tol * max(1, max |ref|). */
static void compare_with(conv_fn fn, const char *name, const us_conv_geom *g, int use_bias,
                         int use_ep, double tol) {
    int64_t nx = g->n * g->h * g->w * g->cin, nk = g->kh * g->kw * g->cin * g->cout;
    int64_t ny = g->n * g->ho * g->wo * g->cout;
    float *x = malloc((size_t)nx * sizeof(float)), *k = malloc((size_t)nk * sizeof(float));
    float *bias = malloc((size_t)g->cout * sizeof(float)), *scale = malloc((size_t)g->cout * sizeof(float));
    float *shift = malloc((size_t)g->cout * sizeof(float)), *y = malloc((size_t)ny * sizeof(float));
    double *ref = malloc((size_t)ny * sizeof(double));
    for (int64_t i = 0; i < nx; i++) x[i] = 3.0f * value(i, 0.37);
    for (int64_t i = 0; i < nk; i++) k[i] = value(i, 1.3) / (float)sqrt((double)(g->kh * g->kw * g->cin));
    for (int64_t i = 0; i < g->cout; i++)
        bias[i] = value(i, 0.7), scale[i] = 1.0f + 0.5f * value(i, 2.1), shift[i] = value(i, 0.2);
    us_conv_epilogue ep = {scale, shift, 1, 0};
    reference(g, x, k, use_bias ? bias : NULL, use_ep ? &ep : NULL, ref);
    assert_ok(fn(g, x, k, use_bias ? bias : NULL, use_ep ? &ep : NULL, y));
    double max_ref = 0, max_err = 0;
    for (int64_t i = 0; i < ny; i++) {
        max_ref = fmax(max_ref, fabs(ref[i]));
        max_err = fmax(max_err, fabs(ref[i] - y[i]));
    }
    if (max_err > tol * fmax(1.0, max_ref))
        print_error("%s %lldx%lldx%lld -> %lld: max err %g (max ref %g)\n", name, (long long)g->h,
                    (long long)g->w, (long long)g->cin, (long long)g->cout, max_err, max_ref);
    assert_true(max_err <= tol * fmax(1.0, max_ref));
    free(x), free(k), free(bias), free(scale), free(shift), free(y), free(ref);
}

static int32_t winograd_tile(int tile, const us_conv_geom *g, const float *x, const float *k,
                             const float *bias, const us_conv_epilogue *ep, float *y) {
    return us_conv2d_forward_winograd(g, tile, x, k, NULL, bias, ep, y);
}

/* The kernel transformed once beforehand (the executor's cache). */
static int32_t winograd_tile_prepared(int tile, const us_conv_geom *g, const float *x,
                                      const float *k, const float *bias,
                                      const us_conv_epilogue *ep, float *y) {
    float *u = malloc((size_t)us_winograd_kernel_floats(tile, g->cin, g->cout) * sizeof(float));
    us_winograd_transform_kernel(tile, k, g->cin, g->cout, u);
    int32_t st = us_conv2d_forward_winograd(g, tile, x, NULL, u, bias, ep, y);
    free(u);
    return st;
}

#define TILE_WRAPPERS(m)                                                                          \
    static int32_t winograd_f##m(const us_conv_geom *g, const float *x, const float *k,          \
                                 const float *bias, const us_conv_epilogue *ep, float *y) {       \
        return winograd_tile(m, g, x, k, bias, ep, y);                                            \
    }                                                                                             \
    static int32_t winograd_f##m##_prepared(const us_conv_geom *g, const float *x,                \
                                            const float *k, const float *bias,                    \
                                            const us_conv_epilogue *ep, float *y) {               \
        return winograd_tile_prepared(m, g, x, k, bias, ep, y);                                   \
    }
TILE_WRAPPERS(4)
TILE_WRAPPERS(2)

/* F(4x4, 3x3) multiplies by larger constants than direct convolution (up
 * to 8 in A, 5 in B): its float32 error is a few 1e-6 of the output scale,
 * still 10x below the 1e-4 the network-level parity test allows. */
#define WINOGRAD_TOL 5e-5
/* F(2x2, 3x3) only adds, subtracts and halves: close to direct rounding. */
#define WINOGRAD_F2_TOL 2e-5
#define DIRECT_TOL 1e-5

static void check_3x3(int64_t n, int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t pad_top,
                      int64_t pad_left, int64_t ho, int64_t wo, int use_bias, int use_ep) {
    us_conv_geom g = {n, h, w, cin, ho, wo, cout, 3, 3, 1, 1, pad_top, pad_left};
    compare_with(winograd_f4, "winograd F(4x4)", &g, use_bias, use_ep, WINOGRAD_TOL);
    compare_with(winograd_f4_prepared, "winograd F(4x4) (prepared kernel)", &g, use_bias, use_ep,
                 WINOGRAD_TOL);
    compare_with(winograd_f2, "winograd F(2x2)", &g, use_bias, use_ep, WINOGRAD_F2_TOL);
    compare_with(winograd_f2_prepared, "winograd F(2x2) (prepared kernel)", &g, use_bias, use_ep,
                 WINOGRAD_F2_TOL);
    compare_with(us_conv2d_forward_im2col, "im2col", &g, use_bias, use_ep, DIRECT_TOL);
}

static void winograd_cases(void) {
    /* 'same' (pad 1): even, odd, tiny, rectangular; several channel counts */
    check_3x3(1, 8, 8, 3, 5, 1, 1, 8, 8, 1, 0);
    check_3x3(2, 7, 9, 4, 3, 1, 1, 7, 9, 0, 1);
    check_3x3(1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1);
    check_3x3(1, 3, 2, 17, 9, 1, 1, 3, 2, 1, 1);
    /* 16 and 32 output channels: tiles of one or two panels */
    check_3x3(3, 16, 16, 32, 16, 1, 1, 16, 16, 0, 1);
    check_3x3(1, 13, 11, 20, 32, 1, 1, 13, 11, 1, 1);
    /* 'valid' (no pad), and a folded asymmetric ZeroPadding2D (pad 2 on top/left only) */
    check_3x3(1, 10, 7, 3, 4, 0, 0, 8, 5, 1, 0);
    check_3x3(2, 6, 6, 5, 6, 2, 2, 6, 6, 1, 1);
    /* chunked: more tiles than one chunk holds, in several parts */
    check_3x3(1, 130, 98, 64, 8, 1, 1, 130, 98, 1, 1);
}

/* Under every GEMM variant this CPU has (the transformed kernel is packed
 * for the variant: panels of 16 columns, or dense for OpenBLAS). */
static void winograd_matches_reference(void **state) {
    (void)state;
    for (int isa = 0; isa <= (int)us_cpu_best_isa(); isa++) {
        assert_int_equal(us_cpu_force_isa((us_isa)isa), isa);
        winograd_cases();
    }
    us_cpu_force_isa(US_ISA_COUNT);
}

/* Inputs, weights and a BN + ReLU epilogue (up to 160 output channels) for
 * the bit-identity tests, and two output buffers. */
typedef struct conv_data {
    float *x, *k, *y, *want;
    float bias[160], scale[160], shift[160];
    us_conv_epilogue ep;
    size_t y_bytes;
} conv_data;

static void conv_data_init(conv_data *d, const us_conv_geom *g) {
    const int64_t nx = g->n * g->h * g->w * g->cin, nk = g->kh * g->kw * g->cin * g->cout;
    d->y_bytes = (size_t)(g->n * g->ho * g->wo * g->cout) * sizeof(float);
    d->x = malloc((size_t)nx * sizeof(float));
    d->k = malloc((size_t)nk * sizeof(float));
    d->y = malloc(d->y_bytes);
    d->want = malloc(d->y_bytes);
    for (int64_t i = 0; i < nx; i++) d->x[i] = 3.0f * value(i, 0.37);
    for (int64_t i = 0; i < nk; i++) d->k[i] = value(i, 1.3);
    for (int i = 0; i < 160; i++)
        d->bias[i] = value(i, 0.7), d->scale[i] = 1.5f + value(i, 2.1), d->shift[i] = value(i, 0.2);
    d->ep = (us_conv_epilogue){d->scale, d->shift, 1, 0};
}

static void conv_data_free(conv_data *d) { free(d->x), free(d->k), free(d->y), free(d->want); }

/* The stem kernel (64 outputs from 1-4 inputs) gives im2col's bits and
 * the reference's values: the ResNet stem, odd sizes, strides 1 and 2,
 * smaller kernels, an image smaller than the kernel. */
static void stem_matches_im2col_bit_for_bit(void **state) {
    (void)state;
    const us_conv_geom cases[] = {
        {1, 38, 38, 3, 19, 19, 64, 7, 7, 2, 2, 3, 3},  /* the stem ('same' by its zero padding) */
        {2, 13, 21, 3, 7, 11, 64, 7, 7, 2, 2, 3, 3},
        {1, 9, 10, 1, 9, 10, 64, 3, 3, 1, 1, 1, 1},
        {1, 11, 9, 4, 5, 4, 64, 3, 3, 2, 2, 0, 0},
        {1, 2, 3, 2, 1, 2, 64, 7, 7, 2, 2, 3, 3},
    };
    if (!us_conv2d_stem_applies(&cases[0])) skip(); /* no AVX-512: im2col only */
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const us_conv_geom *g = &cases[t];
        assert_true(us_conv2d_stem_applies(g));
        compare_with(us_conv2d_forward_stem, "stem", g, 1, 1, DIRECT_TOL);
        compare_with(us_conv2d_forward_stem, "stem", g, 0, 0, DIRECT_TOL);
        conv_data d;
        conv_data_init(&d, g);
        assert_ok(us_conv2d_forward_im2col(g, d.x, d.k, d.bias, &d.ep, d.want));
        for (int32_t threads = 1; threads <= 2; threads++) {
            us_parallel_set_threads(threads);
            assert_ok(us_conv2d_forward_stem(g, d.x, d.k, d.bias, &d.ep, d.y));
            assert_memory_equal(d.y, d.want, d.y_bytes);
        }
        us_parallel_set_threads(1);
        conv_data_free(&d);
    }
}

/* Max pooling with a folded zero padding equals ZeroPadding2D then a
 * 'valid' pool, bit for bit, with negative inputs (where the zeros win). */
static void maxpool_zero_padded_equals_pad_then_pool(void **state) {
    (void)state;
    const int64_t n = 2, h = 9, w = 8, c = 5, top = 1, bottom = 2, left = 1, right = 0;
    const int64_t hp = h + top + bottom, wp = w + left + right, ho = (hp - 3) / 2 + 1, wo = (wp - 3) / 2 + 1;
    float *x = malloc((size_t)(n * h * w * c) * sizeof(float));
    float *padded = malloc((size_t)(n * hp * wp * c) * sizeof(float));
    float *want = malloc((size_t)(n * ho * wo * c) * sizeof(float)), *y = malloc((size_t)(n * ho * wo * c) * sizeof(float));
    for (int64_t i = 0; i < n * h * w * c; i++) x[i] = value(i, 0.9) - 0.4f; /* mostly negative */
    us_zero_pad_forward(x, n, h, w, c, top, bottom, left, right, padded);
    const us_conv_geom valid = {n, hp, wp, c, ho, wo, c, 3, 3, 2, 2, 0, 0};
    us_maxpool_forward(&valid, padded, want);
    const us_conv_geom folded = {n, h, w, c, ho, wo, c, 3, 3, 2, 2, top, left};
    us_maxpool_forward_zero_padded(&folded, x, y);
    assert_memory_equal(y, want, (size_t)(n * ho * wo * c) * sizeof(float));
    int zeros = 0; /* the padding decided some outputs */
    for (int64_t i = 0; i < n * ho * wo * c; i++) zeros += want[i] == 0.0f;
    assert_true(zeros > 0);
    free(x), free(padded), free(want), free(y);
}

/* The direct kernel's variants (AVX2: one output row at a time; AVX-512:
 * two rows at once where a band has them) and thread counts give the
 * same bits: odd heights leave a last single row, two images a pair that
 * would straddle them. */
static void direct_variants_agree_bit_for_bit(void **state) {
    (void)state;
    const us_conv_geom cases[] = {
        {2, 7, 30, 32, 7, 30, 16, 3, 3, 1, 1, 1, 1},
        {1, 10, 13, 16, 8, 11, 16, 3, 3, 1, 1, 0, 0},
        {3, 5, 9, 5, 7, 11, 16, 3, 3, 1, 1, 2, 2},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const us_conv_geom *g = &cases[t];
        conv_data d;
        conv_data_init(&d, g);
        int runs = 0;
        for (int isa = 1; isa <= (int)us_cpu_best_isa(); isa++)
            for (int32_t threads = 1; threads <= 3; threads++) {
                assert_int_equal(us_cpu_force_isa((us_isa)isa), isa);
                us_parallel_set_threads(threads);
                if (!us_conv2d_direct_applies(g)) continue;
                assert_ok(us_conv2d_forward_direct(g, d.x, d.k, d.bias, &d.ep, runs ? d.y : d.want));
                if (runs++) assert_memory_equal(d.y, d.want, d.y_bytes);
            }
        us_cpu_force_isa(US_ISA_COUNT);
        us_parallel_set_threads(1);
        assert_true(runs >= 3);
        conv_data_free(&d);
    }
}

/* The direct kernel (16 output channels from up to 32 inputs): 'same',
 * 'valid' and a folded asymmetric padding; widths of whole and partial
 * 12-pixel blocks; with and without bias and the fused BN + ReLU; under
 * each kernel variant that has it (AVX2, AVX-512). */
static void direct_matches_reference(void **state) {
    (void)state;
    const us_conv_geom cases[] = {
        {1, 8, 8, 3, 8, 8, 16, 3, 3, 1, 1, 1, 1},
        {2, 7, 30, 32, 7, 30, 16, 3, 3, 1, 1, 1, 1},
        {1, 10, 13, 16, 8, 11, 16, 3, 3, 1, 1, 0, 0},
        {2, 6, 6, 5, 6, 6, 16, 3, 3, 1, 1, 2, 2},
        {1, 1, 25, 1, 1, 25, 16, 3, 3, 1, 1, 1, 1},
    };
    int variants = 0;
    for (int isa = 0; isa <= (int)us_cpu_best_isa(); isa++) {
        assert_int_equal(us_cpu_force_isa((us_isa)isa), isa);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (!us_conv2d_direct_applies(&cases[i])) continue;
            assert_int_equal(us_conv2d_winograd_tile(&cases[i]), 0); /* one path per geometry */
            compare_with(us_conv2d_forward_direct, "direct", &cases[i], 1, 1, DIRECT_TOL);
            compare_with(us_conv2d_forward_direct, "direct", &cases[i], 0, 0, DIRECT_TOL);
            variants += i == 0;
        }
    }
    us_cpu_force_isa(US_ISA_COUNT);
    /* x86-64 CPUs of the last decade have AVX2: the test must not pass empty */
    assert_int_equal(variants, (int)us_cpu_best_isa());
}

/* A kernel transformed on the call, block by block of output and input
 * channels (one or two chunks per thread), gives the bits of the kernel
 * transformed beforehand: one chunk, one chunk per thread, one chunk on
 * two threads; a last group of 16 or 2 columns (a partial panel); more
 * input channels than a GEMM block (two and three blocks, the last one
 * partial); F(4x4) and F(2x2); under each of our GEMM variants. */
static void winograd_fused_matches_prepared_bit_for_bit(void **state) {
    (void)state;
    const struct {
        us_conv_geom g;
        int tile;
    } cases[] = {
        {{1, 16, 16, 24, 16, 16, 80, 3, 3, 1, 1, 1, 1}, 4},
        {{2, 16, 16, 9, 16, 16, 130, 3, 3, 1, 1, 1, 1}, 4},
        {{1, 8, 8, 33, 8, 8, 64, 3, 3, 1, 1, 1, 1}, 2},
        {{3, 13, 11, 20, 13, 11, 96, 3, 3, 1, 1, 1, 1}, 2},
        {{1, 8, 8, 300, 8, 8, 40, 3, 3, 1, 1, 1, 1}, 2},
        {{1, 8, 8, 520, 8, 8, 48, 3, 3, 1, 1, 1, 1}, 4},
    };
    int runs = 0;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const us_conv_geom *g = &cases[t].g;
        const int tile = cases[t].tile;
        conv_data d;
        conv_data_init(&d, g);
        for (int isa = 1; isa <= (int)us_cpu_best_isa(); isa++) {
            assert_int_equal(us_cpu_force_isa((us_isa)isa), isa);
            float *u = malloc((size_t)us_winograd_kernel_floats(tile, g->cin, g->cout) * sizeof(float));
            us_winograd_transform_kernel(tile, d.k, g->cin, g->cout, u);
            for (int32_t threads = 1; threads <= 2; threads++) {
                us_parallel_set_threads(threads);
                assert_ok(us_conv2d_forward_winograd(g, tile, d.x, NULL, u, d.bias, &d.ep, d.want));
                assert_ok(us_conv2d_forward_winograd(g, tile, d.x, d.k, NULL, d.bias, &d.ep, d.y));
                assert_memory_equal(d.y, d.want, d.y_bytes);
                runs++;
            }
            free(u);
        }
        us_cpu_force_isa(US_ISA_COUNT);
        us_parallel_set_threads(1);
        conv_data_free(&d);
    }
    assert_true(runs >= 12);
}

/* A conv input made of a 2x nearest-upsampled part and a plain part, side
 * by side (a U-Net decoder block's UpSampling2D + Concatenate), written out
 * by hand: pixel (b, ih, iw) is the low-resolution part's (ih / 2, iw / 2)
 * channels, then the plain part's. */
static void gather_by_hand(const us_conv_geom *g, const float *low, int64_t c_low,
                           const float *plain, int64_t c_plain, float *x) {
    for (int64_t b = 0; b < g->n; b++)
        for (int64_t ih = 0; ih < g->h; ih++)
            for (int64_t iw = 0; iw < g->w; iw++) {
                float *dst = x + ((b * g->h + ih) * g->w + iw) * g->cin;
                for (int64_t c = 0; c < c_low; c++)
                    dst[c] = low[((b * (g->h / 2) + ih / 2) * (g->w / 2) + iw / 2) * c_low + c];
                for (int64_t c = 0; c < c_plain; c++)
                    dst[c_low + c] = plain[((b * g->h + ih) * g->w + iw) * c_plain + c];
            }
}

/* Winograd reading an upsampled part and a plain part in place gives the
 * bits of the same conv of the input written out: F(4x4) and F(2x2),
 * kernel kept or transformed on the call, 1 and 2 threads, every GEMM
 * variant of ours; us_conv2d_forward_sources too where the path is not
 * Winograd (a 4x4 map: im2col of the gathered input). Parts whose channels
 * do not add up to the conv's are refused. */
static void winograd_sources_match_gathered_bit_for_bit(void **state) {
    (void)state;
    const struct {
        us_conv_geom g;
        int tile;
        int64_t c_low;
    } cases[] = {
        {{1, 16, 16, 48, 16, 16, 32, 3, 3, 1, 1, 1, 1}, 4, 32},
        {{2, 8, 12, 40, 8, 12, 64, 3, 3, 1, 1, 1, 1}, 2, 16},
        {{1, 4, 4, 24, 4, 4, 16, 3, 3, 1, 1, 1, 1}, 0, 8},
    };
    int runs = 0;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const us_conv_geom *g = &cases[t].g;
        const int tile = cases[t].tile;
        const int64_t c_low = cases[t].c_low, c_plain = g->cin - c_low;
        conv_data d;
        conv_data_init(&d, g);
        float *low = malloc((size_t)(g->n * g->h * g->w / 4 * c_low) * sizeof(float));
        float *plain = malloc((size_t)(g->n * g->h * g->w * c_plain) * sizeof(float));
        for (int64_t i = 0; i < g->n * g->h * g->w / 4 * c_low; i++) low[i] = value(i, 0.61);
        for (int64_t i = 0; i < g->n * g->h * g->w * c_plain; i++) plain[i] = 2.0f * value(i, 0.23);
        gather_by_hand(g, low, c_low, plain, c_plain, d.x);
        const us_conv_source parts[2] = {{low, c_low, 2, 2}, {plain, c_plain, 1, 1}};
        for (int isa = 1; isa <= (int)us_cpu_best_isa(); isa++) {
            assert_int_equal(us_cpu_force_isa((us_isa)isa), isa);
            float *u = tile ? malloc((size_t)us_winograd_kernel_floats(tile, g->cin, g->cout) * sizeof(float)) : NULL;
            if (tile) us_winograd_transform_kernel(tile, d.k, g->cin, g->cout, u);
            for (int32_t threads = 1; threads <= 2; threads++) {
                us_parallel_set_threads(threads);
                if (tile) {
                    assert_ok(us_conv2d_forward_winograd(g, tile, d.x, d.k, NULL, d.bias, &d.ep, d.want));
                    assert_ok(us_conv2d_forward_winograd_sources(g, tile, parts, 2, d.k, NULL, d.bias, &d.ep, d.y));
                    assert_memory_equal(d.y, d.want, d.y_bytes);
                    assert_ok(us_conv2d_forward_winograd_sources(g, tile, parts, 2, NULL, u, d.bias, &d.ep, d.y));
                    assert_memory_equal(d.y, d.want, d.y_bytes);
                }
                assert_ok(us_conv2d_forward(g, d.x, d.k, d.bias, &d.ep, d.want));
                assert_ok(us_conv2d_forward_sources(g, parts, 2, d.k, NULL, d.bias, &d.ep, d.y));
                assert_memory_equal(d.y, d.want, d.y_bytes);
                runs++;
            }
            free(u);
        }
        us_cpu_force_isa(US_ISA_COUNT);
        us_parallel_set_threads(1);
        const us_conv_source short_part[1] = {{plain, c_plain, 1, 1}};
        assert_int_equal(us_conv2d_forward_winograd_sources(g, 2, short_part, 1, d.k, NULL, NULL, NULL, d.y),
                         UNETSEG_E_SHAPE);
        free(low), free(plain);
        conv_data_free(&d);
    }
    assert_true(runs >= 6);
}

/* The path each geometry takes: F(4x4) from 16 tiles of 4x4 outputs (a
 * 16x16 output at batch 1), else F(2x2) from 64 tiles of 2x2 (16x16), or
 * from 16 (8x8) with a kept transformed kernel, else im2col; never for
 * other kernels, strides or 1-4 output channels. What inference keeps
 * (`prepared`): the Winograd kernel, or the GEMM path's packed kernel up to
 * US_GEMM_MC (96) output pixels; nothing for the narrow, direct and stem
 * kernels. */
static void winograd_tile_choice(void **state) {
    (void)state;
    const int G = US_PREPARED_GEMM;
    const struct {
        us_conv_geom g;
        int tile, kept, prepared;
    } cases[] = {
        {{1, 32, 32, 8, 32, 32, 8, 3, 3, 1, 1, 1, 1}, 4, 4, 4},
        {{1, 29, 29, 8, 29, 29, 8, 3, 3, 1, 1, 1, 1}, 4, 4, 4}, /* 8 x 8 partial tiles */
        {{1, 28, 28, 8, 28, 28, 8, 3, 3, 1, 1, 1, 1}, 4, 4, 4}, /* 7 x 7 tiles of 4 */
        {{1, 16, 16, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1}, 4, 4, 4},
        {{1, 13, 13, 8, 13, 13, 8, 3, 3, 1, 1, 1, 1}, 4, 4, 4}, /* 4 x 4 partial tiles */
        {{1, 12, 12, 8, 12, 12, 8, 3, 3, 1, 1, 1, 1}, 0, 2, 2}, /* 3 x 3 tiles of 4, 36 of 2 */
        {{4, 8, 8, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1}, 4, 4, 4}, /* 4 x 4 tiles of 4 */
        {{1, 8, 8, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1}, 0, 2, 2},
        {{1, 7, 7, 8, 7, 7, 8, 3, 3, 1, 1, 1, 1}, 0, 2, 2}, /* 4 x 4 partial tiles */
        {{1, 6, 6, 8, 6, 6, 8, 3, 3, 1, 1, 1, 1}, 0, 0, G}, /* 3 x 3 tiles of 2; 36 pixels */
        {{1, 4, 4, 8, 4, 4, 8, 3, 3, 1, 1, 1, 1}, 0, 0, G},
        {{6, 4, 4, 8, 4, 4, 8, 3, 3, 1, 1, 1, 1}, 0, 2, 2},  /* 24 tiles of 2 */
        {{6, 4, 4, 8, 4, 4, 8, 1, 1, 1, 1, 0, 0}, 0, 0, G},  /* 1x1, 96 pixels */
        {{7, 4, 4, 8, 4, 4, 8, 1, 1, 1, 1, 0, 0}, 0, 0, 0},  /* 1x1, 112 */
        {{1, 64, 64, 8, 64, 64, 4, 3, 3, 1, 1, 1, 1}, 0, 0, 0},  /* narrow head */
        {{1, 4, 4, 8, 4, 4, 4, 3, 3, 1, 1, 1, 1}, 0, 0, 0},      /* narrow, 16 pixels */
        {{1, 4, 4, 16, 4, 4, 16, 3, 3, 1, 1, 1, 1}, 0, 0, 0},    /* direct */
        {{1, 64, 64, 8, 32, 32, 8, 3, 3, 2, 2, 1, 1}, 0, 0, 0},  /* stride 2 */
        {{1, 16, 16, 8, 8, 8, 8, 3, 3, 2, 2, 1, 1}, 0, 0, G},    /* stride 2, 64 pixels */
        {{1, 64, 64, 8, 64, 64, 8, 1, 1, 1, 1, 0, 0}, 0, 0, 0},  /* 1x1 */
        {{1, 8, 8, 8, 8, 8, 8, 1, 1, 1, 1, 0, 0}, 0, 0, G},      /* 1x1, 64 pixels */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(us_conv2d_winograd_tile(&cases[i].g), cases[i].tile);
        assert_int_equal(us_conv2d_inference_tile(&cases[i].g), cases[i].kept);
        assert_int_equal(us_conv2d_inference_prepared(&cases[i].g), cases[i].prepared);
    }
}

/* The GEMM path with its kernel packed (what inference keeps for small
 * maps) computes the in-place path's bits: 3x3 stride 1 and 2, 1x1 (a plain
 * product), output channels a multiple of the micro-kernel's 32 columns
 * (read in place) or not (packed on the call), on 1 and 2 threads, with
 * every GEMM variant of this CPU. */
static void im2col_packed_matches_in_place(void **state) {
    (void)state;
    const us_conv_geom geoms[] = {
        {1, 4, 4, 24, 4, 4, 64, 3, 3, 1, 1, 1, 1},
        {2, 8, 8, 8, 4, 4, 40, 3, 3, 2, 2, 0, 0},
        {1, 8, 8, 20, 8, 8, 48, 1, 1, 1, 1, 0, 0},
    };
    int runs = 0;
    for (size_t i = 0; i < sizeof geoms / sizeof geoms[0]; i++) {
        const us_conv_geom *g = &geoms[i];
        conv_data d;
        conv_data_init(&d, g);
        const int64_t rows = us_prepared_kernel_rows(g, US_PREPARED_GEMM);
        assert_int_equal(rows, g->kh * g->kw * g->cin);
        for (int isa = 1; isa <= (int)us_cpu_best_isa(); isa++) {
            assert_int_equal(us_cpu_force_isa((us_isa)isa), isa);
            float *packed = malloc((size_t)us_prepared_kernel_floats(US_PREPARED_GEMM, rows, g->cout) * sizeof(float));
            us_prepare_kernel(US_PREPARED_GEMM, d.k, rows, g->cout, packed);
            for (int32_t threads = 1; threads <= 2; threads++) {
                us_parallel_set_threads(threads);
                assert_ok(us_conv2d_forward_im2col(g, d.x, d.k, d.bias, &d.ep, d.want));
                assert_ok(us_conv2d_forward_im2col_packed(g, d.x, packed, d.bias, &d.ep, d.y));
                assert_memory_equal(d.y, d.want, d.y_bytes);
                const us_conv_source whole = {d.x, g->cin, 1, 1};
                assert_ok(us_conv2d_forward_sources(g, &whole, 1, d.k, packed, d.bias, &d.ep, d.y));
                assert_memory_equal(d.y, d.want, d.y_bytes);
                runs++;
            }
            free(packed);
        }
        us_cpu_force_isa(US_ISA_COUNT);
        us_parallel_set_threads(1);
        conv_data_free(&d);
    }
    assert_true(runs >= 6);
}

/* The narrow kernel's documented order, in float: for each input channel
 * the taps inside the image in order, then the channels in order, then
 * bias, scale and shift, ReLU. Every path (one value at a time, rows of
 * 16 pixels, AVX-512 or not) must give exactly these values. */
static void narrow_in_order(const us_conv_geom *g, const float *x, const float *k,
                            const float *bias, const us_conv_epilogue *ep, float *y) {
    for (int64_t b = 0; b < g->n; b++)
        for (int64_t oh = 0; oh < g->ho; oh++)
            for (int64_t ow = 0; ow < g->wo; ow++)
                for (int64_t co = 0; co < g->cout; co++) {
                    float v = 0.0f;
                    for (int64_t c = 0; c < g->cin; c++) {
                        float acc = 0.0f;
                        for (int64_t i = 0; i < g->kh; i++)
                            for (int64_t j = 0; j < g->kw; j++) {
                                int64_t ih = oh * g->sh - g->pad_top + i, iw = ow * g->sw - g->pad_left + j;
                                if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                                float p = x[((b * g->h + ih) * g->w + iw) * g->cin + c] *
                                          k[((i * g->kw + j) * g->cin + c) * g->cout + co];
                                acc += p;
                            }
                        v += acc;
                    }
                    if (bias) v += bias[co];
                    if (ep->scale) {
                        float scaled = v * ep->scale[co];
                        v = scaled + ep->shift[co];
                    }
                    if (ep->relu) v = v > 0.0f ? v : 0.0f;
                    y[((b * g->ho + oh) * g->wo + ow) * g->cout + co] = v;
                }
}

/* Under every kernel variant this CPU has. */
static void narrow_sums_in_documented_order(void **state) {
    (void)state;
    const us_conv_geom cases[] = {
        {1, 37, 29, 16, 37, 29, 1, 3, 3, 1, 1, 1, 1},
        {2, 11, 35, 18, 11, 35, 3, 3, 3, 1, 1, 1, 1},
        {1, 9, 21, 4, 5, 17, 1, 5, 5, 1, 1, 0, 0},
        {1, 12, 16, 16, 6, 16, 1, 3, 3, 2, 1, 1, 1},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const us_conv_geom *g = &cases[t];
        conv_data d;
        conv_data_init(&d, g);
        narrow_in_order(g, d.x, d.k, d.bias, &d.ep, d.want);
        for (int isa = 0; isa <= (int)us_cpu_best_isa(); isa++) { /* AVX-512 has its own 3x3 path */
            assert_int_equal(us_cpu_force_isa((us_isa)isa), isa);
            assert_ok(us_conv2d_forward_narrow(g, d.x, d.k, d.bias, &d.ep, d.y));
            assert_memory_equal(d.y, d.want, d.y_bytes);
        }
        us_cpu_force_isa(US_ISA_COUNT);
        conv_data_free(&d);
    }
}

static void narrow_matches_reference(void **state) {
    (void)state;
    const us_conv_geom cases[] = {
        {1, 37, 29, 16, 37, 29, 1, 3, 3, 1, 1, 1, 1}, /* the U-Net head: 16 -> 1, 'same' */
        {2, 11, 35, 18, 11, 35, 2, 3, 3, 1, 1, 1, 1}, /* 2 channels past 16, 3 blocks of pixels */
        {1, 10, 40, 16, 8, 38, 1, 3, 3, 1, 1, 0, 0},  /* 'valid' */
        {1, 9, 21, 4, 5, 17, 1, 5, 5, 1, 1, 0, 0},    /* 5x5: one value at a time */
        {1, 12, 16, 16, 6, 16, 1, 3, 3, 2, 1, 1, 1},  /* row stride 2 */
        {2, 9, 8, 5, 5, 4, 3, 3, 3, 2, 2, 1, 1},      /* stride 2, 3 outputs */
        {1, 12, 12, 3, 6, 6, 4, 7, 7, 2, 2, 3, 3},    /* 7x7 stride 2 */
        {1, 5, 6, 7, 5, 6, 2, 1, 1, 1, 1, 0, 0},      /* 1x1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        compare_with(us_conv2d_forward_narrow, "narrow", &cases[i], 1, 1, DIRECT_TOL);
        compare_with(us_conv2d_forward_narrow, "narrow", &cases[i], 0, 0, DIRECT_TOL);
    }
}

/* dx of a 3x3 stride-1 conv large enough for the Winograd input gradient,
 * accumulated onto what dx held, against the float64 definition. */
static void check_dx(int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t pad, int64_t ho,
                     int64_t wo) {
    us_conv_geom g = {2, h, w, cin, ho, wo, cout, 3, 3, 1, 1, pad, pad};
    int64_t nx = 2 * h * w * cin, ny = 2 * ho * wo * cout, nk = 9 * cin * cout;
    float *x = calloc((size_t)nx, sizeof(float)), *k = malloc((size_t)nk * sizeof(float));
    float *dy = malloc((size_t)ny * sizeof(float)), *dx = malloc((size_t)nx * sizeof(float));
    for (int64_t i = 0; i < nk; i++) k[i] = value(i, 1.3) / 10.0f;
    for (int64_t i = 0; i < ny; i++) dy[i] = value(i, 0.61);
    for (int64_t i = 0; i < nx; i++) dx[i] = 0.5f; /* gradients accumulate */
    assert_ok(us_conv2d_backward(&g, x, k, dy, dx, NULL, NULL));
    double max_err = 0, max_ref = 0;
    for (int64_t b = 0; b < 2; b++)
        for (int64_t ih = 0; ih < h; ih++)
            for (int64_t iw = 0; iw < w; iw++)
                for (int64_t ci = 0; ci < cin; ci++) {
                    double s = 0.5;
                    for (int64_t a = 0; a < 3; a++)
                        for (int64_t c = 0; c < 3; c++) {
                            int64_t oh = ih - a + pad, ow = iw - c + pad;
                            if (oh < 0 || oh >= ho || ow < 0 || ow >= wo) continue;
                            for (int64_t co = 0; co < cout; co++)
                                s += (double)dy[((b * ho + oh) * wo + ow) * cout + co] *
                                     k[((a * 3 + c) * cin + ci) * cout + co];
                        }
                    max_ref = fmax(max_ref, fabs(s));
                    max_err = fmax(max_err, fabs(s - dx[((b * h + ih) * w + iw) * cin + ci]));
                }
    if (max_err > WINOGRAD_TOL * fmax(1.0, max_ref))
        print_error("dx %lldx%lld pad %lld: max err %g (max ref %g)\n", (long long)h, (long long)w,
                    (long long)pad, max_err, max_ref);
    assert_true(max_err <= WINOGRAD_TOL * fmax(1.0, max_ref));
    free(x), free(k), free(dy), free(dx);
}

static void winograd_input_gradient(void **state) {
    (void)state;
    check_dx(29, 31, 16, 8, 1, 29, 31); /* 'same' */
    check_dx(30, 28, 5, 32, 0, 28, 26); /* 'valid' */
    check_dx(12, 12, 8, 16, 1, 12, 12); /* by F(2x2): 72 tiles of 2x2, 18 of 4x4 */
}

/* A 'same' conv over a 2x nearest upsampling, by phases
 * (us_conv2d_forward_up2), against the float64 conv of the upsampled image
 * written out by hand; reading the image before upsampling and reading
 * every other pixel of the upsampled one give the same bits, as do the
 * kernel variants and thread counts. Widths of whole and partial 12-pixel
 * blocks, two images, with and without bias and the fused BN + ReLU. */
static void up2_matches_reference(void **state) {
    (void)state;
    const struct {
        int64_t n, in_h, in_w, cin;
    } cases[] = {{1, 4, 4, 3}, {2, 5, 13, 32}, {1, 3, 24, 16}, {2, 1, 1, 7}};
    int runs = 0;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const int64_t n = cases[t].n, h = 2 * cases[t].in_h, w = 2 * cases[t].in_w, cin = cases[t].cin;
        const us_conv_geom g = {n, h, w, cin, h, w, 16, 3, 3, 1, 1, 1, 1};
        const int64_t nlow = n * cases[t].in_h * cases[t].in_w * cin, nup = n * h * w * cin;
        const int64_t nk = 9 * cin * 16, ny = n * h * w * 16;
        float *low = malloc((size_t)nlow * sizeof(float)), *up = malloc((size_t)nup * sizeof(float));
        float *k = malloc((size_t)nk * sizeof(float)), *bias = malloc(16 * sizeof(float));
        float *scale = malloc(16 * sizeof(float)), *shift = malloc(16 * sizeof(float));
        float *y = malloc((size_t)ny * sizeof(float)), *want = malloc((size_t)ny * sizeof(float));
        double *ref = malloc((size_t)ny * sizeof(double));
        for (int64_t i = 0; i < nlow; i++) low[i] = 3.0f * value(i, 0.37);
        for (int64_t i = 0; i < nk; i++) k[i] = value(i, 1.3) / (float)sqrt((double)(9 * cin));
        for (int64_t i = 0; i < 16; i++)
            bias[i] = value(i, 0.7), scale[i] = 1.0f + 0.5f * value(i, 2.1), shift[i] = value(i, 0.2);
        for (int64_t b = 0; b < n; b++) /* the upsampling, by hand */
            for (int64_t ih = 0; ih < h; ih++)
                for (int64_t iw = 0; iw < w; iw++)
                    for (int64_t c = 0; c < cin; c++)
                        up[((b * h + ih) * w + iw) * cin + c] =
                            low[((b * (h / 2) + ih / 2) * (w / 2) + iw / 2) * cin + c];
        for (int epi = 0; epi < 2; epi++) {
            us_conv_epilogue ep = {scale, shift, 1, 0};
            const float *bs = epi ? bias : NULL;
            const us_conv_epilogue *e = epi ? &ep : NULL;
            reference(&g, up, k, bs, e, ref);
            int first = 1;
            for (int isa = 1; isa <= (int)us_cpu_best_isa(); isa++)
                for (int32_t threads = 1; threads <= 2; threads++) {
                    assert_int_equal(us_cpu_force_isa((us_isa)isa), isa);
                    us_parallel_set_threads(threads);
                    if (!us_conv2d_up2_applies(&g)) continue;
                    for (int from_up = 0; from_up < 2; from_up++) {
                        assert_ok(us_conv2d_forward_up2(&g, from_up ? up : low, from_up, k, bs, e, first ? want : y));
                        if (!first) assert_memory_equal(y, want, (size_t)ny * sizeof(float));
                        first = 0;
                        runs++;
                    }
                }
            us_cpu_force_isa(US_ISA_COUNT);
            us_parallel_set_threads(1);
            double max_ref = 0, max_err = 0;
            for (int64_t i = 0; i < ny && !first; i++) {
                max_ref = fmax(max_ref, fabs(ref[i]));
                max_err = fmax(max_err, fabs(ref[i] - want[i]));
            }
            assert_true(max_err <= DIRECT_TOL * fmax(1.0, max_ref));
        }
        free(low), free(up), free(k), free(bias), free(scale), free(shift), free(y), free(want), free(ref);
    }
    /* x86-64 CPUs of the last decade have AVX2: the test must not pass empty */
    assert_true(runs >= 4 * 2 * 2 * 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(winograd_matches_reference),
                                       cmocka_unit_test(winograd_tile_choice),
                                       cmocka_unit_test(im2col_packed_matches_in_place),
        cmocka_unit_test(winograd_fused_matches_prepared_bit_for_bit),
        cmocka_unit_test(winograd_sources_match_gathered_bit_for_bit),
                                       cmocka_unit_test(direct_matches_reference),
                                       cmocka_unit_test(narrow_matches_reference),
                                       cmocka_unit_test(narrow_sums_in_documented_order),
                                       cmocka_unit_test(direct_variants_agree_bit_for_bit),
                                       cmocka_unit_test(up2_matches_reference),
                                       cmocka_unit_test(stem_matches_im2col_bit_for_bit),
                                       cmocka_unit_test(maxpool_zero_padded_equals_pad_then_pool),
                                       cmocka_unit_test(winograd_input_gradient)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
