/* The training augmentation of `unetseg train` (examples/cli/augment.c and
 * the sample gathering of train_loop.c): flips, quarter turns and crops
 * against hand-computed (numpy) results, the jitter formula against
 * hand-computed values, the draws reproducible and in their ranges, and the
 * gathered image and mask transformed alike (a mask derived from the image
 * still is after augmentation) with the jitter on the image alone. */
#include <math.h>
#include <string.h>

#include "augment.h"
#include "support/test_support.h"
#include "train.h"

/* One channel, h x w from src, with draw d. */
static void apply(const float *src, int64_t src_w, int64_t h, int64_t w, const cli_augment_draw_t *d,
                  float *out) {
    cli_augment_geometric(out, h, w, src, src_w, 1, d);
}

static void expect(const float *got, const float *want, int n) {
    for (int i = 0; i < n; i++) assert_float_equal(got[i], want[i], 0.0f);
}

/* np.rot90(a, k) and the flips of a = arange(9).reshape(3, 3). */
static void test_rot90_and_flips_by_hand(void **state) {
    (void)state;
    const float a[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    const float rot[4][9] = {{0, 1, 2, 3, 4, 5, 6, 7, 8},
                             {2, 5, 8, 1, 4, 7, 0, 3, 6},
                             {8, 7, 6, 5, 4, 3, 2, 1, 0},
                             {6, 3, 0, 7, 4, 1, 8, 5, 2}};
    const float flip_h[9] = {2, 1, 0, 5, 4, 3, 8, 7, 6}, flip_v[9] = {6, 7, 8, 3, 4, 5, 0, 1, 2};
    float out[9];
    for (int k = 0; k < 4; k++) {
        cli_augment_draw_t d = {.rot = k, .alpha = 1, .gamma = 1};
        apply(a, 3, 3, 3, &d, out);
        expect(out, rot[k], 9);
    }
    cli_augment_draw_t d = {.flips = 1, .alpha = 1, .gamma = 1};
    apply(a, 3, 3, 3, &d, out);
    expect(out, flip_h, 9);
    d.flips = 2;
    apply(a, 3, 3, 3, &d, out);
    expect(out, flip_v, 9);
}

/* a = arange(20).reshape(4, 5): np.rot90(a[1:3, 1:3][:, ::-1], 1) and
 * np.rot90(a[0:3, 2:5][::-1, :], 3): crop, then flip, then turn. */
static void test_crop_flip_turn_by_hand(void **state) {
    (void)state;
    float a[20], out[9];
    for (int i = 0; i < 20; i++) a[i] = (float)i;
    cli_augment_draw_t d = {.y0 = 1, .x0 = 1, .flips = 1, .rot = 1, .alpha = 1, .gamma = 1};
    apply(a, 5, 2, 2, &d, out);
    expect(out, (const float[]){6, 11, 7, 12}, 4);
    d = (cli_augment_draw_t){.y0 = 0, .x0 = 2, .flips = 2, .rot = 3, .alpha = 1, .gamma = 1};
    apply(a, 5, 3, 3, &d, out);
    expect(out, (const float[]){2, 7, 12, 3, 8, 13, 4, 9, 14}, 9);
    /* several channels move together */
    float b[2 * 20], o2[2 * 4];
    for (int i = 0; i < 20; i++) b[2 * i] = (float)i, b[2 * i + 1] = (float)(100 + i);
    d = (cli_augment_draw_t){.y0 = 1, .x0 = 1, .flips = 1, .rot = 1, .alpha = 1, .gamma = 1};
    cli_augment_geometric(o2, 2, 2, b, 5, 2, &d);
    expect(o2, (const float[]){6, 106, 11, 111, 7, 107, 12, 112}, 8);
}

/* y = clip(alpha x + beta M, 0, M), then M (y / M)^gamma; values by numpy. */
static void test_jitter_by_hand(void **state) {
    (void)state;
    float px[4] = {100, 250, 0, 30};
    cli_augment_draw_t d = {.alpha = 1.2, .beta = 0.1, .gamma = 0.8};
    cli_augment_jitter(px, 4, 255, &d);
    assert_float_equal(px[0], 162.7790204616049, 1e-3);
    assert_float_equal(px[1], 255.0, 1e-3);
    assert_float_equal(px[2], 40.414776407758396, 1e-3);
    assert_float_equal(px[3], 81.73501162095982, 1e-3);
    float q[4] = {100, 250, 0, 30};
    d = (cli_augment_draw_t){.alpha = 0.9, .beta = -0.1, .gamma = 1.15};
    cli_augment_jitter(q, 4, 255, &d);
    assert_float_equal(q[0], 52.48227405817435, 1e-3);
    assert_float_equal(q[1], 192.28849838309176, 1e-3);
    assert_float_equal(q[2], 0.0, 1e-6);
    assert_float_equal(q[3], 0.6942628405126033, 1e-4);
    /* scale 1: the same formula on [0, 1] pixels */
    float r[1] = {100.0f / 255};
    d = (cli_augment_draw_t){.alpha = 1.2, .beta = 0.1, .gamma = 0.8};
    cli_augment_jitter(r, 1, 1, &d);
    assert_float_equal(r[0], 162.7790204616049 / 255, 1e-5);
}

static void test_scale(void **state) {
    (void)state;
    assert_true(cli_augment_scale((const float[]){0, 0.5f, 1}, 3) == 1);
    assert_true(cli_augment_scale((const float[]){0, 1.5f, 255}, 3) == 255);
    assert_true(cli_augment_scale((const float[]){-0.1f, 0.5f}, 2) == 0);
    assert_true(cli_augment_scale((const float[]){0, 255.5f}, 2) == 0);
    assert_true(cli_augment_scale((const float[]){0, NAN}, 2) == 0);
}

/* The draws: a pure function of (seed, step, sample), in their ranges,
 * covering them; off options draw the identity. */
static void test_draws(void **state) {
    (void)state;
    const cli_augment aug = {.flip = 1, .rot90 = 1, .crop_h = 4, .crop_w = 4,
                             .jitter = {0.2, 0.3, 0.1}, .scale = 255, .seed = 5};
    int rots[4] = {0}, flips[4] = {0}, ys[7] = {0}, differ = 0;
    double lo[3] = {1, 1, 1}, hi[3] = {-1, -1, -1};
    for (long i = 0; i < 2000; i++) {
        cli_augment_draw_t d, again, other;
        cli_augment_draw(&aug, i / 7, i % 7, 10, 6, &d);
        cli_augment_draw(&aug, i / 7, i % 7, 10, 6, &again);
        assert_memory_equal(&d, &again, sizeof d);
        cli_augment_draw(&aug, i / 7 + 1, i % 7, 10, 6, &other);
        differ += memcmp(&d, &other, sizeof d) != 0;
        assert_true(d.rot >= 0 && d.rot < 4 && d.flips >= 0 && d.flips < 4);
        assert_true(d.y0 >= 0 && d.y0 <= 6 && d.x0 >= 0 && d.x0 <= 2);
        rots[d.rot]++, flips[d.flips]++, ys[d.y0]++;
        const double v[3] = {d.beta / 0.2, (d.alpha - 1) / 0.3, (d.gamma - 1) / 0.1};
        for (int k = 0; k < 3; k++) lo[k] = fmin(lo[k], v[k]), hi[k] = fmax(hi[k], v[k]);
    }
    assert_int_equal(differ, 2000);
    for (int k = 0; k < 4; k++) assert_true(rots[k] > 350 && flips[k] > 350);
    for (int k = 0; k < 7; k++) assert_true(ys[k] > 150);
    for (int k = 0; k < 3; k++) assert_true(lo[k] >= -1 && lo[k] < -0.95 && hi[k] <= 1 && hi[k] > 0.95);
    /* another seed, other draws */
    cli_augment seeded = aug, off = {.seed = 5};
    seeded.seed = 6;
    cli_augment_draw_t d5, d6, none;
    cli_augment_draw(&aug, 3, 1, 10, 6, &d5);
    cli_augment_draw(&seeded, 3, 1, 10, 6, &d6);
    assert_true(memcmp(&d5, &d6, sizeof d5) != 0);
    cli_augment_draw(&off, 3, 1, 10, 6, &none);
    assert_true(none.flips == 0 && none.rot == 0 && none.y0 == 0 && none.x0 == 0);
    assert_true(none.alpha == 1 && none.beta == 0 && none.gamma == 1);
    /* evaluation: the centred crop */
    cli_augment_center(&aug, 10, 6, &none);
    assert_true(none.y0 == 3 && none.x0 == 1 && none.rot == 0 && none.flips == 0);
}

/* Images (3, 8, 8, 2) of distinct values in [0, 255] and masks (3, 8, 8, 1)
 * derived from them: mask = image channel 0 / 255. */
static void make_pair(unetseg_tensor **images, unetseg_tensor **masks) {
    *images = make_tensor4(3, 8, 8, 2, NULL);
    *masks = make_tensor4(3, 8, 8, 1, NULL);
    float *x = unetseg_tensor_data(*images), *y = unetseg_tensor_data(*masks);
    for (int i = 0; i < 3 * 64; i++) {
        x[2 * i] = (float)((i * 37) % 256);
        x[2 * i + 1] = (float)((i * 11) % 256);
        y[i] = x[2 * i] / 255.0f;
    }
}

static void test_gather_image_and_mask_alike(void **state) {
    (void)state;
    unetseg_tensor *images, *masks;
    make_pair(&images, &masks);
    train_data data;
    train_data_from_tensors(&data, images, masks); /* freed with the data */
    const long order[3] = {2, 0, 1};
    cli_augment aug = {.flip = 1, .rot90 = 1, .crop_h = 4, .crop_w = 4, .scale = 255, .seed = 9};
    for (long step = 0; step < 40; step++) {
        unetseg_tensor *x = NULL, *y = NULL, *xj = NULL, *yj = NULL;
        assert_ok(cli_train_gather(&data, order, 0, 3, &aug, step, &x, &y));
        int64_t shape[4];
        assert_ok(unetseg_tensor_shape(x, shape, 4));
        assert_true(shape[0] == 3 && shape[1] == 4 && shape[2] == 4 && shape[3] == 2);
        const float *px = unetseg_tensor_data_const(x), *py = unetseg_tensor_data_const(y);
        for (int i = 0; i < 3 * 16; i++) assert_float_equal(py[i], px[2 * i] / 255.0f, 0.0f);
        /* with the jitter: the mask is the same, the image jittered by the
         * sample's own draw */
        cli_augment jit = aug;
        jit.jitter[0] = 0.2, jit.jitter[1] = 0.2, jit.jitter[2] = 0.2;
        assert_ok(cli_train_gather(&data, order, 0, 3, &jit, step, &xj, &yj));
        assert_memory_equal(unetseg_tensor_data_const(yj), py, 3 * 16 * sizeof(float));
        float expected[32];
        for (int k = 0; k < 3; k++) {
            cli_augment_draw_t d;
            cli_augment_draw(&jit, step, order[k], 8, 8, &d);
            assert_true(d.alpha != 1 || d.beta != 0);
            memcpy(expected, px + 32 * k, sizeof expected);
            cli_augment_jitter(expected, 32, 255, &d);
            assert_memory_equal(unetseg_tensor_data_const(xj) + 32 * k, expected, sizeof expected);
        }
        unetseg_tensor_free(x);
        unetseg_tensor_free(y);
        unetseg_tensor_free(xj);
        unetseg_tensor_free(yj);
    }
    /* no augmentation: the samples as they are */
    unetseg_tensor *x = NULL, *y = NULL;
    assert_ok(cli_train_gather(&data, order, 1, 1, NULL, 0, &x, NULL));
    assert_memory_equal(unetseg_tensor_data_const(x), unetseg_tensor_data_const(images),
                        64 * 2 * sizeof(float));
    unetseg_tensor_free(x);
    assert_ok(cli_train_gather(&data, order, 1, 1, NULL, 0, &x, &y));
    assert_memory_equal(unetseg_tensor_data_const(y), unetseg_tensor_data_const(masks), 64 * sizeof(float));
    unetseg_tensor_free(x);
    unetseg_tensor_free(y);
    train_data_free(&data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rot90_and_flips_by_hand),
        cmocka_unit_test(test_crop_flip_turn_by_hand),
        cmocka_unit_test(test_jitter_by_hand),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_draws),
        cmocka_unit_test(test_gather_image_and_mask_alike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
