/* Per-layer-kind forward cases against tests/fixtures/ops.safetensors.
 *
 * The fixture is made by tests/gen/gen_ops.py (float64 torch, stored F32);
 * the case list below mirrors its CASES list. Each case builds a tiny model
 * through the public API (input "in" -> layer "op"), sets the layer's
 * parameters from the fixture ("<case>/kernel" -> "op/kernel"), runs
 * unetseg_model_forward and requires
 *     max |out - ref| <= 1e-5 * max(1, max |ref|).
 * Concatenate/Add cases build their three inputs as channel slices of the one
 * input, each realised by a 1x1 selector Conv2D "b0", "b1", "b2" (0/1 kernel,
 * exact in float32).
 *
 * The fixture's metadata holds each case's JSON config; without parsing JSON,
 * the test checks that every C case's settings appear in it verbatim and
 * that the two case lists are the same.
 *
 * Hand-computed cases at the end pin the TF 'same' padding rule.
 */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"
#include "ops/ops.h"

/* ------------------------------------------------------------------ cases */

enum op_kind { OP_CONV, OP_CONVT, OP_BN, OP_ACT, OP_ZEROPAD, OP_MAXPOOL, OP_UPSAMPLE,
               OP_CONCAT, OP_ADD };

typedef struct op_case {
    const char *name;
    enum op_kind kind;
    int64_t filters;         /* conv, convT */
    int64_t k[2];            /* kernel (conv, convT) or pool size */
    int64_t s[2];            /* strides (conv, convT, maxpool) */
    int32_t padding;         /* UNETSEG_PADDING_* */
    int32_t use_bias;
    double epsilon;          /* bn (momentum is always 0.99) */
    int32_t center, scale;
    int32_t activation;      /* UNETSEG_ACT_* */
    const char *act_name;    /* Keras activation string, for the metadata check */
    int64_t pad[4];          /* zero padding: top, bottom, left, right */
    int64_t size[2];         /* upsampling */
    int32_t n_slices;        /* concat, add: branches as [start, length] */
    int64_t slices[3][2];
} op_case;

