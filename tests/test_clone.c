/* unetseg_model_clone and unetseg_model_param_bytes (issue 17, item 3): a
 * clone gives the same bits as its source; parameters are shared
 * copy-on-write, so a change on either handle (param_set, load_weights, a
 * training step) leaves the other as it was; handles are freed in any
 * order; 8 threads on 8 clones give the single-thread result while the
 * weights and their transformed kernels are held once. References are
 * independent: models built the same way and given the same change, the
 * source's own earlier outputs, and parameter counts from the builders.
 * `make check-tsan` runs this under ThreadSanitizer. Workers only record
 * what they saw; CMocka asserts run on the main thread. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/test_support.h"

/* ------------------------------------------------------------- helpers */
static int64_t numel(const unetseg_tensor *t) {
    int64_t n = 0;
    assert_ok(unetseg_tensor_numel(t, &n));
    return n;
}

static int same_bits(const unetseg_tensor *a, const unetseg_tensor *b) {
    return a && b && numel(a) == numel(b) &&
           memcmp(unetseg_tensor_data_const(a), unetseg_tensor_data_const(b),
                  (size_t)numel(a) * sizeof(float)) == 0;
}

/* input 32x32x8 -> c1 3x3 to 16 (Winograd) -> bn -> relu -> c2 3x3 to 1 -> sigmoid */
static unetseg_model *build_small(void) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", 32, 32, 8));
    assert_ok(unetseg_model_add_conv2d(m, "c1", "in", 16, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_batchnorm(m, "bn", "c1", 1e-3, 0.99, 1, 1));
    assert_ok(unetseg_model_add_activation(m, "relu", "bn", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_conv2d(m, "c2", "relu", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_activation(m, "out", "c2", UNETSEG_ACT_SIGMOID));
    return m;
}

/* Parameter `name` set to 0.2 sin(f i) + offset (layers start at zeros). */
static void set_param(unetseg_model *m, const char *name, double f, double offset) {
    unetseg_tensor *t = NULL;
    assert_ok(unetseg_model_param_get(m, name, &t));
    float *d = unetseg_tensor_data(t);
    for (int64_t i = 0; i < numel(t); i++) d[i] = (float)(0.2 * sin(f * (double)(i + 1)) + offset);
    assert_ok(unetseg_model_param_set(m, name, t));
    unetseg_tensor_free(t);
}

/* The small model with every parameter set by formula (the same for the
 * same call, whichever model it is called on). */
static unetseg_model *small_model(void) {
    unetseg_model *m = build_small();
    set_param(m, "c1/kernel", 1.1, 0.0);
    set_param(m, "c1/bias", 0.3, 0.0);
    set_param(m, "bn/gamma", 0.7, 1.0);
    set_param(m, "bn/beta", 0.9, 0.0);
    set_param(m, "bn/moving_mean", 1.3, 0.0);
    set_param(m, "bn/moving_variance", 1.7, 1.0);
    set_param(m, "c2/kernel", 0.5, 0.0);
    set_param(m, "c2/bias", 2.1, 0.0);
    return m;
}

static unetseg_tensor *small_input(int64_t n) {
    unetseg_tensor *t = make_tensor4(n, 32, 32, 8, NULL);
    float *v = unetseg_tensor_data(t);
    for (int64_t i = 0; i < n * 32 * 32 * 8; i++) v[i] = (float)cos(0.37 * (double)i);
    return t;
}

static unetseg_tensor *forward(unetseg_model *m, const unetseg_tensor *x) {
    unetseg_tensor *y = NULL;
    assert_ok(unetseg_model_forward(m, x, &y));
    return y;
}

static unetseg_tensor *small_forward(unetseg_model *m) {
    unetseg_tensor *x = small_input(1), *y = forward(m, x);
    unetseg_tensor_free(x);
    return y;
}

static unetseg_tensor *param(const unetseg_model *m, const char *name) {
    unetseg_tensor *t = NULL;
    assert_ok(unetseg_model_param_get(m, name, &t));
    return t;
}

static unetseg_model *clone_of(const unetseg_model *m) {
    unetseg_model *c = NULL;
    assert_ok(unetseg_model_clone(m, &c));
    assert_non_null(c);
    return c;
}

/* Bytes of every parameter of m, from its parameter count (independent of
 * the sharing code). */
static int64_t weight_bytes(const unetseg_model *m) {
    int64_t total = 0;
    assert_ok(unetseg_model_param_totals(m, &total, NULL, NULL));
    return 4 * total;
}

typedef struct bytes3 {
    int64_t unique, total, cache;
} bytes3;

static bytes3 param_bytes(const unetseg_model *m, const unetseg_model *const *others, int32_t n) {
    bytes3 b = {-1, -1, -1};
    assert_ok(unetseg_model_param_bytes(m, others, n, &b.unique, &b.total, &b.cache));
    return b;
}

/* Every parameter tensor of a equals b's (names and values). */
static void assert_same_params(const unetseg_model *a, const unetseg_model *b) {
    int32_t na = 0, nb = 0;
    assert_ok(unetseg_model_param_tensor_count(a, &na));
    assert_ok(unetseg_model_param_tensor_count(b, &nb));
    assert_int_equal(na, nb);
    for (int32_t i = 0; i < na; i++) {
        const char *name = NULL, *name_b = NULL;
        assert_ok(unetseg_model_param_tensor_name(a, i, &name));
        char copy[256];
        snprintf(copy, sizeof copy, "%s", name);
        assert_ok(unetseg_model_param_tensor_name(b, i, &name_b));
        assert_string_equal(copy, name_b);
        unetseg_tensor *ta = param(a, copy), *tb = param(b, copy);
        if (!same_bits(ta, tb)) {
            print_error("parameter %s differs\n", copy);
            fail();
        }
        unetseg_tensor_free(ta), unetseg_tensor_free(tb);
    }
}

static unetseg_model *unet(const char *backbone, int64_t size, uint64_t seed) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, backbone));
    assert_ok(unetseg_unet_options_set_input_shape(o, size, size, 3));
    assert_ok(unetseg_unet_options_set_seed(o, seed));
    assert_ok(unetseg_unet_create(o, &m));
    unetseg_unet_options_free(o);
    return m;
}

