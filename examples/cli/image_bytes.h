/* The bytes of an untrusted image file, looked at before a decoder sees
 * them: the CLI takes PNG (libspng), JPEG (libjpeg-turbo) and BMP (stb_image)
 * only, and refuses a BMP shorter than the pixels its header claims, which
 * Debian 12's stb_image 2.27 would decode as zeros after reserving memory
 * for all of them. */
#ifndef CLI_IMAGE_BYTES_H
#define CLI_IMAGE_BYTES_H

#include <stddef.h>

/* The formats, told apart by their first bytes. */
enum cli_image_format { CLI_IMAGE_OTHER, CLI_IMAGE_PNG, CLI_IMAGE_JPEG, CLI_IMAGE_BMP };
enum cli_image_format cli_image_format(const unsigned char *p, size_t n);

/* NULL if a decoder may take these bytes, else what is wrong (for a message). */
const char *cli_image_bytes_problem(const unsigned char *p, size_t n);

#endif
