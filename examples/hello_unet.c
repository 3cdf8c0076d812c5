/* hello_unet: build Keras' Unet('resnet34'), run one image, print a summary
 * of the result. Build against an installed unetseg with:
 *   cc hello_unet.c $(pkg-config --cflags --libs unetseg) -o hello_unet */
#include <stdio.h>
#include <unetseg.h>

int main(void) {
    unetseg_unet_options *opts = NULL;
    unetseg_model *model = NULL;
    unetseg_tensor *image = NULL, *mask = NULL;
    int64_t shape[4] = {1, 64, 64, 3};
    int32_t st;
    if ((st = unetseg_unet_options_create(&opts)) ||
        (st = unetseg_unet_options_set_input_shape(opts, 64, 64, 3)) ||
        (st = unetseg_unet_create(opts, &model)) ||
        (st = unetseg_tensor_create(4, shape, &image)))
        goto done;
    float *pixels = unetseg_tensor_data(image);
    for (int64_t i = 0; i < 64 * 64 * 3; i++) pixels[i] = (float)(i % 256); /* raw 0..255 */
    if ((st = unetseg_model_forward(model, image, &mask))) goto done;
    int32_t layers = 0;
    int64_t params = 0;
    unetseg_model_layer_count(model, &layers);
    unetseg_model_param_totals(model, &params, NULL, NULL);
    printf("unetseg %s: Unet('resnet34') with %d layers, %lld parameters; mask[0] = %.4f\n",
           unetseg_version_string(), layers, (long long)params, unetseg_tensor_data(mask)[0]);
done:
    if (st) fprintf(stderr, "error: %s: %s\n", unetseg_status_string(st), unetseg_last_error());
    unetseg_tensor_free(mask);
    unetseg_tensor_free(image);
    unetseg_model_free(model);
    unetseg_unet_options_free(opts);
    return st ? 1 : 0;
}