static unetseg_tensor *image(int64_t size) {
    unetseg_tensor *t = make_tensor4(1, size, size, 3, NULL);
    float *x = unetseg_tensor_data(t);
    for (int64_t i = 0; i < size * size * 3; i++) x[i] = (float)((i * 37) % 256);
    return t;
}

/* --------------------------------------------------------------- equality */
static void clone_equals_source(void **state) {
    (void)state;
    unetseg_model *src = small_model(), *ref = small_model();
    unetseg_model *c = clone_of(src);
    unetseg_tensor *ys = small_forward(src), *yc = small_forward(c), *yr = small_forward(ref);
    assert_true(same_bits(ys, yr));
    assert_true(same_bits(yc, yr));
    assert_same_params(c, ref);
    int32_t n = 0;
    assert_ok(unetseg_model_layer_count(c, &n));
    assert_int_equal(n, 6);
    for (int32_t i = 0; i < n; i++) {
        const char *a = NULL, *b = NULL;
        int64_t sa[4], sb[4];
        assert_ok(unetseg_model_layer_name(c, i, &a));
        assert_ok(unetseg_model_layer_name(ref, i, &b));
        assert_string_equal(a, b);
        assert_ok(unetseg_model_layer_output_shape(c, i, sa));
        assert_ok(unetseg_model_layer_output_shape(ref, i, sb));
        assert_memory_equal(sa, sb, sizeof sa);
    }
    /* all weights shared: held once */
    const unetseg_model *others[1] = {c};
    bytes3 b = param_bytes(src, others, 1);
    assert_int_equal(b.unique, weight_bytes(ref));
    assert_int_equal(b.total, 2 * weight_bytes(ref));
    unetseg_tensor_free(ys), unetseg_tensor_free(yc), unetseg_tensor_free(yr);
    unetseg_model_free(c), unetseg_model_free(src), unetseg_model_free(ref);
}

/* A builder's model: the summary (its description, regions, trainable
 * flags) and the forward match a model built the same way; Monte-Carlo
 * dropout continues from the source's step. */
