/* Image files for the CLI (stb_image / stb_image_write from Debian's
 * libstb-dev); the library itself never touches image formats. */
#ifndef UNETSEG_CLI_IMAGES_H
#define UNETSEG_CLI_IMAGES_H

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
/* Bilinear resize into a new image (0 on failure). */
int cli_image_resize(const cli_image *in, int w, int h, cli_image *out);
/* Write 8-bit PNG from floats in [lo, hi] mapped to 0..255. */
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
