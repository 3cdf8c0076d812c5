/* Losses and metrics (src/train/losses.h) against tests/fixtures/losses.safetensors.
 *
 * The fixture is made by tests/gen/gen_losses.py: an independent float64
 * torch implementation of the segmentation_models 1.0.1 losses, gradients by
 * autograd. The case list below mirrors its loops (loss x head x weighting)
 * and is checked against the fixture metadata. For each case:
 *   - |loss - ref| <= 1e-6 |ref| (+1e-12), and us_loss_value agrees;
 *   - max |dz - ref| <= 1e-6 * max(1, max |ref|) (the contract), and also
 *     <= 1e-6 * max |ref| (tight, relative to the gradient's own scale);
 *   - central finite differences (step 1e-3) of us_loss_value on every element
 *     against dz, to 1e-5 * max |dz|.
 * Then: finiteness for logits of +-100, +-1e4 and +-3e38, hand-computed values,
 * metrics (fixture and hand cases) and argument errors.
 */
#include "support/test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"
#include "train/losses.h"

/* ------------------------------------------------------------------ cases */

typedef struct loss_case {
    const char *name;
    int32_t loss;
    int32_t head;
    int64_t c;
    int weighted;
} loss_case;

#define SIG UNETSEG_ACT_SIGMOID
#define SMX UNETSEG_ACT_SOFTMAX
/* One loss over the three heads of gen_losses.py HEADS, unweighted only. */
#define UNW(nm, id)                                                              \
    {nm "_sigmoid1", UNETSEG_LOSS_##id, SIG, 1, 0},                              \
    {nm "_softmax3", UNETSEG_LOSS_##id, SMX, 3, 0},                              \
    {nm "_sigmoid3", UNETSEG_LOSS_##id, SIG, 3, 0}
/* The same with class weights: (unweighted, weighted) per head, as the generator. */
#define WTD(nm, id)                                                              \
    {nm "_sigmoid1", UNETSEG_LOSS_##id, SIG, 1, 0},                              \
    {nm "_sigmoid1_w", UNETSEG_LOSS_##id, SIG, 1, 1},                            \
    {nm "_softmax3", UNETSEG_LOSS_##id, SMX, 3, 0},                              \
    {nm "_softmax3_w", UNETSEG_LOSS_##id, SMX, 3, 1},                            \
    {nm "_sigmoid3", UNETSEG_LOSS_##id, SIG, 3, 0},                              \
    {nm "_sigmoid3_w", UNETSEG_LOSS_##id, SIG, 3, 1}

/* Mirror of the loops in tests/gen/gen_losses.py. */
static const loss_case cases[] = {
    UNW("bce", BCE),
    WTD("cce", CCE),
    WTD("dice", DICE),
    WTD("jaccard", JACCARD),
    UNW("binary_focal", BINARY_FOCAL),
    UNW("categorical_focal", CATEGORICAL_FOCAL),
    WTD("bce_dice", BCE_DICE),
    WTD("bce_jaccard", BCE_JACCARD),
    WTD("cce_dice", CCE_DICE),
    WTD("cce_jaccard", CCE_JACCARD),
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

typedef struct metric_case {
    const char *name;
    int32_t head;
    int64_t c;
} metric_case;

static const metric_case metric_cases[] = {
    {"metrics_sigmoid1", SIG, 1}, {"metrics_softmax3", SMX, 3}, {"metrics_sigmoid3", SIG, 3}};
#define N_METRIC_CASES ((int)(sizeof metric_cases / sizeof metric_cases[0]))

/* ---------------------------------------------------------------- fixture */

static us_st_file *g_fixture = NULL;

static int open_fixture(void **state) {
    (void)state;
    const char *dir = getenv("UNETSEG_FIXTURE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/losses.safetensors", dir ? dir : "tests/fixtures");
    if (us_st_open(path, &g_fixture) != UNETSEG_OK) {
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

/* Read "<case>/<what>" as float32 into a malloc'ed buffer; NULL if absent. */
static float *fx_read(const char *case_name, const char *what, int64_t *count) {
    char key[256];
    snprintf(key, sizeof key, "%s/%s", case_name, what);
    const us_st_entry *e = us_st_find(g_fixture, key);
    if (!e) return NULL;
    int64_t n = us_st_numel(e);
    float *data = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    assert_non_null(data);
    assert_ok(us_st_read_f32(g_fixture, e, data, n));
    if (count) *count = n;
    return data;
}

static float *fx_require(const char *case_name, const char *what, int64_t *count) {
    float *d = fx_read(case_name, what, count);
    if (!d) {
        print_error("fixture has no %s/%s\n", case_name, what);
        fail();
    }
    return d;
}

/* Whether `json` contains `fragment` followed by ',' or '}'. */
static int meta_has(const char *json, const char *fragment) {
    size_t n = strlen(fragment);
    for (const char *p = strstr(json, fragment); p; p = strstr(p + 1, fragment))
        if (p[n] == ',' || p[n] == '}') return 1;
    return 0;
}

static void expect_meta(const char *name, const char *fragment) {
    const char *json = us_st_meta(g_fixture, name);
    if (!json || !meta_has(json, fragment)) {
        print_error("%s: fixture config %s does not contain %s\n", name, json ? json : "(none)",
                    fragment);
        fail();
    }
}

static const char *head_name(int32_t head) { return head == SIG ? "sigmoid" : "softmax"; }

/* The fixture's cases are exactly the C lists, with the same settings. */
static void test_case_lists_match(void **state) {
    (void)state;
    char frag[128];
    for (int i = 0; i < N_CASES; ++i) {
        const loss_case *c = &cases[i];
        snprintf(frag, sizeof frag, "\"loss_id\":%d", (int)c->loss);
        expect_meta(c->name, frag);
        snprintf(frag, sizeof frag, "\"head\":\"%s\"", head_name(c->head));
        expect_meta(c->name, frag);
        snprintf(frag, sizeof frag, "\"channels\":%d", (int)c->c);
        expect_meta(c->name, frag);
        expect_meta(c->name, c->weighted ? "\"weighted\":true" : "\"weighted\":false");
    }
    for (int i = 0; i < N_METRIC_CASES; ++i) {
        snprintf(frag, sizeof frag, "\"head\":\"%s\"", head_name(metric_cases[i].head));
        expect_meta(metric_cases[i].name, frag);
    }
    int32_t n_meta = us_st_meta_count(g_fixture);
    int fixture_cases = 0;
    for (int32_t i = 0; i < n_meta; ++i) {
        const char *key = NULL, *value = NULL;
        us_st_meta_at(g_fixture, i, &key, &value);
        if (strcmp(key, "generator") == 0) continue;
        ++fixture_cases;
        int found = 0;
        for (int j = 0; j < N_CASES && !found; ++j) found = strcmp(cases[j].name, key) == 0;
        for (int j = 0; j < N_METRIC_CASES && !found; ++j)
            found = strcmp(metric_cases[j].name, key) == 0;
        if (!found) {
            print_error("fixture case %s is missing from test_losses.c\n", key);
            fail();
        }
    }
    assert_int_equal(fixture_cases, N_CASES + N_METRIC_CASES);
}

/* ------------------------------------------------------------ fixture cases */

static void check_close(const char *what, double got, double ref, double rel) {
    if (!(fabs(got - ref) <= rel * fabs(ref) + 1e-12)) {
        print_error("%s: got %.12g, reference %.12g (rel err %.3g)\n", what, got, ref,
                    fabs(got - ref) / fabs(ref));
        fail();
    }
}

/* Central differences of us_loss_value on every element against dz. */
static void finite_differences(const char *name, const us_loss_spec *spec, const float *z,
                               const float *t, int64_t pixels, int64_t c, const float *dz) {
    int64_t n = pixels * c;
    float *zz = malloc((size_t)n * sizeof(float));
    assert_non_null(zz);
    memcpy(zz, z, (size_t)n * sizeof(float));
    double gmax = 0.0, worst = 0.0;
    int64_t worst_i = 0;
    double worst_fd = 0.0;
    for (int64_t i = 0; i < n; ++i) gmax = fmax(gmax, fabs((double)dz[i]));
    for (int64_t i = 0; i < n; ++i) {
        const float h = 1e-3f;
        float zp = z[i] + h, zm = z[i] - h;
        double lp = 0.0, lm = 0.0;
        zz[i] = zp;
        assert_ok(us_loss_value(spec, zz, t, pixels, c, &lp));
        zz[i] = zm;
        assert_ok(us_loss_value(spec, zz, t, pixels, c, &lm));
        zz[i] = z[i];
        double fd = (lp - lm) / ((double)zp - (double)zm); /* the step actually taken */
        double err = fabs(fd - (double)dz[i]);
        if (err > worst) {
            worst = err;
            worst_i = i;
            worst_fd = fd;
        }
    }
    free(zz);
    /* h = 1e-3: truncation ~ h^2/6 |L'''| stays below 1e-6 of the gradient scale,
     * rounding of the double loss ~ 1e-16 / h. */
    double tol = 1e-5 * gmax + 1e-10;
    if (!(worst <= tol)) {
        print_error("%s: finite difference %.9g vs analytic %.9g at %lld (err %.3g > %.3g)\n",
                    name, worst_fd, (double)dz[worst_i], (long long)worst_i, worst, tol);
        fail();
    }
}

static void run_case(void **state) {
    const loss_case *lc = (const loss_case *)*state;
    int64_t nz = 0, nt = 0, ng = 0, nl = 0, nw = 0;
    float *z = fx_require(lc->name, "z", &nz);
    float *t = fx_require(lc->name, "t", &nt);
    float *grad = fx_require(lc->name, "grad", &ng);
    float *lref = fx_require(lc->name, "loss", &nl);
    float *w = fx_read(lc->name, "class_weights", &nw);
    assert_int_equal(nz, 40 * lc->c);
    assert_int_equal(nt, nz);
    assert_int_equal(ng, nz);
    assert_int_equal(nl, 1);
    assert_int_equal(w != NULL, lc->weighted);
    if (w) assert_int_equal(nw, lc->c);
    int64_t pixels = nz / lc->c;

    us_loss_spec spec = {.loss = lc->loss, .head = lc->head, .class_weights = w};
    float *dz = malloc((size_t)nz * sizeof(float));
    assert_non_null(dz);
    double loss = 0.0, value = 0.0;
    assert_ok(us_loss_forward_backward(&spec, z, t, pixels, lc->c, &loss, dz));
    check_close(lc->name, loss, lref[0], 1e-6);
    assert_ok(us_loss_value(&spec, z, t, pixels, lc->c, &value));
    assert_true(value == loss);

    double max_ref = 0.0, max_err = 0.0;
    int64_t worst = 0;
    for (int64_t i = 0; i < nz; ++i) {
        double e = fabs((double)dz[i] - grad[i]);
        max_ref = fmax(max_ref, fabs((double)grad[i]));
        if (!(e <= max_err)) {
            max_err = isnan(e) ? INFINITY : e;
            worst = i;
        }
    }
    double tol = 1e-6 * fmax(1.0, max_ref), tight = 1e-6 * max_ref + 1e-12;
    if (!(max_err <= tol) || !(max_err <= tight)) {
        print_error("%s: gradient max |err| %.3g (tol %.3g, tight %.3g, max|ref| %.4g) at %lld: "
                    "got %.9g, ref %.9g\n", lc->name, max_err, tol, tight, max_ref,
                    (long long)worst, (double)dz[worst], (double)grad[worst]);
        fail();
    }
    finite_differences(lc->name, &spec, z, t, pixels, lc->c, dz);
    free(dz);
    free(z);
    free(t);
    free(grad);
    free(lref);
    free(w);
}

static void run_metric_case(void **state) {
    const metric_case *mc = (const metric_case *)*state;
    int64_t nz = 0, nt = 0;
    float *z = fx_require(mc->name, "z", &nz);
    float *t = fx_require(mc->name, "t", &nt);
    float *iou_ref = fx_require(mc->name, "iou", NULL);
    float *f_ref = fx_require(mc->name, "fscore", NULL);
    assert_int_equal(nz, nt);
    double iou = 0.0, f = 0.0;
    us_metrics(mc->head, z, t, nz / mc->c, mc->c, &iou, &f);
    check_close(mc->name, iou, iou_ref[0], 1e-6);
    check_close(mc->name, f, f_ref[0], 1e-6);
    free(z);
    free(t);
    free(iou_ref);
    free(f_ref);
}

/* ------------------------------------------------------- numerical safety */

static void test_extreme_logits(void **state) {
    (void)state;
    static const struct { int32_t head; int64_t c; } heads[] = {
        {SIG, 1}, {SMX, 3}, {SIG, 3}, {UNETSEG_ACT_LINEAR, 1}, {UNETSEG_ACT_LINEAR, 3}, {SMX, 1}};
    static const float mags[] = {100.0f, 1e4f, 3e38f};
    const float weights[3] = {0.5f, 2.0f, 1.25f};
    enum { PIX = 12 };
    float z[PIX * 3], t[PIX * 3], dz[PIX * 3];
    for (size_t h = 0; h < sizeof heads / sizeof heads[0]; ++h) {
        int64_t c = heads[h].c;
        for (size_t m = 0; m < sizeof mags / sizeof mags[0]; ++m) {
            for (int pattern = 0; pattern < 4; ++pattern) {
                for (int64_t i = 0; i < PIX * c; ++i) {
                    float sign = pattern == 0 ? ((i % 2) ? 1.0f : -1.0f)
                                 : pattern == 1 ? -1.0f
                                 : pattern == 2 ? 1.0f
                                                : ((i / c) % 3 == 0 ? 1.0f : -1.0f);
                    z[i] = sign * mags[m];
                }
                for (int64_t r = 0; r < PIX; ++r)
                    for (int64_t k = 0; k < c; ++k)
                        t[r * c + k] = heads[h].head == SMX || (heads[h].head != SIG && c > 1)
                                           ? (float)(k == r % c)
                                           : (float)((r + k) % 3 == 0);
                for (int32_t loss = UNETSEG_LOSS_BCE; loss <= UNETSEG_LOSS_CCE_JACCARD; ++loss) {
                    for (int wt = 0; wt < 2; ++wt) {
                        us_loss_spec spec = {.loss = loss, .head = heads[h].head,
                                             .class_weights = wt ? weights : NULL};
                        double l = NAN;
                        assert_ok(us_loss_forward_backward(&spec, z, t, PIX, c, &l, dz));
                        int ok = isfinite(l);
                        for (int64_t i = 0; i < PIX * c; ++i) ok = ok && isfinite(dz[i]);
                        if (!ok) {
                            print_error("loss %d head %d c %lld |z| %g pattern %d weighted %d: "
                                        "loss %g or gradient not finite\n", (int)loss,
                                        (int)heads[h].head, (long long)c, (double)mags[m],
                                        pattern, wt, l);
                            fail();
                        }
                    }
                }
                double iou = NAN, f = NAN;
                us_metrics(heads[h].head, z, t, PIX, c, &iou, &f);
                assert_true(isfinite(iou) && isfinite(f));
            }
        }
    }
}

/* ------------------------------------------------------ hand-computed cases */

static double loss_of(int32_t loss, int32_t head, const float *w, const float *z, const float *t,
                      int64_t pixels, int64_t c) {
    us_loss_spec spec = {.loss = loss, .head = head, .class_weights = w};
    double l = NAN;
    assert_ok(us_loss_value(&spec, z, t, pixels, c, &l));
    return l;
}

static void test_hand_values(void **state) {
    (void)state;
    const double eps = 1e-7, s = 1e-5;
    /* BCE, sigmoid: z = 0 gives log 2 whatever the target. */
    const float z0[2] = {0.0f, 0.0f}, t01[2] = {0.0f, 1.0f};
    check_close("bce log2", loss_of(UNETSEG_LOSS_BCE, SIG, NULL, z0, t01, 2, 1), log(2.0), 1e-12);
    /* BCE, sigmoid, beyond the clip: z = 30, t = 0 costs softplus(30), not -log(eps). */
    const float z30[1] = {30.0f}, t0[1] = {0.0f};
    check_close("bce logits", loss_of(UNETSEG_LOSS_BCE, SIG, NULL, z30, t0, 1, 1),
                30.0 + log1p(exp(-30.0)), 1e-12);
    /* BCE, softmax head: clipped at 1 - eps -> -log(eps). */
    const float zs[2] = {30.0f, -30.0f}, ts[2] = {0.0f, 1.0f};
    check_close("bce softmax clip", loss_of(UNETSEG_LOSS_BCE, SMX, NULL, zs, ts, 1, 2), -log(eps),
                1e-9);
    /* CCE, softmax of equal logits: -mean(t log(1/3)) = log(3) / 3 for one-hot t. */
    const float zu[3] = {1.0f, 1.0f, 1.0f}, tu[3] = {0.0f, 1.0f, 0.0f};
    check_close("cce uniform", loss_of(UNETSEG_LOSS_CCE, SMX, NULL, zu, tu, 1, 3), log(3.0) / 3.0,
                1e-12);
    const float wu[3] = {1.0f, 4.0f, 1.0f};
    check_close("cce weighted", loss_of(UNETSEG_LOSS_CCE, SMX, wu, zu, tu, 1, 3),
                4.0 * log(3.0) / 3.0, 1e-12);
    /* Dice, one channel, z = 0 (p = 1/2) on 2 pixels, t = (0, 1):
     * tp = 1/2, sum p = 1, sum t = 1 -> F = (1 + s) / (2 + s). */
    check_close("dice", loss_of(UNETSEG_LOSS_DICE, SIG, NULL, z0, t01, 2, 1),
                1.0 - (1.0 + s) / (2.0 + s), 1e-12);
    /* Jaccard: (1/2 + s) / (1 + 1 - 1/2 + s). */
    check_close("jaccard", loss_of(UNETSEG_LOSS_JACCARD, SIG, NULL, z0, t01, 2, 1),
                1.0 - (0.5 + s) / (1.5 + s), 1e-12);
    /* Binary focal at p = 1/2: t=1: .25 * .25 * log 2; t=0: .75 * .25 * log 2; mean. */
    check_close("binary focal", loss_of(UNETSEG_LOSS_BINARY_FOCAL, SIG, NULL, z0, t01, 2, 1),
                (0.25 * 0.25 + 0.75 * 0.25) * log(2.0) / 2.0, 1e-12);
    check_close("categorical focal",
                loss_of(UNETSEG_LOSS_CATEGORICAL_FOCAL, SIG, NULL, z0, t01, 2, 1),
                0.25 * 0.25 * log(2.0) / 2.0, 1e-12);
    /* Sums. */
    check_close("bce_dice", loss_of(UNETSEG_LOSS_BCE_DICE, SIG, NULL, z0, t01, 2, 1),
                log(2.0) + 1.0 - (1.0 + s) / (2.0 + s), 1e-12);
    /* Class weights: BCE and the focal losses ignore them; Dice takes them. */
    const float w1[1] = {3.0f};
    for (int32_t loss = UNETSEG_LOSS_BCE; loss <= UNETSEG_LOSS_CATEGORICAL_FOCAL; ++loss) {
        if (loss != UNETSEG_LOSS_BCE && loss != UNETSEG_LOSS_BINARY_FOCAL &&
            loss != UNETSEG_LOSS_CATEGORICAL_FOCAL)
            continue;
        assert_true(loss_of(loss, SIG, w1, z0, t01, 2, 1) ==
                    loss_of(loss, SIG, NULL, z0, t01, 2, 1));
    }
    check_close("dice weighted", loss_of(UNETSEG_LOSS_DICE, SIG, w1, z0, t01, 2, 1),
                1.0 - 3.0 * (1.0 + s) / (2.0 + s), 1e-12);
    /* BCE-Dice: BCE unweighted, Dice weighted. */
    check_close("bce_dice weighted", loss_of(UNETSEG_LOSS_BCE_DICE, SIG, w1, z0, t01, 2, 1),
                log(2.0) + 1.0 - 3.0 * (1.0 + s) / (2.0 + s), 1e-12);
}

/* A linear head counts as sigmoid for one channel and softmax for several. */
static void test_linear_head(void **state) {
    (void)state;
    const float z[6] = {0.3f, -1.2f, 2.0f, 0.7f, -0.4f, 1.1f};
    const float t1[6] = {1, 0, 1, 1, 0, 0};
    const float t3[6] = {0, 0, 1, 1, 0, 0};
    float da[6], db[6];
    for (int32_t loss = UNETSEG_LOSS_BCE; loss <= UNETSEG_LOSS_CCE_JACCARD; ++loss) {
        for (int k = 0; k < 2; ++k) {
            int64_t c = k ? 3 : 1;
            const float *t = k ? t3 : t1;
            us_loss_spec lin = {.loss = loss, .head = UNETSEG_ACT_LINEAR};
            us_loss_spec ref = {.loss = loss, .head = k ? SMX : SIG};
            double la = 0, lb = 0;
            assert_ok(us_loss_forward_backward(&lin, z, t, 6 / c, c, &la, da));
            assert_ok(us_loss_forward_backward(&ref, z, t, 6 / c, c, &lb, db));
            assert_true(la == lb);
            assert_memory_equal(da, db, sizeof da);
        }
    }
}

static void test_metrics_hand(void **state) {
    (void)state;
    const double s = 1e-5;
    double iou = 0, f = 0;
    /* Perfect prediction. */
    const float t[4] = {1, 1, 0, 0};
    const float zp[4] = {5, 3, -2, -7};
    us_metrics(SIG, zp, t, 4, 1, &iou, &f);
    check_close("perfect iou", iou, 1.0, 1e-12);
    check_close("perfect f", f, 1.0, 1e-12);
    /* Disjoint: tp 0, union 4. */
    const float zd[4] = {-5, -3, 2, 7};
    us_metrics(SIG, zd, t, 4, 1, &iou, &f);
    check_close("disjoint iou", iou, s / (4.0 + s), 1e-9);
    check_close("disjoint f", f, s / (4.0 + s), 1e-9);
    assert_true(iou < 1e-5);
    /* Half: pr = (1, 0, 1, 0): tp 1, sum t 2, sum pr 2. */
    const float zh[4] = {1, -1, 1, -1};
    us_metrics(SIG, zh, t, 4, 1, &iou, &f);
    check_close("half iou", iou, (1.0 + s) / (3.0 + s), 1e-12);
    check_close("half f", f, (2.0 + s) / (4.0 + s), 1e-12);
    /* Empty class, nothing predicted: s / s = 1. */
    const float t0[2] = {0, 0}, zn[2] = {-1, -2};
    us_metrics(SIG, zn, t0, 2, 1, &iou, &f);
    check_close("empty iou", iou, 1.0, 1e-12);
    /* Softmax, 3 pixels x 2 classes: argmax with p > 0.5; a tie predicts nothing.
     * pixel 0 predicts class 0 (t = class 1), pixel 1 class 1 (t = class 1),
     * pixel 2 nothing (t = class 0).
     * class 0: tp 0, sum pr 1, sum t 1 -> iou s/(2+s), f s/(2+s);
     * class 1: tp 1, sum pr 1, sum t 2 -> iou (1+s)/(2+s), f (2+s)/(3+s). */
    const float zs[6] = {2, 0, -1, 1, 0.5f, 0.5f};
    const float ts[6] = {0, 1, 0, 1, 1, 0};
    us_metrics(SMX, zs, ts, 3, 2, &iou, &f);
    check_close("softmax iou", iou, (s / (2.0 + s) + (1.0 + s) / (2.0 + s)) / 2.0, 1e-12);
    check_close("softmax f", f, (s / (2.0 + s) + (2.0 + s) / (3.0 + s)) / 2.0, 1e-12);
    /* Sigmoid threshold is strict: p = 0.5 (z = 0) is not positive. */
    const float zz[2] = {0, 0}, t1[2] = {1, 1};
    us_metrics(SIG, zz, t1, 2, 1, &iou, &f);
    check_close("threshold iou", iou, s / (2.0 + s), 1e-9);
}

static void test_errors(void **state) {
    (void)state;
    const float z[2] = {0, 0}, t[2] = {0, 1};
    float dz[2];
    double l = 0;
    us_loss_spec spec = {.loss = UNETSEG_LOSS_BCE, .head = SIG};
    assert_status(us_loss_forward_backward(NULL, z, t, 2, 1, &l, dz), UNETSEG_E_INVALID_ARG);
    assert_status(us_loss_forward_backward(&spec, z, t, 2, 1, &l, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(us_loss_value(&spec, z, t, 0, 1, &l), UNETSEG_E_INVALID_ARG);
    assert_status(us_loss_value(&spec, z, t, 2, 0, &l), UNETSEG_E_INVALID_ARG);
    assert_status(us_loss_value(&spec, z, NULL, 2, 1, &l), UNETSEG_E_INVALID_ARG);
    spec.loss = 42;
    assert_status(us_loss_value(&spec, z, t, 2, 1, &l), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("unknown loss");
    spec.loss = UNETSEG_LOSS_DICE;
    spec.head = UNETSEG_ACT_RELU;
    assert_status(us_loss_value(&spec, z, t, 2, 1, &l), UNETSEG_E_INVALID_ARG);
    assert_error_mentions("head");
    assert_status(us_loss_value(&spec, z, t, INT64_MAX, 2, &l), UNETSEG_E_NOMEM);
}

/* ------------------------------------------------------------------ main */

int main(void) {
    static struct CMUnitTest tests[N_CASES + N_METRIC_CASES + 8];
    int n = 0;
    tests[n++] = (struct CMUnitTest){.name = "case_lists_match", .test_func = test_case_lists_match};
    for (int i = 0; i < N_CASES; ++i)
        tests[n++] = (struct CMUnitTest){.name = cases[i].name, .test_func = run_case,
                                         .initial_state = (void *)&cases[i]};
    for (int i = 0; i < N_METRIC_CASES; ++i)
        tests[n++] = (struct CMUnitTest){.name = metric_cases[i].name,
                                         .test_func = run_metric_case,
                                         .initial_state = (void *)&metric_cases[i]};
    tests[n++] = (struct CMUnitTest){.name = "extreme_logits", .test_func = test_extreme_logits};
    tests[n++] = (struct CMUnitTest){.name = "hand_values", .test_func = test_hand_values};
    tests[n++] = (struct CMUnitTest){.name = "linear_head", .test_func = test_linear_head};
    tests[n++] = (struct CMUnitTest){.name = "metrics_hand", .test_func = test_metrics_hand};
    tests[n++] = (struct CMUnitTest){.name = "errors", .test_func = test_errors};
    return _cmocka_run_group_tests("losses", tests, (size_t)n, open_fixture, close_fixture);
}