static void clone_of_unet_equals_source(void **state) {
    (void)state;
    unetseg_model *src = unet("resnet18", 64, 3), *ref = unet("resnet18", 64, 3);
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *io = NULL;
    assert_ok(unetseg_matcher_parse("decoder_stage0 & relu", &mt));
    assert_ok(unetseg_insert_options_create(&io));
    assert_ok(unetseg_insert_options_set_kind(io, UNETSEG_LAYER_CONDITIONAL_DROPOUT));
    assert_ok(unetseg_insert_options_set_rate(io, 0.3));
    assert_ok(unetseg_insert_options_set_mode(io, UNETSEG_DROPOUT_ALWAYS, 0));
    assert_ok(unetseg_model_insert_dropout(src, mt, io, NULL));
    assert_ok(unetseg_model_insert_dropout(ref, mt, io, NULL));
    unetseg_tensor *x = image(64);
    /* one pass each: both models are at step 1 */
    unetseg_tensor *y0 = forward(src, x), *r0 = forward(ref, x);
    assert_true(same_bits(y0, r0));
    unetseg_model *c = clone_of(src);
    const char *ts = NULL, *tr = NULL;
    assert_ok(unetseg_model_summary(c, &ts));
    assert_ok(unetseg_model_summary(ref, &tr));
    assert_string_equal(ts, tr);
    unetseg_tensor *yc = forward(c, x), *ys = forward(src, x), *yr = forward(ref, x);
    assert_true(same_bits(yc, yr)); /* the clone continues at step 1 */
    assert_true(same_bits(ys, yr));
    assert_false(same_bits(yc, y0)); /* dropout masks moved on */
    unetseg_tensor_free(x), unetseg_tensor_free(y0), unetseg_tensor_free(r0);
    unetseg_tensor_free(yc), unetseg_tensor_free(ys), unetseg_tensor_free(yr);
    unetseg_insert_options_free(io);
    unetseg_matcher_free(mt);
    unetseg_model_free(c), unetseg_model_free(src), unetseg_model_free(ref);
}

/* --------------------------------------------------------- copy-on-write */
static void clone_change_leaves_source(void **state) {
    (void)state;
    unetseg_model *src = small_model();
    unetseg_tensor_free(small_forward(src));
    unetseg_tensor *before = small_forward(src); /* the second pass fills the kernel cache */
    unetseg_model *c = clone_of(src);
    unetseg_tensor *k_before = param(src, "c1/kernel");
    set_param(c, "c1/kernel", 2.3, 0.0);
    /* the reference: an independent model given the same change */
    unetseg_model *ref = small_model();
    set_param(ref, "c1/kernel", 2.3, 0.0);
    unetseg_tensor *yc = small_forward(c), *yr = small_forward(ref), *ys = small_forward(src);
    assert_true(same_bits(yc, yr));
    assert_true(same_bits(ys, before));
    assert_false(same_bits(yc, before));
    unetseg_tensor *k_after = param(src, "c1/kernel");
    assert_true(same_bits(k_before, k_after));
    /* only c1/kernel (16 x 3x3x8 + the rest shared) is held twice */
    const unetseg_model *others[1] = {c};
    bytes3 b = param_bytes(src, others, 1);
    assert_int_equal(b.unique, weight_bytes(ref) + 4 * 3 * 3 * 8 * 16);
    assert_int_equal(b.total, 2 * weight_bytes(ref));
    unetseg_tensor_free(before), unetseg_tensor_free(yc), unetseg_tensor_free(yr);
    unetseg_tensor_free(ys), unetseg_tensor_free(k_before), unetseg_tensor_free(k_after);
    unetseg_model_free(c), unetseg_model_free(src), unetseg_model_free(ref);
}

