/* `unetseg predict` on an image file: resize to a multiple of 32 if needed,
 * run, resize back, and write masks, probabilities, overlays and the
 * Monte-Carlo heat maps as PNGs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predict_input.h"

int cli_is_image_path(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot && (!strcmp(dot, ".png") || !strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg") ||
                   !strcmp(dot, ".bmp") || !strcmp(dot, ".PNG") || !strcmp(dot, ".JPG"));
}

static int round32(int v) { return v < 48 ? 32 : (v + 16) / 32 * 32; }

/* "out of memory" for an image of w x h x c; returns 0. */
static int no_memory(int w, int h, int c) {
    fprintf(stderr, "unetseg: out of memory for an image of %dx%d pixels x %d channel(s)\n", w, h, c);
    return 0;
}

/* A model output tensor (1, h, w, c) as an image resized to w0 x h0. */
static int tensor_to_image(unetseg_tensor *t, int w0, int h0, cli_image *out) {
    int64_t s[4];
    int32_t st = unetseg_tensor_shape(t, s, 4);
    if (st) {
        cli_report("model output", st);
        return 0;
    }
    cli_image view = {(int)s[2], (int)s[1], (int)s[3], unetseg_tensor_data(t)};
    if (view.w == w0 && view.h == h0) {
        out->w = w0, out->h = h0, out->c = view.c;
        out->px = malloc((size_t)w0 * h0 * view.c * sizeof(float));
        if (!out->px) return no_memory(w0, h0, view.c);
        memcpy(out->px, view.px, (size_t)w0 * h0 * view.c * sizeof(float));
        return 1;
    }
    return cli_image_resize(&view, w0, h0, out);
}

/* Mask image: threshold 0.5 (one channel, 0/255) or the class index. */
static int mask_image(const cli_image *p, cli_image *mask, cli_image *prob) {
    size_t n = (size_t)p->w * p->h;
    mask->w = prob->w = p->w, mask->h = prob->h = p->h, mask->c = prob->c = 1;
    mask->px = malloc(n * sizeof(float));
    prob->px = malloc(n * sizeof(float));
    if (!mask->px || !prob->px) return no_memory(p->w, p->h, 1);
    for (size_t i = 0; i < n; i++) {
        const float *v = p->px + i * p->c;
        int best = 0;
        for (int k = 1; k < p->c; k++) best = v[k] > v[best] ? k : best;
        prob->px[i] = v[best];
        mask->px[i] = p->c == 1 ? (v[0] > 0.5f ? 255.0f : 0.0f) : (float)best;
    }
    return 1;
}

static int write_overlay(const char *path, const cli_image *input, const cli_image *mask, int c) {
    cli_image rgb = {0};
    int ok = cli_to_rgb(input, 1.0f, &rgb);
    for (size_t i = 0; ok && i < (size_t)rgb.w * rgb.h; i++) {
        int on = c == 1 ? mask->px[i] > 0 : mask->px[i] > 0.5f;
        if (!on) continue;
        rgb.px[i * 3] = 0.5f * rgb.px[i * 3] + 0.5f * 255.0f; /* red tint */
        rgb.px[i * 3 + 1] *= 0.5f;
        rgb.px[i * 3 + 2] *= 0.5f;
    }
    ok = ok && cli_image_write_png(path, &rgb, 0, 255);
    cli_image_free(&rgb);
    return ok;
}

/* Channel-max of a (mean/std) image as one channel. */
static int first_channel_or_max(const cli_image *in, cli_image *out) {
    out->w = in->w, out->h = in->h, out->c = 1;
    out->px = malloc((size_t)in->w * in->h * sizeof(float));
    if (!out->px) return no_memory(in->w, in->h, 1);
    for (size_t i = 0; i < (size_t)in->w * in->h; i++) {
        float m = in->px[i * in->c];
        for (int k = 1; k < in->c; k++) m = in->px[i * in->c + k] > m ? in->px[i * in->c + k] : m;
        out->px[i] = m;
    }
    return 1;
}

static float max_of(const cli_image *img) {
    float m = 0;
    for (size_t i = 0; i < (size_t)img->w * img->h * img->c; i++) m = img->px[i] > m ? img->px[i] : m;
    return m;
}

/* The panel: input | truth (if given) | mean | std | entropy heat maps,
 * enlarged when small so that it can be read. */
