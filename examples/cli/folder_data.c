#include "folder_data.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "images.h"

#define MAX_FILES 100000

static int has_image_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    return !strcmp(dot, ".png") || !strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg") ||
           !strcmp(dot, ".bmp") || !strcmp(dot, ".PNG") || !strcmp(dot, ".JPG");
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **cli_folder_list(const char *dir, int *count) {
    char path[4096];
    snprintf(path, sizeof path, "%s/images", dir);
    DIR *d = opendir(path);
    *count = 0;
    if (!d) {
        fprintf(stderr, "unetseg: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char **names = calloc(MAX_FILES, sizeof *names);
    struct dirent *e;
    int failed = !names;
    while (!failed && (e = readdir(d)) && *count < MAX_FILES)
        if (has_image_ext(e->d_name) && !(failed = !(names[*count] = strdup(e->d_name)))) (*count)++;
    closedir(d);
    if (failed) {
        fprintf(stderr, "unetseg: %s: out of memory for the file names\n", path);
        cli_folder_list_free(names, *count);
        *count = 0;
        return NULL;
    }
    if (*count == 0) {
        fprintf(stderr, "unetseg: %s has no .png/.jpg/.bmp file\n", path);
        free(names);
        return NULL;
    }
    qsort(names, (size_t)*count, sizeof *names, compare_names);
    return names;
}

void cli_folder_list_free(char **names, int count) {
    for (int i = 0; names && i < count; i++) free(names[i]);
    free(names);
}

void cli_folder_mask_path(const char *dir, const char *image_name, char *out, size_t size) {
    const char *dot = strrchr(image_name, '.');
    snprintf(out, size, "%s/masks/%.*s.png", dir, (int)(dot - image_name), image_name);
}

/* A resized value as the 8-bit pixel a cache keeps: bilinear filters
 * overshoot edges a little, so clamp, then round to nearest. */
static uint8_t to_byte(float v) {
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)(v + 0.5f);
}

int cli_folder_pair8(const cli_image *img, const cli_image *mask, const char *mask_name, int64_t h,
                     int64_t w, int64_t c, int64_t classes, uint8_t *img_dst, uint8_t *mask_dst) {
    cli_image ri = {0};
    int ok = 1;
    if (mask->w != img->w || mask->h != img->h) {
        fprintf(stderr, "unetseg: %s is %dx%d but its image is %dx%d\n", mask_name, mask->w,
                mask->h, img->w, img->h);
        ok = 0;
    }
    ok = ok && cli_image_resize(img, (int)w, (int)h, &ri);
    for (int64_t i = 0; ok && i < h * w * c; i++) img_dst[i] = to_byte(ri.px[i]);
    /* masks are resized by nearest neighbour: class indices must not blend */
    for (int64_t y = 0; ok && y < h; y++)
        for (int64_t x = 0; ok && x < w; x++) {
            float v = mask->px[(y * mask->h / h) * mask->w + x * mask->w / w];
            int64_t k = classes == 1 ? v > 127.0f : (int64_t)v; /* decoded: 0..255 */
            if (classes > 1 && k >= classes) {
                fprintf(stderr, "unetseg: %s: class index %lld >= %lld classes\n", mask_name,
                        (long long)k, (long long)classes);
                ok = 0;
            }
            mask_dst[y * w + x] = (uint8_t)k;
        }
    cli_image_free(&ri);
    return ok;
}

void cli_folder_expand(const uint8_t *img8, const uint8_t *mask8, int64_t h, int64_t w, int64_t c,
                       int64_t classes, float *img_dst, float *mask_dst) {
    for (int64_t i = 0; img_dst && i < h * w * c; i++) img_dst[i] = img8[i];
    for (int64_t p = 0; mask_dst && p < h * w; p++) {
        if (classes == 1) {
            mask_dst[p] = mask8[p];
            continue;
        }
        for (int64_t j = 0; j < classes; j++) mask_dst[p * classes + j] = j == mask8[p] ? 1.0f : 0.0f;
    }
}

int cli_folder_pair(const cli_image *img, const cli_image *mask, const char *mask_name,
                    int64_t h, int64_t w, int64_t c, int64_t classes, float *img_dst,
                    float *mask_dst) {
    uint8_t *img8 = malloc((size_t)(h * w * c)), *mask8 = malloc((size_t)(h * w));
    int ok = img8 && mask8;
    if (!ok)
        fprintf(stderr, "unetseg: %s: out of memory for a %lldx%lld sample\n", mask_name, (long long)w,
                (long long)h);
    ok = ok && cli_folder_pair8(img, mask, mask_name, h, w, c, classes, img8, mask8);
    if (ok) cli_folder_expand(img8, mask8, h, w, c, classes, img_dst, mask_dst);
    free(img8);
    free(mask8);
    return ok;
}

int cli_folder_read8(const char *dir, const char *name, int64_t h, int64_t w, int64_t c,
                     int64_t classes, uint8_t *img_dst, uint8_t *mask_dst) {
    char path[4096];
    cli_image img = {0}, mask = {0};
    snprintf(path, sizeof path, "%s/images/%s", dir, name);
    int ok = cli_image_read(path, (int)c, &img);
    cli_folder_mask_path(dir, name, path, sizeof path);
    ok = ok && cli_image_read(path, 1, &mask) &&
         cli_folder_pair8(&img, &mask, path, h, w, c, classes, img_dst, mask_dst);
    cli_image_free(&img);
    cli_image_free(&mask);
    return ok;
}

int cli_folder_size(const cli_image *first, const char *name, int64_t *h, int64_t *w) {
    *h = first->h / 32 * 32, *w = first->w / 32 * 32;
    if (*h >= 32 && *w >= 32) return 1;
    fprintf(stderr, "unetseg: %s is smaller than 32x32\n", name);
    return 0;
}

/* ------------------------------------------------------------- demo data */
static double rnd(unsigned long long *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* Draw one random shape into the image and the mask. */
static void draw_shape(cli_image *img, cli_image *mask, unsigned long long *s) {
    const int size = img->w, kind = (int)(rnd(s) * 3);
    const double cx = size * (0.2 + 0.6 * rnd(s)), cy = size * (0.2 + 0.6 * rnd(s));
    const double r = size * (0.08 + 0.12 * rnd(s));
    float col[3];
    for (int k = 0; k < 3; k++) col[k] = (float)(120 + 135 * rnd(s));
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            double dx = x - cx, dy = y - cy;
            int in = kind == 0   ? dx * dx + dy * dy < r * r
                     : kind == 1 ? fabs(dx) < r && fabs(dy) < 0.7 * r
                                 : dy < r && dy > -r && fabs(dx) < (dy + r) * 0.6;
            if (!in) continue;
            for (int k = 0; k < 3; k++) img->px[(y * size + x) * 3 + k] = col[k];
            mask->px[y * size + x] = 255.0f;
        }
}

static int write_sample(const char *img_path, const char *mask_path_, int size,
                        unsigned long long *s) {
    cli_image img = {size, size, 3, calloc((size_t)size * size * 3, sizeof(float))};
    cli_image mask = {size, size, 1, calloc((size_t)size * size, sizeof(float))};
    int ok = img.px && mask.px;
    if (!ok) fprintf(stderr, "unetseg: out of memory for a %dx%d image\n", size, size);
    /* noisy background with a soft gradient */
    double gx = rnd(s), gy = rnd(s);
    for (int i = 0; ok && i < size * size; i++)
        for (int k = 0; k < 3; k++)
            img.px[i * 3 + k] = (float)(20 + 60 * (gx * (i % size) + gy * (i / size)) / size + 70 * rnd(s));
    int shapes = 1 + (int)(rnd(s) * 3);
    for (int k = 0; ok && k < shapes; k++) draw_shape(&img, &mask, s);
    ok = ok && cli_image_write_png(img_path, &img, 0, 255) && cli_image_write_png(mask_path_, &mask, 0, 255);
    cli_image_free(&img);
    cli_image_free(&mask);
    return ok;
}

int cli_write_demo_data(const char *dir, int count, int size, unsigned long long seed) {
    char a[4096], b[4096];
    unsigned long long s = seed * 0x9E3779B97F4A7C15ULL + 1;
    snprintf(a, sizeof a, "%s/images", dir);
    snprintf(b, sizeof b, "%s/masks", dir);
    if (!cli_make_dirs(a) || !cli_make_dirs(b)) {
        fprintf(stderr, "unetseg: cannot create %s: %s\n", a, strerror(errno));
        return 0;
    }
    for (int i = 0; i < count; i++) {
        snprintf(a, sizeof a, "%s/images/%04d.png", dir, i);
        snprintf(b, sizeof b, "%s/masks/%04d.png", dir, i);
        if (!write_sample(a, b, size, &s)) return 0;
    }
    snprintf(a, sizeof a, "%s/holdout.png", dir);
    snprintf(b, sizeof b, "%s/holdout_mask.png", dir);
    return write_sample(a, b, size, &s);
}