static void source_change_leaves_clone(void **state) {
    (void)state;
    char path[] = "/tmp/unetseg_clone_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unetseg_model *src = small_model();
    unetseg_tensor *before = small_forward(src);
    unetseg_model *c = clone_of(src);
    unetseg_tensor *c_before = small_forward(c); /* both use the shared kernels */
    assert_true(same_bits(c_before, before));
    set_param(src, "c2/kernel", 3.1, 0.0);
    /* load_weights replaces every parameter of the source */
    unetseg_model *other = small_model();
    set_param(other, "bn/gamma", 0.2, 0.5);
    set_param(other, "c1/kernel", 0.8, 0.0);
    assert_ok(unetseg_model_save_weights(other, path));
    assert_ok(unetseg_model_load_weights(src, path, UNETSEG_LOAD_STRICT, NULL));
    unetseg_tensor *ys = small_forward(src), *yo = small_forward(other), *yc = small_forward(c);
    assert_true(same_bits(ys, yo));
    assert_true(same_bits(yc, before));
    unetseg_model *ref = small_model();
    assert_same_params(c, ref);
    /* nothing is shared any more */
    const unetseg_model *others[1] = {c};
    bytes3 b = param_bytes(src, others, 1);
    assert_int_equal(b.unique, 2 * weight_bytes(ref));
    unlink(path);
    unetseg_tensor_free(before), unetseg_tensor_free(c_before), unetseg_tensor_free(ys);
    unetseg_tensor_free(yo), unetseg_tensor_free(yc);
    unetseg_model_free(c), unetseg_model_free(src), unetseg_model_free(other);
    unetseg_model_free(ref);
}

static unetseg_trainer *trainer_on(unetseg_model *m, unetseg_train_options **o) {
    unetseg_trainer *t = NULL;
    assert_ok(unetseg_train_options_create(o));
    assert_ok(unetseg_train_options_set_optimizer(*o, UNETSEG_OPTIMIZER_SGD, 0.5));
    assert_ok(unetseg_trainer_create(m, *o, &t));
    return t;
}

static void step(unetseg_trainer *t) {
    unetseg_tensor *x = small_input(2), *y = make_tensor4(2, 32, 32, 1, NULL);
    float *v = unetseg_tensor_data(y);
    for (int i = 0; i < 2 * 32 * 32; i++) v[i] = (float)((i / 7) % 2);
    assert_ok(unetseg_trainer_step(t, x, y, NULL));
    unetseg_tensor_free(x), unetseg_tensor_free(y);
}

static void training_a_clone_leaves_source(void **state) {
    (void)state;
    unetseg_model *src = small_model(), *ref = small_model(), *untouched = small_model();
    unetseg_tensor *before = small_forward(src);
    unetseg_model *c = clone_of(src);
    unetseg_train_options *oc = NULL, *orf = NULL;
    unetseg_trainer *tc = trainer_on(c, &oc), *tr = trainer_on(ref, &orf);
    step(tc);
    step(tr); /* the reference: an independent model trained the same way */
    assert_same_params(c, ref);
    assert_same_params(src, untouched); /* weights and BatchNorm statistics */
    unetseg_tensor *ys = small_forward(src), *yc = small_forward(c), *yr = small_forward(ref);
    assert_true(same_bits(ys, before));
    assert_true(same_bits(yc, yr));
    assert_false(same_bits(yc, before));
    /* then the source trains: the clone keeps its own values */
    unetseg_train_options *os = NULL;
    unetseg_trainer *ts = trainer_on(src, &os);
    step(ts);
    unetseg_model *ref1 = small_model();
    unetseg_train_options *o1 = NULL;
    unetseg_trainer *t1 = trainer_on(ref1, &o1);
    step(t1);
    assert_same_params(src, ref1);
    assert_same_params(c, ref);
    unetseg_tensor *yc2 = small_forward(c);
    assert_true(same_bits(yc2, yc));
    unetseg_tensor_free(before), unetseg_tensor_free(ys), unetseg_tensor_free(yc);
    unetseg_tensor_free(yr), unetseg_tensor_free(yc2);
    unetseg_trainer_free(tc), unetseg_trainer_free(tr), unetseg_trainer_free(ts);
    unetseg_trainer_free(t1);
    unetseg_train_options_free(oc), unetseg_train_options_free(orf);
    unetseg_train_options_free(os), unetseg_train_options_free(o1);
    unetseg_model_free(c), unetseg_model_free(src), unetseg_model_free(ref);
    unetseg_model_free(untouched), unetseg_model_free(ref1);
}