static int write_panel(const cli_image_outputs *o, const cli_image *input, const cli_image *const maps[3]) {
    cli_image rgb = {0}, truth = {0}, truth_rgb = {0}, pan = {0};
    const cli_image *parts[5];
    int n = 0;
    int ok = cli_to_rgb(input, 1.0f, &rgb);
    parts[n++] = &rgb;
    if (ok && o->truth && (ok = cli_image_read(o->truth, 1, &truth)) &&
        (truth.w != input->w || truth.h != input->h)) {
        fprintf(stderr, "unetseg: %s: not the size of the input\n", o->truth);
        ok = 0;
    }
    if (ok && o->truth && (ok = cli_to_rgb(&truth, 1.0f, &truth_rgb))) parts[n++] = &truth_rgb;
    for (int i = 0; i < 3; i++) parts[n++] = maps[i];
    ok = ok && cli_panel(parts, n, &pan);
    if (ok && pan.h < 192) {
        cli_image big = {0};
        ok = cli_image_scale_nearest(&pan, (192 + pan.h - 1) / pan.h, &big);
        cli_image_free(&pan);
        pan = big;
    }
    ok = ok && cli_image_write_png(o->panel, &pan, 0, 255);
    if (ok) fprintf(stderr, "unetseg: wrote %s\n", o->panel);
    cli_image *all[4] = {&rgb, &truth, &truth_rgb, &pan};
    for (int i = 0; i < 4; i++) cli_image_free(all[i]);
    return ok;
}

/* The heat maps of mean (max over classes), std (max over classes) and
 * entropy, at the input's size. Probabilities have a fixed scale; std and
 * entropy use their own maximum so that the structure is visible (the colour
 * bar shows the range). */
static int heat_maps(const cli_image *input, unetseg_tensor *mean, unetseg_tensor *std,
                     unetseg_tensor *entropy, cli_image maps[3]) {
    cli_image m = {0}, s = {0}, e = {0}, m1 = {0}, s1 = {0};
    int ok = tensor_to_image(mean, input->w, input->h, &m) && tensor_to_image(std, input->w, input->h, &s) &&
             tensor_to_image(entropy, input->w, input->h, &e) && first_channel_or_max(&m, &m1) &&
             first_channel_or_max(&s, &s1);
    ok = ok && cli_heatmap(&m1, 0, 1, &maps[0]) && cli_heatmap(&s1, 0, max_of(&s1), &maps[1]) &&
         cli_heatmap(&e, 0, max_of(&e), &maps[2]);
    cli_image *all[5] = {&m, &s, &e, &m1, &s1};
    for (int i = 0; i < 5; i++) cli_image_free(all[i]);
    return ok;
}

/* mean.png, std.png and entropy.png into o->mc_dir, and the optional panel. */
static int write_mc_images(const cli_image_outputs *o, const cli_image *input, unetseg_tensor *mean,
                           unetseg_tensor *std, unetseg_tensor *entropy) {
    cli_image maps[3] = {{0}};
    static const char *const names[3] = {"mean.png", "std.png", "entropy.png"};
    char path[4096];
    int ok = heat_maps(input, mean, std, entropy, maps);
    for (int i = 0; ok && i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", o->mc_dir, names[i]);
        ok = cli_image_write_png(path, &maps[i], 0, 255);
        if (ok) fprintf(stderr, "unetseg: wrote %s\n", path);
    }
    const cli_image *const panel_maps[3] = {&maps[0], &maps[1], &maps[2]};
    ok = ok && (!o->panel || write_panel(o, input, panel_maps));
    for (int i = 0; i < 3; i++) cli_image_free(&maps[i]);
    return ok;
}

/* The image as a (1, h, w, c) tensor, resized to multiples of 32 when
 * needed (`exact`: at its own size, for tiled prediction); 0 on failure. */
static int input_tensor(const cli_image *img, int exact, unetseg_tensor **x) {
    int w = exact ? img->w : round32(img->w), h = exact ? img->h : round32(img->h);
    cli_image sized = {0};
    int64_t shape[4] = {1, h, w, img->c};
    int ok = cli_image_resize(img, w, h, &sized); /* a copy when the size already fits */
    int32_t st = ok ? unetseg_tensor_create(4, shape, x) : UNETSEG_OK;
    if (st) cli_report("input", st);
    if (ok && !st) memcpy(unetseg_tensor_data(*x), sized.px, (size_t)w * h * img->c * sizeof(float));
    cli_image_free(&sized);
    return ok && !st;
}

