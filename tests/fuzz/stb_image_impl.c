/* stb_image (its BMP decoder only) and stb_image_resize for
 * build/fuzz/fuzz_images and the other targets that link the CLI. The CLI
 * links Debian's libstb, which is built from these very headers of
 * libstb-dev, but hands it BMP files only (PNG goes to libspng, JPEG to
 * libjpeg-turbo); compiling them here with clang's coverage and sanitizers
 * lets libFuzzer see (and check) the decoder itself, not just our callers. */
#define STBI_ONLY_BMP
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