/* A step copies only what it writes: a frozen layer's weights stay shared. */
static void training_copies_only_what_it_writes(void **state) {
    (void)state;
    unetseg_model *src = small_model();
    unetseg_model *c = clone_of(src);
    assert_ok(unetseg_model_set_trainable(c, "c1", 0));
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = trainer_on(c, &o);
    step(t);
    const unetseg_model *others[1] = {c};
    bytes3 b = param_bytes(src, others, 1);
    /* c1 (kernel 3x3x8x16 + bias 16) shared; bn (4 x 16) and c2 (3x3x16 + 1) copied */
    assert_int_equal(b.unique, weight_bytes(src) + 4 * (4 * 16 + 3 * 3 * 16 + 1));
    unetseg_tensor *k0 = param(src, "c1/kernel"), *k1 = param(c, "c1/kernel");
    assert_true(same_bits(k0, k1));
    unetseg_tensor_free(k0), unetseg_tensor_free(k1);
    unetseg_trainer_free(t);
    unetseg_train_options_free(o);
    unetseg_model_free(c), unetseg_model_free(src);
}

/* BatchNorm recalibration writes the moving statistics of the clone only. */
static void recalibrating_a_clone_leaves_source(void **state) {
    (void)state;
    unetseg_model *src = small_model(), *ref = small_model(), *untouched = small_model();
    unetseg_model *c = clone_of(src);
    unetseg_train_options *oc = NULL, *orf = NULL;
    unetseg_trainer *tc = trainer_on(c, &oc), *tr = trainer_on(ref, &orf);
    unetseg_tensor *x = small_input(2);
    assert_ok(unetseg_trainer_recalibrate_bn(tc, x, 1));
    assert_ok(unetseg_trainer_recalibrate_bn(tr, x, 1));
    assert_same_params(c, ref);
    assert_same_params(src, untouched);
    unetseg_tensor *ms = param(src, "bn/moving_mean"), *mc = param(c, "bn/moving_mean");
    assert_false(same_bits(ms, mc));
    const unetseg_model *others[1] = {c};
    bytes3 b = param_bytes(src, others, 1);
    assert_int_equal(b.unique, weight_bytes(src) + 2 * 4 * 16); /* two statistics of 16 */
    unetseg_tensor_free(x), unetseg_tensor_free(ms), unetseg_tensor_free(mc);
    unetseg_trainer_free(tc), unetseg_trainer_free(tr);
    unetseg_train_options_free(oc), unetseg_train_options_free(orf);
    unetseg_model_free(c), unetseg_model_free(src), unetseg_model_free(ref);
    unetseg_model_free(untouched);
}

/* Edits of the layer list and flags are per handle; dropout layers carry no
 * weights, so the weights stay shared. */
static void edits_are_per_handle(void **state) {
    (void)state;
    unetseg_model *src = small_model();
    unetseg_model *c = clone_of(src);
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *io = NULL;
    int32_t n = 0, inserted = 0, trainable = -1;
    assert_ok(unetseg_matcher_parse("kind=conv2d", &mt));
    assert_ok(unetseg_insert_options_create(&io));
    assert_ok(unetseg_model_insert_dropout(c, mt, io, &inserted));
    assert_int_equal(inserted, 2);
    assert_ok(unetseg_model_layer_count(c, &n));
    assert_int_equal(n, 8);
    assert_ok(unetseg_model_layer_count(src, &n));
    assert_int_equal(n, 6);
    assert_ok(unetseg_model_set_trainable(c, "c1", 0));
    assert_ok(unetseg_model_layer_trainable(src, 1, &trainable));
    assert_int_equal(trainable, 1);
    const unetseg_model *others[1] = {c};
    bytes3 b = param_bytes(src, others, 1);
    assert_int_equal(b.unique, weight_bytes(src));
    /* the reference: an independent model given the same edits */
    unetseg_model *ref = small_model(), *plain = small_model();
    assert_ok(unetseg_model_insert_dropout(ref, mt, io, NULL));
    assert_ok(unetseg_model_set_trainable(ref, "c1", 0));
    unetseg_tensor *ys = small_forward(src), *yc = small_forward(c), *yr = small_forward(ref);
    unetseg_tensor *yp = small_forward(plain);
    assert_true(same_bits(yc, yr));
    assert_true(same_bits(ys, yp));
    unetseg_tensor_free(ys), unetseg_tensor_free(yc), unetseg_tensor_free(yr);
    unetseg_tensor_free(yp);
    unetseg_insert_options_free(io);
    unetseg_matcher_free(mt);
    unetseg_model_free(c), unetseg_model_free(src), unetseg_model_free(ref);
    unetseg_model_free(plain);
}