/* The mask, probability and overlay PNGs that were asked for. */
static int write_outputs(const cli_image_outputs *o, const cli_image *img, const cli_image *probs) {
    cli_image mask = {0}, prob = {0};
    int ok = mask_image(probs, &mask, &prob);
    /* 0/255 for one class; the class index itself for several */
    if (ok && o->output) ok = cli_image_write_png(o->output, &mask, 0, 255);
    if (ok && o->probabilities) ok = cli_image_write_png(o->probabilities, &prob, 0, 1);
    if (ok && o->overlay) ok = write_overlay(o->overlay, img, &mask, probs->c);
    cli_image_free(&mask);
    cli_image_free(&prob);
    return ok;
}

int32_t cli_predict_channels(unetseg_model *m, int *channels) {
    int64_t in_shape[4];
    int32_t st = unetseg_model_layer_output_shape(m, 0, in_shape);
    if (st) cli_report("the model's input", st);
    else *channels = (int)in_shape[3];
    return st;
}

void cli_predict_input_free(cli_predict_input *in) {
    cli_image_free(&in->img);
    unetseg_tensor_free(in->x);
    in->x = NULL;
}

int cli_predict_load(const char *path, int channels, const cli_tiling *tiling, int keep_pixels,
                     cli_predict_input *in) {
    *in = (cli_predict_input){0};
    int ok = cli_image_read(path, channels, &in->img);
    in->tiled = ok && tiling && cli_tiling_wanted(tiling, in->img.h, in->img.w);
    ok = ok && input_tensor(&in->img, in->tiled, &in->x);
    if (ok && !keep_pixels) cli_image_free(&in->img); /* its size stays */
    if (!ok) cli_predict_input_free(in);
    return ok;
}

int cli_predict_compute(unetseg_model *m, const cli_predict_input *in, int32_t mc, uint64_t mc_seed,
                        const cli_tiling *tiling, cli_prediction *p) {
    const cli_image *img = &in->img;
    *p = (cli_prediction){0};
    unetseg_tile_options *tiles = NULL;
    if (in->tiled && cli_tiling_options(tiling, img->h, img->w, &tiles)) return 0; /* reported */
    int32_t st;
    if (in->tiled)
        st = mc > 0 ? unetseg_model_predict_tiled_mc(m, in->x, tiles, mc, mc_seed, &p->mean,
                                                     &p->std, &p->entropy)
                    : unetseg_model_predict_tiled(m, in->x, tiles, &p->y);
    else
        st = mc > 0
                 ? unetseg_model_predict_mc(m, in->x, mc, mc_seed, &p->mean, &p->std, &p->entropy)
                 : unetseg_model_forward(m, in->x, &p->y);
    unetseg_tile_options_free(tiles);
    if (st) {
        cli_report("predict", st);
        cli_prediction_free(p);
    }
    return !st;
}

int cli_prediction_write(const cli_image *img, const cli_image_outputs *o,
                         const cli_prediction *p) {
    cli_image probs = {0};
    int ok = tensor_to_image(p->y ? p->y : p->mean, img->w, img->h, &probs) &&
             write_outputs(o, img, &probs);
    if (ok && !p->y) ok = write_mc_images(o, img, p->mean, p->std, p->entropy);
    cli_image_free(&probs);
    return ok ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

void cli_prediction_free(cli_prediction *p) {
    unetseg_tensor *ts[4] = {p->y, p->mean, p->std, p->entropy};
    for (int i = 0; i < 4; i++) unetseg_tensor_free(ts[i]);
    *p = (cli_prediction){0};
}

int cli_predict_run(unetseg_model *m, const cli_predict_input *in, const cli_image_outputs *o,
                    int32_t mc, uint64_t mc_seed, const cli_tiling *tiling) {
    cli_prediction p;
    if (!cli_predict_compute(m, in, mc, mc_seed, tiling, &p)) return CLI_EXIT_RUNTIME;
    const int rc = cli_prediction_write(&in->img, o, &p);
    cli_prediction_free(&p);
    return rc;
}

int cli_predict_image(unetseg_model *m, const char *input_path, const cli_image_outputs *o,
                      int32_t mc, uint64_t mc_seed, const cli_tiling *tiling) {
    int channels = 0;
    cli_predict_input in;
    if (cli_predict_channels(m, &channels) ||
        !cli_predict_load(input_path, channels, tiling, o->overlay || o->panel, &in))
        return CLI_EXIT_RUNTIME;
    int rc = cli_predict_run(m, &in, o, mc, mc_seed, tiling);
    cli_predict_input_free(&in);
    return rc;
}
