/* libFuzzer target: the CLI's image loading (examples/cli/images.c and
 * folder_data.c), as `unetseg train --data DIR` and `unetseg predict` run it
 * on image files from anywhere. The first 6 bytes are the settings, the rest
 * is the file:
 *   [0]    channels asked for, 0..7 (0 keeps the file's; over 4 is refused)
 *   [1]    classes - 1 (1: binary mask, more: class indices, one-hot)
 *   [2][3] training height and width, 1..64 (0: the image's, rounded down to
 *          a multiple of 32, as without --size)
 *   [4..5] split (little endian): 0 decodes the mask from the image's own
 *          bytes (equal sizes, so the mask conversion is reached); otherwise
 *          the first `split` bytes are the image and the rest its mask.
 * Nothing may crash, leak or hang; a decoded image has the channels asked
 * for and values 0..255; a pair of unequal sizes is refused; a loaded mask
 * is binary or one-hot. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "folder_data.h"
#include "images.h"

#define FUZZ_IMAGES_HEADER 6
/* Far below the CLI's limits (65536 a side, 2^28 pixels), which a 60-byte
 * BMP header reaches: decoding that many zero pixels, or resizing a strip
 * of 65536 x 1 to 64 x 64, takes seconds under the sanitizers. */
#define FUZZ_IMAGES_MAX_SIDE 1024
#define FUZZ_IMAGES_MAX_PIXELS ((int64_t)1 << 16)
#define FUZZ_IMAGES_MAX_FLOATS ((int64_t)1 << 22) /* per training tensor */

/* The CLI reports every refused file on stderr, thousands of lines a second
 * here. -close_fd_mask=2 makes libFuzzer discard stderr but keep its own
 * output and the sanitizer reports (a later -close_fd_mask=0 still wins). */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    static char quiet[] = "-close_fd_mask=2", *args[256];
    if (*argc < 1 || *argc > 250) return 0;
    args[0] = (*argv)[0];
    args[1] = quiet;
    memcpy(args + 2, *argv + 1, (size_t)(*argc - 1) * sizeof *args);
    *argv = args;
    args[++*argc] = NULL;
    return 0;
}

/* cli_image_decode, and what its success promises. */
static int fuzz_images_decode(const uint8_t *bytes, size_t size, int channels, cli_image *out) {
    if (!cli_image_decode(bytes, size, "fuzz", channels, out)) {
        if (out->px) abort(); /* failure leaves nothing to free */
        return 0;
    }
    if (!out->px || out->w < 1 || out->h < 1 || out->c < 1 || out->c > 4 ||
        (channels && out->c != channels) || out->w > FUZZ_IMAGES_MAX_SIDE ||
        out->h > FUZZ_IMAGES_MAX_SIDE || (int64_t)out->w * out->h > FUZZ_IMAGES_MAX_PIXELS)
        abort();
    for (size_t i = 0; i < (size_t)out->w * out->h * out->c; i++)
        if (!(out->px[i] >= 0.0f && out->px[i] <= 255.0f)) abort();
    return 1;
}

/* cli_folder_pair into tensors of the training size, and its promises. */
static void fuzz_images_pair(const cli_image *img, const cli_image *mask, int64_t classes,
                             int64_t h, int64_t w) {
    const int64_t c = img->c, most = c > classes ? c : classes;
    if ((h == 0 || w == 0) && !cli_folder_size(img, "fuzz", &h, &w)) return;
    if (h * w * most > FUZZ_IMAGES_MAX_FLOATS) return;
    float *x = malloc((size_t)(h * w * c) * sizeof(float));
    float *y = malloc((size_t)(h * w * classes) * sizeof(float));
    if (!x || !y) abort();
    const int same = img->w == mask->w && img->h == mask->h;
    if (cli_folder_pair(img, mask, "fuzz", h, w, c, classes, x, y)) {
        if (!same) abort();
        /* bilinear (cubic) filters overshoot edges a little, never this much */
        for (int64_t i = 0; i < h * w * c; i++)
            if (!(x[i] >= -128.0f && x[i] <= 383.0f)) abort();
        for (int64_t p = 0; p < h * w; p++) {
            float sum = 0;
            for (int64_t k = 0; k < classes; k++) {
                float v = y[p * classes + k];
                if (v != 0.0f && v != 1.0f) abort();
                sum += v;
            }
            if (classes > 1 && sum != 1.0f) abort();
        }
    } else if (same && classes == 1) {
        abort(); /* a binary mask of the right size always loads */
    }
    free(x);
    free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < FUZZ_IMAGES_HEADER) return 0;
    const int channels = data[0] & 7;
    const int64_t classes = 1 + (int64_t)data[1];
    const int64_t h = data[2] ? 1 + (data[2] - 1) % 64 : 0, w = data[3] ? 1 + (data[3] - 1) % 64 : 0;
    const size_t split = (size_t)data[4] | (size_t)data[5] << 8;
    const uint8_t *file = data + FUZZ_IMAGES_HEADER;
    const size_t n = size - FUZZ_IMAGES_HEADER, image_size = split && split < n ? split : n;
    cli_image img = {0}, mask = {0};
    cli_image_set_limits(FUZZ_IMAGES_MAX_SIDE, FUZZ_IMAGES_MAX_PIXELS);
    if (fuzz_images_decode(file, image_size, channels, &img) &&
        fuzz_images_decode(split ? file + image_size : file, split ? n - image_size : n, 1, &mask))
        fuzz_images_pair(&img, &mask, classes, h, w);
    cli_image_free(&img);
    cli_image_free(&mask);
    return 0;
}