/* A decoder appended to a clone of an encoder: new layers, new weights for
 * the clone alone; the encoder's weights stay shared. */
static void decoder_on_a_cloned_encoder(void **state) {
    (void)state;
    unetseg_unet_options *o = NULL;
    unetseg_model *enc = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_options_set_seed(o, 5));
    assert_ok(unetseg_encoder_create(o, &enc));
    int32_t n_enc = 0, n = 0;
    assert_ok(unetseg_model_layer_count(enc, &n_enc));
    unetseg_model *c = clone_of(enc);
    assert_ok(unetseg_decoder_append(c, o));
    assert_ok(unetseg_model_layer_count(enc, &n));
    assert_int_equal(n, n_enc);
    unetseg_model *ref = unet("resnet18", 64, 5);
    unetseg_tensor *x = image(64), *yc = forward(c, x), *yr = forward(ref, x);
    assert_true(same_bits(yc, yr));
    const unetseg_model *others[1] = {c};
    bytes3 b = param_bytes(enc, others, 1);
    assert_int_equal(b.unique, weight_bytes(ref));
    assert_int_equal(b.total, weight_bytes(enc) + weight_bytes(ref));
    unetseg_tensor_free(x), unetseg_tensor_free(yc), unetseg_tensor_free(yr);
    unetseg_unet_options_free(o);
    unetseg_model_free(c), unetseg_model_free(enc), unetseg_model_free(ref);
}

/* ----------------------------------------------------- lifetimes, chains */
static void free_source_before_clone(void **state) {
    (void)state;
    unetseg_model *src = small_model();
    unetseg_tensor *before = small_forward(src);
    unetseg_model *c = clone_of(src);
    unetseg_model_free(src); /* the clone holds the values alone now */
    unetseg_tensor *yc = small_forward(c);
    assert_true(same_bits(yc, before));
    set_param(c, "c1/kernel", 2.3, 0.0); /* in place: no one else holds it */
    unetseg_model *ref = small_model();
    set_param(ref, "c1/kernel", 2.3, 0.0);
    unetseg_tensor *y2 = small_forward(c), *yr = small_forward(ref);
    assert_true(same_bits(y2, yr));
    bytes3 b = param_bytes(c, NULL, 0);
    assert_int_equal(b.unique, weight_bytes(ref));
    assert_int_equal(b.total, weight_bytes(ref));
    unetseg_tensor_free(before), unetseg_tensor_free(yc), unetseg_tensor_free(y2);
    unetseg_tensor_free(yr);
    unetseg_model_free(c), unetseg_model_free(ref);
}

static void clone_of_clone(void **state) {
    (void)state;
    unetseg_model *src = small_model();
    unetseg_tensor *before = small_forward(src);
    unetseg_model *c1 = clone_of(src), *c2 = clone_of(c1);
    const unetseg_model *others[2] = {c1, c2};
    bytes3 b = param_bytes(src, others, 2);
    assert_int_equal(b.unique, weight_bytes(src));
    assert_int_equal(b.total, 3 * weight_bytes(src));
    set_param(c1, "bn/beta", 4.0, 0.1);
    unetseg_tensor *y2 = small_forward(c2), *ys = small_forward(src), *y1 = small_forward(c1);
    assert_true(same_bits(y2, before));
    assert_true(same_bits(ys, before));
    assert_false(same_bits(y1, before));
    b = param_bytes(src, others, 2);
    assert_int_equal(b.unique, weight_bytes(src) + 4 * 16);
    /* free the middle one, then the first: the last still runs */
    unetseg_model_free(c1);
    unetseg_model_free(src);
    unetseg_tensor *y2b = small_forward(c2);
    assert_true(same_bits(y2b, before));
    unetseg_model *c3 = clone_of(c2);
    unetseg_model_free(c2);
    unetseg_tensor *y3 = small_forward(c3);
    assert_true(same_bits(y3, before));
    unetseg_tensor_free(before), unetseg_tensor_free(y2), unetseg_tensor_free(ys);
    unetseg_tensor_free(y1), unetseg_tensor_free(y2b), unetseg_tensor_free(y3);
    unetseg_model_free(c3);
}

