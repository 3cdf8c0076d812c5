/* Image files for the CLI: PNG read and written by Debian's libspng, JPEG
 * read by libjpeg-turbo, BMP by stb_image; resizing by stb_image_resize
 * (libstb-dev). The library itself never touches image formats. */
#ifndef UNETSEG_CLI_IMAGES_H
#define UNETSEG_CLI_IMAGES_H

#include <stddef.h>
#include <stdint.h>

/* An interleaved float image, values 0..255 (or 0..1 for masks). */
typedef struct cli_image {
    int w, h, c;
    float *px;
} cli_image;

void cli_image_free(cli_image *img);
/* Read PNG/JPEG/BMP with `channels` channels (0 keeps the file's). Prints
 * the file and the reason on failure; returns 0 then. */
int cli_image_read(const char *path, int channels, cli_image *out);
/* cli_image_read on the file's bytes (`name` is for messages): the decoder
 * proper, which tests/fuzz/fuzz_images.c feeds with untrusted bytes. */
int cli_image_decode(const void *bytes, size_t size, const char *name, int channels,
                     cli_image *out);
/* Larger images are refused before decoding. The default of 2^24 pixels
 * (4096 x 4096) bounds what a small hostile file can cost: the decoder keeps
 * the decoded bytes and the CLI a float copy, a resized copy and the tensor, about
 * 50 bytes a pixel for RGB (800 MB at 2^24). --max-pixels N raises it up to
 * CLI_IMAGE_MAX_PIXELS_LIMIT, 2^28 (16384 x 16384), which keeps w * h * c
 * (c <= 4) inside the ints of stb and stb_image_resize. The side limit bounds
 * the resize: stb_image_resize's time grows with height x the new width, so a
 * 4 x 655364 strip took 5 s to become 256 x 256. */
#define CLI_IMAGE_MAX_PIXELS ((int64_t)1 << 24)
#define CLI_IMAGE_MAX_PIXELS_LIMIT ((int64_t)1 << 28)
#define CLI_IMAGE_MAX_SIDE 65536
/* Change the limits (the fuzz target lowers them to keep inputs fast). */
void cli_image_set_limits(int64_t max_side, int64_t max_pixels);
/* --max-pixels: the pixel limit alone. */
void cli_image_set_max_pixels(int64_t max_pixels);
/* Bilinear resize into a new image (0 on failure). */
int cli_image_resize(const cli_image *in, int w, int h, cli_image *out);
/* Write 8-bit PNG (1 or 3 channels) from floats in [lo, hi] mapped to 0..255,
 * through the CLI's atomic writer (files.h); 0 after a message. */
int cli_image_write_png(const char *path, const cli_image *img, float lo, float hi);
/* Heat map (c = 1 input) in a perceptual blue-green-yellow colour scale over
 * [lo, hi], with a colour bar on the right: a new 3-channel image. */
int cli_heatmap(const cli_image *gray, float lo, float hi, cli_image *out);
/* Side-by-side panel of 3-channel images of equal height (0..255). */
int cli_panel(const cli_image *const *parts, int n, cli_image *out);
/* Enlarge by an integer factor, nearest neighbour (crisp small images). */
int cli_image_scale_nearest(const cli_image *in, int factor, cli_image *out);
/* Gray to 3 channels (values scaled by `scale`). */
int cli_to_rgb(const cli_image *in, float scale, cli_image *out);

#endif