#define CONV(nm, f, kh, kw, sh, sw, pd, b)                                                 \
    { .name = nm, .kind = OP_CONV, .filters = f, .k = {kh, kw}, .s = {sh, sw},             \
      .padding = UNETSEG_PADDING_##pd, .use_bias = b }
#define CONVT(nm, f, kh, kw, sh, sw, pd, b)                                                \
    { .name = nm, .kind = OP_CONVT, .filters = f, .k = {kh, kw}, .s = {sh, sw},            \
      .padding = UNETSEG_PADDING_##pd, .use_bias = b }
#define BN(nm, eps, c, sc) { .name = nm, .kind = OP_BN, .epsilon = eps, .center = c, .scale = sc }
#define ACT(nm, a, s) { .name = nm, .kind = OP_ACT, .activation = UNETSEG_ACT_##a, .act_name = s }
#define POOL(nm, ph, pw, sh, sw, pd)                                                       \
    { .name = nm, .kind = OP_MAXPOOL, .k = {ph, pw}, .s = {sh, sw},                        \
      .padding = UNETSEG_PADDING_##pd }

/* Mirror of CASES in tests/gen/gen_ops.py. */
static op_case cases[] = {
    CONV("conv_valid_s1_k3_odd", 4, 3, 3, 1, 1, VALID, 1),
    CONV("conv_valid_s2_k3_even", 5, 3, 3, 2, 2, VALID, 0),
    CONV("conv_valid_s2_k7_odd", 4, 7, 7, 2, 2, VALID, 0),
    CONV("conv_valid_s1_k1", 3, 1, 1, 1, 1, VALID, 1),
    CONV("conv_valid_s2_k1_even", 6, 1, 1, 2, 2, VALID, 0),
    CONV("conv_same_s1_k3_odd", 5, 3, 3, 1, 1, SAME, 1),
    CONV("conv_same_s1_k3_even", 4, 3, 3, 1, 1, SAME, 0),
    CONV("conv_same_s2_k3_odd", 5, 3, 3, 2, 2, SAME, 1),
    CONV("conv_same_s2_k3_even", 5, 3, 3, 2, 2, SAME, 1),
    CONV("conv_same_s2_k7_odd", 4, 7, 7, 2, 2, SAME, 0),
    CONV("conv_same_s2_k7_even", 4, 7, 7, 2, 2, SAME, 1),
    CONV("conv_same_s2_k1_odd", 3, 1, 1, 2, 2, SAME, 0),
    CONV("conv_same_s1_k4_odd", 3, 4, 4, 1, 1, SAME, 1),
    CONV("conv_same_k1x3_s2x1", 4, 1, 3, 2, 1, SAME, 1),
    CONVT("convt_same_s2_k4", 3, 4, 4, 2, 2, SAME, 0),
    CONVT("convt_same_s2_k4_bias", 2, 4, 4, 2, 2, SAME, 1),
    CONVT("convt_same_s1_k3", 3, 3, 3, 1, 1, SAME, 1),
    CONVT("convt_valid_s2_k3", 2, 3, 3, 2, 2, VALID, 1),
    CONVT("convt_same_s2_k3", 2, 3, 3, 2, 2, SAME, 0),
    BN("bn_eps1e-3", 1e-3, 1, 1),
    BN("bn_center_false", 1e-3, 0, 1),
    BN("bn_scale_false", 2e-5, 1, 0),
    ACT("act_relu", RELU, "relu"),
    ACT("act_sigmoid", SIGMOID, "sigmoid"),
    ACT("act_softmax", SOFTMAX, "softmax"),
    ACT("act_softmax_large", SOFTMAX, "softmax"),
    ACT("act_tanh", TANH, "tanh"),
    ACT("act_linear", LINEAR, "linear"),
    { .name = "zeropad_asym", .kind = OP_ZEROPAD, .pad = {1, 2, 0, 3} },
    POOL("maxpool_valid_k3_s2_odd", 3, 3, 2, 2, VALID),
    POOL("maxpool_valid_k3_s2_even", 3, 3, 2, 2, VALID),
    POOL("maxpool_same_k2_s2_odd", 2, 2, 2, 2, SAME),
    POOL("maxpool_same_k2_s2_odd_rect", 2, 2, 2, 2, SAME),
    POOL("maxpool_same_k3_s2_even", 3, 3, 2, 2, SAME),
    { .name = "upsampling_nearest_2x2", .kind = OP_UPSAMPLE, .size = {2, 2} },
    { .name = "upsampling_nearest_3x2", .kind = OP_UPSAMPLE, .size = {3, 2} },
    { .name = "concat3", .kind = OP_CONCAT, .n_slices = 3, .slices = {{2, 3}, {0, 2}, {5, 1}} },
    { .name = "add3", .kind = OP_ADD, .n_slices = 3, .slices = {{0, 2}, {2, 2}, {4, 2}} },
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* ---------------------------------------------------------------- fixture */

static us_st_file *g_fixture = NULL;

static int open_fixture(void **state) {
    (void)state;
    const char *dir = getenv("UNETSEG_FIXTURE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/ops.safetensors", dir ? dir : "tests/fixtures");
    int32_t st = us_st_open(path, &g_fixture);
    if (st != UNETSEG_OK) {
        print_error("cannot open %s: %s\n", path, unetseg_last_error());
        return -1;
    }
    return 0;
}

static int close_fixture(void **state) {
    (void)state;
    us_st_close(g_fixture);
    g_fixture = NULL;
    return 0;
}

/* A fixture tensor "<case>/<what>", read as float32. */
typedef struct fx_tensor {
    int32_t rank;
    int64_t shape[UNETSEG_MAX_RANK];
    int64_t count;
    float *data;
} fx_tensor;

/* Returns 0 if absent; fails the test on a read error. */
static int fx_read(const char *case_name, const char *what, fx_tensor *out) {
    char key[256];
    snprintf(key, sizeof key, "%s/%s", case_name, what);
    memset(out, 0, sizeof *out);
    const us_st_entry *e = us_st_find(g_fixture, key);
    if (!e) return 0;
    out->rank = e->rank;
    memcpy(out->shape, e->shape, sizeof out->shape);
    out->count = us_st_numel(e);
    out->data = malloc((size_t)(out->count > 0 ? out->count : 1) * sizeof(float));
    assert_non_null(out->data);
    assert_ok(us_st_read_f32(g_fixture, e, out->data, out->count));
    return 1;
}

static void fx_require(const char *case_name, const char *what, fx_tensor *out) {
    if (!fx_read(case_name, what, out)) {
        print_error("fixture has no %s/%s\n", case_name, what);
        fail();
    }
}

static void fx_free(fx_tensor *t) {
    free(t->data);
    t->data = NULL;
}

static unetseg_tensor *fx_to_tensor(const fx_tensor *t) {
    unetseg_tensor *u = NULL;
    assert_ok(unetseg_tensor_create(t->rank, t->shape, &u));
    assert_ok(unetseg_tensor_copy_from(u, t->data, t->count));
    return u;
}

/* Set "<layer>/<param>" from "<case>/<param>"; `present` says whether the
 * layer has that parameter, and the fixture must agree. */
static void set_param_from_fixture(unetseg_model *m, const char *case_name, const char *layer,
                                   const char *param, int present) {
    fx_tensor t;
    int found = fx_read(case_name, param, &t);
    if (found != present) {
        print_error("%s: fixture %s '%s' but the C case %s it\n", case_name,
                    found ? "has" : "lacks", param, present ? "needs" : "does not use");
        fx_free(&t);
        fail();
    }
    if (!found) return;
    char name[256];
    snprintf(name, sizeof name, "%s/%s", layer, param);
    unetseg_tensor *v = fx_to_tensor(&t);
    assert_ok(unetseg_model_param_set(m, name, v));
    unetseg_tensor_free(v);
    fx_free(&t);
}

/* ------------------------------------------------------- metadata check */

/* Whether `json` contains `fragment` followed by ',' or '}'. */
static int meta_has(const char *json, const char *fragment) {
    size_t n = strlen(fragment);
    for (const char *p = strstr(json, fragment); p; p = strstr(p + 1, fragment))
        if (p[n] == ',' || p[n] == '}') return 1;
    return 0;
}

static void expect_fragment(const op_case *c, const char *json, const char *fmt, ...) {
    char frag[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(frag, sizeof frag, fmt, ap);
    va_end(ap);
    if (!meta_has(json, frag)) {
        print_error("%s: fixture config %s does not contain %s\n", c->name, json, frag);
        fail();
    }
}

static const char *tf_bool(int32_t v) { return v ? "true" : "false"; }
static const char *tf_padding(int32_t p) { return p == UNETSEG_PADDING_SAME ? "same" : "valid"; }

static void check_config(const op_case *c) {
    const char *json = us_st_meta(g_fixture, c->name);
    if (!json) {
        print_error("fixture has no config for case %s\n", c->name);
        fail();
    }
    switch (c->kind) {
    case OP_CONV:
    case OP_CONVT:
        expect_fragment(c, json, "\"kind\":\"%s\"", c->kind == OP_CONV ? "conv2d" : "conv2d_transpose");
        expect_fragment(c, json, "\"filters\":%d", (int)c->filters);
        expect_fragment(c, json, "\"kernel\":[%d,%d]", (int)c->k[0], (int)c->k[1]);
        expect_fragment(c, json, "\"strides\":[%d,%d]", (int)c->s[0], (int)c->s[1]);
        expect_fragment(c, json, "\"padding\":\"%s\"", tf_padding(c->padding));
        expect_fragment(c, json, "\"use_bias\":%s", tf_bool(c->use_bias));
        break;
    case OP_BN:
        expect_fragment(c, json, "\"kind\":\"batchnorm\"");
        expect_fragment(c, json, "\"epsilon\":%g", c->epsilon);
        expect_fragment(c, json, "\"momentum\":0.99");
        expect_fragment(c, json, "\"center\":%s", tf_bool(c->center));
        expect_fragment(c, json, "\"scale\":%s", tf_bool(c->scale));
        break;
    case OP_ACT:
        expect_fragment(c, json, "\"kind\":\"activation\"");
        expect_fragment(c, json, "\"activation\":\"%s\"", c->act_name);
        break;
    case OP_ZEROPAD:
        expect_fragment(c, json, "\"kind\":\"zero_padding2d\"");
        expect_fragment(c, json, "\"padding\":[[%d,%d],[%d,%d]]", (int)c->pad[0], (int)c->pad[1],
                        (int)c->pad[2], (int)c->pad[3]);
        break;
    case OP_MAXPOOL:
        expect_fragment(c, json, "\"kind\":\"max_pooling2d\"");
        expect_fragment(c, json, "\"pool_size\":[%d,%d]", (int)c->k[0], (int)c->k[1]);
        expect_fragment(c, json, "\"strides\":[%d,%d]", (int)c->s[0], (int)c->s[1]);
        expect_fragment(c, json, "\"padding\":\"%s\"", tf_padding(c->padding));
        break;
    case OP_UPSAMPLE:
        expect_fragment(c, json, "\"kind\":\"upsampling2d\"");
        expect_fragment(c, json, "\"size\":[%d,%d]", (int)c->size[0], (int)c->size[1]);
        expect_fragment(c, json, "\"interpolation\":\"nearest\"");
        break;
    case OP_CONCAT:
    case OP_ADD: {
        char buf[128];
        int off = snprintf(buf, sizeof buf, "\"slices\":[");
        for (int i = 0; i < c->n_slices; ++i)
            off += snprintf(buf + off, sizeof buf - (size_t)off, "%s[%d,%d]", i ? "," : "",
                            (int)c->slices[i][0], (int)c->slices[i][1]);
        snprintf(buf + off, sizeof buf - (size_t)off, "]");
        expect_fragment(c, json, "\"kind\":\"%s\"", c->kind == OP_CONCAT ? "concatenate" : "add");
        expect_fragment(c, json, "%s", buf);
        break;
    }
    }
}

/* The fixture and the C list hold the same case names. */
static void test_case_lists_match(void **state) {
    (void)state;
    int32_t n_meta = us_st_meta_count(g_fixture);
    int fixture_cases = 0;
    for (int32_t i = 0; i < n_meta; ++i) {
        const char *key = NULL, *value = NULL;
        us_st_meta_at(g_fixture, i, &key, &value);
        if (strcmp(key, "generator") == 0) continue;
        ++fixture_cases;
        int found = 0;
        for (int j = 0; j < N_CASES && !found; ++j) found = strcmp(cases[j].name, key) == 0;
        if (!found) {
            print_error("fixture case %s is missing from test_ops_fixtures.c\n", key);
            fail();
        }
    }
    assert_int_equal(fixture_cases, N_CASES);
}

/* ------------------------------------------------------------- the cases */

static void build_layer(unetseg_model *m, const op_case *c, int64_t channels) {
    const char *n = c->name;
    switch (c->kind) {
    case OP_CONV:
        assert_ok(unetseg_model_add_conv2d(m, "op", "in", c->filters, c->k[0], c->k[1], c->s[0],
                                           c->s[1], c->padding, c->use_bias));
        set_param_from_fixture(m, n, "op", "kernel", 1);
        set_param_from_fixture(m, n, "op", "bias", c->use_bias);
        break;
    case OP_CONVT:
        assert_ok(unetseg_model_add_conv2d_transpose(m, "op", "in", c->filters, c->k[0], c->k[1],
                                                     c->s[0], c->s[1], c->padding, c->use_bias));
        set_param_from_fixture(m, n, "op", "kernel", 1);
        set_param_from_fixture(m, n, "op", "bias", c->use_bias);
        break;
    case OP_BN:
        assert_ok(unetseg_model_add_batchnorm(m, "op", "in", c->epsilon, 0.99, c->center, c->scale));
        set_param_from_fixture(m, n, "op", "gamma", c->scale);
        set_param_from_fixture(m, n, "op", "beta", c->center);
        set_param_from_fixture(m, n, "op", "moving_mean", 1);
        set_param_from_fixture(m, n, "op", "moving_variance", 1);
        break;
    case OP_ACT:
        assert_ok(unetseg_model_add_activation(m, "op", "in", c->activation));
        break;
    case OP_ZEROPAD:
        assert_ok(unetseg_model_add_zero_padding2d(m, "op", "in", c->pad[0], c->pad[1], c->pad[2],
                                                   c->pad[3]));
        break;
    case OP_MAXPOOL:
        assert_ok(unetseg_model_add_max_pooling2d(m, "op", "in", c->k[0], c->k[1], c->s[0],
                                                  c->s[1], c->padding));
        break;
    case OP_UPSAMPLE:
        assert_ok(unetseg_model_add_upsampling2d(m, "op", "in", c->size[0], c->size[1],
                                                 UNETSEG_INTERP_NEAREST));
        break;
    case OP_CONCAT:
    case OP_ADD: {
        static const char *const branch[3] = {"b0", "b1", "b2"};
        for (int i = 0; i < c->n_slices; ++i) {
            int64_t start = c->slices[i][0], len = c->slices[i][1];
            assert_ok(unetseg_model_add_conv2d(m, branch[i], "in", len, 1, 1, 1, 1,
                                               UNETSEG_PADDING_VALID, 0));
            int64_t kshape[4] = {1, 1, channels, len};
            unetseg_tensor *k = NULL;
            assert_ok(unetseg_tensor_create(4, kshape, &k));
            float *kd = unetseg_tensor_data(k); /* zero-filled */
            for (int64_t j = 0; j < len; ++j) kd[(start + j) * len + j] = 1.0f;
            char pname[32];
            snprintf(pname, sizeof pname, "%s/kernel", branch[i]);
            assert_ok(unetseg_model_param_set(m, pname, k));
            unetseg_tensor_free(k);
        }
        if (c->kind == OP_CONCAT)
            assert_ok(unetseg_model_add_concatenate(m, "op", branch, c->n_slices));
        else
            assert_ok(unetseg_model_add_add(m, "op", branch, c->n_slices));
        break;
    }
    }
}

/* Compare an output tensor with a reference; tolerance 1e-5 * max(1, max|ref|). */
static void compare_output(const char *what, unetseg_tensor *out, const fx_tensor *ref) {
    int32_t rank = 0;
    int64_t shape[UNETSEG_MAX_RANK] = {0};
    assert_ok(unetseg_tensor_rank(out, &rank));
    assert_ok(unetseg_tensor_shape(out, shape, UNETSEG_MAX_RANK));
    int same_shape = rank == ref->rank;
    for (int32_t i = 0; same_shape && i < rank; ++i) same_shape = shape[i] == ref->shape[i];
    if (!same_shape) {
        print_error("%s: output shape (%lld,%lld,%lld,%lld), reference (%lld,%lld,%lld,%lld)\n",
                    what, (long long)shape[0], (long long)shape[1], (long long)shape[2],
                    (long long)shape[3], (long long)ref->shape[0], (long long)ref->shape[1],
                    (long long)ref->shape[2], (long long)ref->shape[3]);
        fail();
    }
    const float *got = unetseg_tensor_data(out);
    double max_ref = 0.0, max_err = 0.0;
    int64_t worst = 0;
    for (int64_t i = 0; i < ref->count; ++i) {
        double r = ref->data[i];
        double e = fabs((double)got[i] - r);
        if (fabs(r) > max_ref) max_ref = fabs(r);
        if (!(e <= max_err)) { /* also catches NaN */
            max_err = isnan(e) ? INFINITY : e;
            worst = i;
        }
    }
    double tol = 1e-5 * (max_ref > 1.0 ? max_ref : 1.0);
    if (!(max_err <= tol)) {
        print_error("%s: max |err| %.3g > tol %.3g (max|ref| %.4g) at flat index %lld: "
                    "got %.9g, ref %.9g\n", what, max_err, tol, max_ref, (long long)worst,
                    (double)got[worst], (double)ref->data[worst]);
        fail();
    }
}

static void run_case(void **state) {
    const op_case *c = (const op_case *)*state;
    check_config(c);

    fx_tensor in, ref;
    fx_require(c->name, "input", &in);
    fx_require(c->name, "output", &ref);
    assert_int_equal(in.rank, 4);

    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", in.shape[1], in.shape[2], in.shape[3]));
    build_layer(m, c, in.shape[3]);

    unetseg_tensor *x = fx_to_tensor(&in);
    unetseg_tensor *y = NULL;
    assert_ok(unetseg_model_forward(m, x, &y));
    compare_output(c->name, y, &ref);

    unetseg_tensor_free(y);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
    fx_free(&in);
    fx_free(&ref);
}

/* ----------------------------------------------------- hand-computed cases */

/* Run a model on a (1,H,W,1) input and require the exact expected output. */
static void run_single(unetseg_model *m, int64_t h, int64_t w, const float *x, int64_t out_h,
                       int64_t out_w, const float *expected) {
    unetseg_tensor *in = make_tensor4(1, h, w, 1, x);
    unetseg_tensor *out = NULL;
    assert_ok(unetseg_model_forward(m, in, &out));
    int64_t shape[4] = {0};
    assert_ok(unetseg_tensor_shape(out, shape, 4));
    assert_int_equal(shape[0], 1);
    assert_int_equal(shape[1], out_h);
    assert_int_equal(shape[2], out_w);
    assert_int_equal(shape[3], 1);
    const float *got = unetseg_tensor_data(out);
    for (int64_t i = 0; i < out_h * out_w; ++i) {
        if (got[i] != expected[i]) print_error("index %lld: got %g, expected %g\n",
                                               (long long)i, (double)got[i], (double)expected[i]);
        assert_true(got[i] == expected[i]);
    }
    unetseg_tensor_free(out);
    unetseg_tensor_free(in);
}

static unetseg_model *ones_conv_model(int64_t h, int64_t w) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", h, w, 1));
    assert_ok(unetseg_model_add_conv2d(m, "op", "in", 1, 3, 3, 2, 2, UNETSEG_PADDING_SAME, 0));
    int64_t kshape[4] = {3, 3, 1, 1};
    unetseg_tensor *k = NULL;
    assert_ok(unetseg_tensor_create(4, kshape, &k));
    float *kd = unetseg_tensor_data(k);
    for (int i = 0; i < 9; ++i) kd[i] = 1.0f;
    assert_ok(unetseg_model_param_set(m, "op/kernel", k));
    unetseg_tensor_free(k);
    return m;
}

/* Conv2D 3x3 kernel of ones, stride 2, 'same', on a 5x5 input x[i][j] = 5i+j+1.
 * Output 3x3 (ceil(5/2)); pad_total = (3-1)*2 + 3 - 5 = 2 -> 1 before, 1 after:
 * for an odd input this split is symmetric. Output (r, c) sums input rows
 * 2r-1..2r+1 and cols 2c-1..2c+1 that lie inside 0..4:
 *   rows {0,1}, {1,2,3}, {3,4}; cols likewise.
 *   (0,0) 1+2+6+7 = 16          (0,1) 2+3+4+7+8+9 = 33        (0,2) 4+5+9+10 = 28
 *   (1,0) 6+7+11+12+16+17 = 69  (1,1) 9*13 = 117              (1,2) 9+10+14+15+19+20 = 87
 *   (2,0) 16+17+21+22 = 76      (2,1) 17+18+19+22+23+24 = 123 (2,2) 19+20+24+25 = 88 */
static void test_hand_conv_same_s2_5x5(void **state) {
    (void)state;
    float x[25];
    for (int i = 0; i < 25; ++i) x[i] = (float)(i + 1);
    static const float expected[9] = {16, 33, 28, 69, 117, 87, 76, 123, 88};
    unetseg_model *m = ones_conv_model(5, 5);
    run_single(m, 5, 5, x, 3, 3, expected);
    unetseg_model_free(m);
}

/* The same layer on a 4x4 input x[i][j] = 4i+j+1 shows the TF rule's extra
 * padding at the bottom/right: output 2x2, pad_total = (2-1)*2 + 3 - 4 = 1 ->
 * 0 before, 1 after. Output (r, c) covers rows 2r..2r+2, cols 2c..2c+2:
 *   (0,0) rows 0-2, cols 0-2: 1+2+3+5+6+7+9+10+11 = 54
 *   (0,1) rows 0-2, cols 2-3: 3+4+7+8+11+12       = 45
 *   (1,0) rows 2-3, cols 0-2: 9+10+11+13+14+15    = 72
 *   (1,1) rows 2-3, cols 2-3: 11+12+15+16         = 54
 * (Symmetric torch-style padding 1 would give 14 at (0,0).) */
static void test_hand_conv_same_s2_4x4(void **state) {
    (void)state;
    float x[16];
    for (int i = 0; i < 16; ++i) x[i] = (float)(i + 1);
    static const float expected[4] = {54, 45, 72, 54};
    unetseg_model *m = ones_conv_model(4, 4);
    run_single(m, 4, 4, x, 2, 2, expected);
    unetseg_model_free(m);
}

/* MaxPooling2D 2x2, stride 2, 'same' on a 3x3 input of negative values
 *   -1 -2 -3
 *   -4 -5 -6
 *   -7 -8 -9
 * Output 2x2 (ceil(3/2)); pad_total = (2-1)*2 + 2 - 3 = 1 -> 0 before, 1
 * after, and the padding never wins the max (it is -inf, not 0):
 *   (0,0) max(-1,-2,-4,-5) = -1   (0,1) max(-3,-6) = -3
 *   (1,0) max(-7,-8)       = -7   (1,1) max(-9)    = -9
 * (Zero padding would give 0 in three of the four outputs.) */
static void test_hand_maxpool_same_2x2_3x3(void **state) {
    (void)state;
    static const float x[9] = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
    static const float expected[4] = {-1, -3, -7, -9};
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", 3, 3, 1));
    assert_ok(unetseg_model_add_max_pooling2d(m, "op", "in", 2, 2, 2, 2, UNETSEG_PADDING_SAME));
    run_single(m, 3, 3, x, 2, 2, expected);
    unetseg_model_free(m);
}

/* The sigmoid's own exp (src/ops/activation.c) against float64: within 2e-7
 * of the value (about 2 ulp) over [-100, 100] in steps that cross every
 * binade used, 1 and 0 beyond, NaN kept, +-0 giving 0.5; in place too. */
static void test_sigmoid_close_to_float64(void **state) {
    (void)state;
    enum { N = 40000 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    assert_non_null(x);
    assert_non_null(y);
    for (int i = 0; i < N - 8; i++) x[i] = -100.0f + 200.0f * (float)i / (float)(N - 9);
    const float special[8] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 1e-30f, -1e-30f, 88.5f};
    memcpy(x + N - 8, special, sizeof special);
    us_activation_forward(UNETSEG_ACT_SIGMOID, x, N, 1, y);
    double worst = 0;
    for (int i = 0; i < N; i++) {
        if (isnan(x[i])) {
            assert_true(isnan(y[i]));
            continue;
        }
        const double want = 1.0 / (1.0 + exp(-(double)x[i]));
        const double err = fabs((double)y[i] - want);
        /* e^-87 stands for anything smaller: an absolute 1.6e-38 below -87 */
        const double allowed = x[i] < -87.0f ? 2e-38 : 2e-7 * want;
        if (err > allowed) print_error("sigmoid(%g) = %.9g, want %.9g\n", (double)x[i], (double)y[i], want);
        assert_true(err <= allowed);
        if (x[i] > -87.0f && want > 0) worst = fmax(worst, err / want);
    }
    assert_true(y[N - 8] == 1.0f && y[N - 7] >= 0.0f && y[N - 7] < 1e-37f);
    assert_true(y[N - 5] == 0.5f && y[N - 4] == 0.5f);
    printf("sigmoid: worst relative error %.3g\n", worst);
    memcpy(y, x, N * sizeof(float)); /* in place: the same values */
    float *again = malloc(N * sizeof(float));
    assert_non_null(again);
    us_activation_forward(UNETSEG_ACT_SIGMOID, x, N, 1, again);
    us_activation_forward(UNETSEG_ACT_SIGMOID, y, N, 1, y);
    for (int i = 0; i < N; i++) assert_true(memcmp(&y[i], &again[i], sizeof(float)) == 0 || isnan(y[i]));
    free(x), free(y), free(again);
}

/* ------------------------------------------------------------------ main */

int main(void) {
    static struct CMUnitTest tests[N_CASES + 5];
    int n = 0;
    tests[n++] = (struct CMUnitTest){.name = "hand_conv_same_s2_5x5",
                                     .test_func = test_hand_conv_same_s2_5x5};
    tests[n++] = (struct CMUnitTest){.name = "hand_conv_same_s2_4x4",
                                     .test_func = test_hand_conv_same_s2_4x4};
    tests[n++] = (struct CMUnitTest){.name = "hand_maxpool_same_2x2_3x3",
                                     .test_func = test_hand_maxpool_same_2x2_3x3};
    tests[n++] = (struct CMUnitTest){.name = "case_lists_match",
                                     .test_func = test_case_lists_match};
    tests[n++] = (struct CMUnitTest){.name = "sigmoid_close_to_float64",
                                     .test_func = test_sigmoid_close_to_float64};
    for (int i = 0; i < N_CASES; ++i)
        tests[n++] = (struct CMUnitTest){.name = cases[i].name, .test_func = run_case,
                                         .initial_state = &cases[i]};
    return _cmocka_run_group_tests("ops_fixtures", tests, (size_t)n, open_fixture,
                                   close_fixture);
}