static void empty_model_clones(void **state) {
    (void)state;
    unetseg_model *m = NULL, *c = NULL;
    int32_t n = -1;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_clone(m, &c));
    assert_ok(unetseg_model_layer_count(c, &n));
    assert_int_equal(n, 0);
    assert_ok(unetseg_model_add_input(c, "in", 8, 8, 1)); /* the clone is a model like any */
    assert_ok(unetseg_model_layer_count(m, &n));
    assert_int_equal(n, 0);
    bytes3 b = param_bytes(c, NULL, 0);
    assert_int_equal(b.unique, 0);
    assert_int_equal(b.total, 0);
    assert_int_equal(b.cache, 0);
    unetseg_model_free(c), unetseg_model_free(m);
}

/* --------------------------------------------------------------- bad args */
static void bad_arguments(void **state) {
    (void)state;
    unetseg_model *m = small_model(), *c = (unetseg_model *)&c; /* sentinel */
    assert_status(unetseg_model_clone(NULL, &c), UNETSEG_E_INVALID_ARG);
    assert_null(c);
    assert_error_mentions("model_clone: model is NULL");
    assert_status(unetseg_model_clone(m, NULL), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("model_clone: out is NULL");
    assert_string_equal(unetseg_model_last_error(m), "model_clone: out is NULL");

    int64_t u = 7, t = 7, k = 7;
    const unetseg_model *others[2] = {m, NULL};
    assert_status(unetseg_model_param_bytes(NULL, NULL, 0, &u, &t, &k), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("model_param_bytes: model is NULL");
    assert_true(u == 0 && t == 0 && k == 0);
    u = t = k = 7;
    assert_status(unetseg_model_param_bytes(m, others, -1, &u, &t, &k), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("n_others must be 0..");
    assert_true(u == 0 && t == 0 && k == 0);
    assert_status(unetseg_model_param_bytes(m, NULL, 1, &u, &t, &k), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("others is NULL");
    assert_status(unetseg_model_param_bytes(m, others, 2, &u, &t, &k), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("others[1] is NULL");
    assert_string_equal(unetseg_model_last_error(m), "model_param_bytes: others[1] is NULL");
    /* a model listed twice is held once; outputs may be NULL */
    assert_ok(unetseg_model_param_bytes(m, others, 1, &u, NULL, NULL));
    assert_int_equal(u, weight_bytes(m));
    assert_ok(unetseg_model_param_bytes(m, others, 1, NULL, &t, NULL));
    assert_int_equal(t, 2 * weight_bytes(m));
    assert_ok(unetseg_model_param_bytes(m, NULL, 0, NULL, NULL, NULL));
    unetseg_model_free(m);
}

/* ------------------------------------------------------------- 8 threads */
#define N_CLONES 8
#define BIG 64

typedef struct worker {
    unetseg_model *model;
    const unetseg_tensor *x;
    int32_t status;
    char error[256];
    unetseg_tensor *first, *second;
} worker;

static pthread_barrier_t start;

static void *run_worker(void *arg) {
    worker *w = arg;
    pthread_barrier_wait(&start);
    /* the first passes race to install the shared transformed kernels */
    w->status = unetseg_model_forward(w->model, w->x, &w->first);
    if (!w->status) w->status = unetseg_model_forward(w->model, w->x, &w->second);
    if (w->status) snprintf(w->error, sizeof w->error, "%s", unetseg_last_error());
    return NULL;
}

/* Resident memory of this process in bytes (/proc/self/statm). */
static int64_t resident_bytes(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    int ok = fscanf(f, "%ld %ld", &pages, &resident) == 2;
    fclose(f);
    return ok ? (int64_t)resident * sysconf(_SC_PAGESIZE) : -1;
}

static void eight_threads_on_eight_clones(void **state) {
    (void)state;
    unetseg_model *src = unet("resnet18", BIG, 11);
    unetseg_tensor *x = image(BIG);
    assert_ok(unetseg_model_set_threads(src, 1));
    /* the single-thread result, from an independent model built alike */
    unetseg_model *ref = unet("resnet18", BIG, 11);
    assert_ok(unetseg_model_set_threads(ref, 1));
    unetseg_tensor *expected = forward(ref, x);
    const int64_t weights = weight_bytes(ref);
    bytes3 alone = param_bytes(ref, NULL, 0);
    unetseg_model_free(ref);

    /* 8 clones add their layer lists, not 8 copies of the weights */
    worker w[N_CLONES];
    const unetseg_model *clones[N_CLONES];
    const int64_t rss_before = resident_bytes();
    for (int i = 0; i < N_CLONES; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].model = clone_of(src);
        w[i].x = x;
        clones[i] = w[i].model;
    }
    const int64_t rss_after = resident_bytes();
    printf("  8 clones of %lld bytes of weights: resident memory +%lld bytes\n",
           (long long)weights, (long long)(rss_after - rss_before));
    assert_true(rss_before > 0 && rss_after - rss_before < weights / 4);

    pthread_t tid[N_CLONES];
    assert_int_equal(pthread_barrier_init(&start, NULL, N_CLONES), 0);
    for (int i = 0; i < N_CLONES; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, run_worker, &w[i]), 0);
    for (int i = 0; i < N_CLONES; i++) pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N_CLONES; i++) {
        if (w[i].status) print_error("worker %d: status %d: %s\n", i, w[i].status, w[i].error);
        assert_int_equal(w[i].status, UNETSEG_OK);
        assert_true(same_bits(w[i].first, expected));
        assert_true(same_bits(w[i].second, expected));
    }
    /* the weights and their transformed kernels are held once */
    bytes3 b = param_bytes(src, clones, N_CLONES);
    printf("  source + 8 clones: weights %lld bytes (as 9 models: %lld), "
           "transformed kernels %lld bytes\n",
           (long long)b.unique, (long long)b.total, (long long)b.cache);
    assert_int_equal(alone.unique, weights);
    assert_int_equal(b.unique, weights);
    assert_int_equal(b.total, (N_CLONES + 1) * weights);
    assert_true(b.cache > 0 && b.cache <= ((int64_t)48 << 20)); /* the default bound */
    bytes3 one = param_bytes(clones[0], NULL, 0);
    assert_int_equal(one.cache, b.cache); /* every clone sees the same kernels */
    /* the source, which never ran, gives the same bits on the shared kernels */
    unetseg_tensor *ys = forward(src, x);
    assert_true(same_bits(ys, expected));
    unetseg_tensor_free(ys);
    for (int i = 0; i < N_CLONES; i++) {
        unetseg_tensor_free(w[i].first);
        unetseg_tensor_free(w[i].second);
        unetseg_model_free(w[i].model);
    }
    unetseg_tensor_free(expected);
    unetseg_tensor_free(x);
    unetseg_model_free(src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clone_equals_source),
        cmocka_unit_test(clone_of_unet_equals_source),
        cmocka_unit_test(clone_change_leaves_source),
        cmocka_unit_test(source_change_leaves_clone),
        cmocka_unit_test(training_a_clone_leaves_source),
        cmocka_unit_test(training_copies_only_what_it_writes),
        cmocka_unit_test(recalibrating_a_clone_leaves_source),
        cmocka_unit_test(edits_are_per_handle),
        cmocka_unit_test(decoder_on_a_cloned_encoder),
        cmocka_unit_test(free_source_before_clone),
        cmocka_unit_test(clone_of_clone),
        cmocka_unit_test(empty_model_clones),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(eight_threads_on_eight_clones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
