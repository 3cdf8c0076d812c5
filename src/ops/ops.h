/* Numeric kernels on raw NHWC float32 buffers (internal). They know nothing
 * about layers or models; shapes are validated by the caller. Kernels that
 * need scratch memory allocate it and return UNETSEG_E_NOMEM on failure. */
#ifndef US_OPS_OPS_H
#define US_OPS_OPS_H

#include <stdint.h>

/* Geometry of a 2-D convolution (also used for transposed conv and pooling):
 * input (n, h, w, cin), output (n, ho, wo, cout), kernel kh x kw, strides,
 * and the padding before the first row/column (the rest is implied). */
typedef struct us_conv_geom {
    int64_t n, h, w, cin;
    int64_t ho, wo, cout;
    int64_t kh, kw, sh, sw;
    int64_t pad_top, pad_left;
} us_conv_geom;

/* Row-major C = op(A) op(B), or C += op(A) op(B) when accumulate, over the
 * current pass's threads (op = transpose when trans_*), on unetseg's own
 * kernels for the CPU (gemm.c) or OpenBLAS. Results never depend on the
 * thread count. */
void us_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a,
              int64_t lda, const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc);
/* B packed once for many products (a layer's weights): the size (floats) of
 * op(B) (k x n) packed for the kernel variant in use, the packing, and C
 * (+)= A . B from it (A row-major m x k, not transposed). A packed B is only
 * valid for the variant it was packed for (us_cpu_isa()). */
int64_t us_gemm_packed_floats(int64_t k, int64_t n);
/* The packed layout: panels of this many columns (the last one padded with
 * zeros), panel j holding its columns of every row p at
 * packed + j * width * k + p * width. */
int64_t us_gemm_pack_width(int64_t n);
void us_gemm_pack_b(int trans_b, int64_t k, int64_t n, const float *b, int64_t ldb,
                    float *packed);
void us_sgemm_packed(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                     const float *packed_b, int accumulate, float *c, int64_t ldc);
/* The same, fetching into cache, while it multiplies, the caller's next
 * data: rows [0, k) of 32 columns from `ahead`, a row every ahead_row
 * floats (Winograd's next block of a raw kernel: read from DRAM during
 * these multiply-adds instead of after them). Same results. */
void us_sgemm_packed_ahead(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                           const float *packed_b, int accumulate, float *c, int64_t ldc,
                           const float *ahead, int64_t ahead_row);

/* kh x kw patches of an image (img_h, img_w, c) taken at the positions of a
 * grid (n, grid_h, grid_w): GEMM row q is the patch of grid position q. */
typedef struct us_patch_geom {
    int64_t n, grid_h, grid_w, img_h, img_w, c;
    int64_t kh, kw, sh, sw, pad_top, pad_left;
} us_patch_geom;

/* y[r][k] += bias[k] and dbias[k] += sum over r of dy[r][k], for rows of c
 * channels (the rows run in order: sums are reproducible). */
void us_bias_add_rows(float *y, int64_t rows, int64_t c, const float *bias);
void us_bias_grad_rows(float *dbias, const float *dy, int64_t rows, int64_t c);
/* Rows per chunk of a chunked GEMM: about target_floats / row_floats (a
 * chunk's buffer stays near target_floats), at least min_rows, at most rows. */
int64_t us_chunk_rows(int64_t target_floats, int64_t row_floats, int64_t min_rows, int64_t rows);
/* Conv2D: patches of its input at its output positions. */
us_patch_geom us_patch_geom_conv(const us_conv_geom *g);
/* Conv2DTranspose: patches of its output at its input positions. */
us_patch_geom us_patch_geom_transpose(const us_conv_geom *g);
/* Copy the patches of grid rows [row0, row0+rows) into col (zeros outside). */
void us_patch_gather(const us_patch_geom *p, const float *img, int64_t row0, int64_t rows,
                     float *col);
/* The adjoint: add col's patches into the image (outside pixels dropped). */
void us_patch_scatter_add(const us_patch_geom *p, const float *col, int64_t row0, int64_t rows,
                          float *img);

/* TensorFlow 'same'/'valid' output size and leading pad for one axis. */
int64_t us_conv_out_size(int64_t in, int64_t k, int64_t s, int32_t same);
int64_t us_conv_pad_before(int64_t in, int64_t k, int64_t s, int32_t same);
int64_t us_conv_transpose_out_size(int64_t in, int64_t k, int64_t s, int32_t same);
int64_t us_conv_transpose_pad_before(int64_t k, int64_t s, int32_t same);

/* What is applied to each output chunk while it is in cache (inference
 * fusion): y = y * scale + shift per channel (a folded BatchNormalization,
 * when scale != NULL), then ReLU when relu != 0. */
typedef struct us_conv_epilogue {
    const float *scale, *shift;
    int32_t relu;
    int32_t accumulate; /* Winograd only: y += result (no bias, scale or ReLU) */} us_conv_epilogue;

/* One output row of n channels in place: + bias (may be NULL), then the
 * epilogue's scale/shift and ReLU (ep may be NULL; `accumulate` is not
 * read), in the order of separate Conv2D/BatchNormalization/ReLU layers. */
void us_conv_finish_row(float *row, int64_t n, const float *bias, const us_conv_epilogue *ep);

/* y = conv(x, kernel HWIO) + bias (bias may be NULL), then the epilogue
 * (may be NULL); im2col + sgemm. */
int32_t us_conv2d_forward(const us_conv_geom *g, const float *x, const float *kernel,
                          const float *bias, const us_conv_epilogue *ep, float *y);
/* 3x3 stride-1 convs with 16 output channels from up to 32 inputs, pad
 * 0-2, computed directly (conv2d_direct.c; AVX2 or AVX-512 CPUs only);
 * `ep->accumulate` adds to y. */
int us_conv2d_direct_applies(const us_conv_geom *g);
int32_t us_conv2d_forward_direct(const us_conv_geom *g, const float *x, const float *kernel,
                                 const float *bias, const us_conv_epilogue *ep, float *y);
/* The same conv of x upsampled by nearest neighbour (factors up_h, up_w):
 * g describes the upsampled input (g->h, g->w multiples of the factors);
 * x is the input before upsampling, never expanded in memory. */
int32_t us_conv2d_forward_direct_upsampled(const us_conv_geom *g, int64_t up_h, int64_t up_w,
                                           const float *x, const float *kernel, const float *bias,
                                           const us_conv_epilogue *ep, float *y);
/* The same conv ('same' padding, even sizes) over a 2x nearest
 * upsampling, by phases: four 2x2 convs over the image before upsampling,
 * whose taps are sums of the 3x3 kernel's (2.25x fewer multiply-adds;
 * within float rounding of the conv of the upsampled image). g describes
 * the upsampled image; x is the image before upsampling, or
 * (from_upsampled) the upsampled image itself, of which every other row
 * and column is read: the same bits either way. */
int us_conv2d_up2_applies(const us_conv_geom *g);
int32_t us_conv2d_forward_up2(const us_conv_geom *g, const float *x, int from_upsampled,
                              const float *kernel, const float *bias, const us_conv_epilogue *ep,
                              float *y);
/* Convs with 64 output channels from 1-4 inputs (the ResNet stem: 7x7,
 * stride 2), kernels up to 7x7, strides 1-2, computed directly
 * (conv2d_stem.c; AVX-512 CPUs only); bit-identical to im2col. No
 * `ep->accumulate`. */
int us_conv2d_stem_applies(const us_conv_geom *g);
int32_t us_conv2d_forward_stem(const us_conv_geom *g, const float *x, const float *kernel,
                               const float *bias, const us_conv_epilogue *ep, float *y);
/* The Winograd output tile side us_conv2d_forward uses for this geometry:
 * 4 (F(4x4, 3x3)), 2 (F(2x2, 3x3)) or 0 (not Winograd: direct or im2col). */
int us_conv2d_winograd_tile(const us_conv_geom *g);
/* The same at inference, where a transformed kernel can be kept between
 * passes: F(2x2) from fewer tiles; 0 where the stem kernel applies. The
 * tile depends on the geometry alone, never on whether the kernel is kept
 * (the caller transforms it on the call otherwise), so the kernel cache
 * never changes a result. */
int us_conv2d_inference_tile(const us_conv_geom *g);
/* What an inference pass may keep of a conv's kernel between passes
 * (graph/param_share.h): transformed for Winograd (its inference tile, 4 or
 * 2), packed as the GEMM path reads it (US_PREPARED_GEMM: convs on that
 * path with at most US_GEMM_MC output pixels), or nothing (0). Like the
 * tile, it depends on the geometry alone. */
#define US_PREPARED_GEMM 1
int us_conv2d_inference_prepared(const us_conv_geom *g);
/* The rows of g's prepared kernel of that kind (cin for Winograd, kh * kw
 * * cin for the GEMM path), and the size (floats) and making of a prepared
 * kernel (the GEMM path's: its B, us_gemm_pack_b of the HWIO kernel). */
int64_t us_prepared_kernel_rows(const us_conv_geom *g, int kind);
int64_t us_prepared_kernel_floats(int kind, int64_t rows, int64_t cout);
void us_prepare_kernel(int kind, const float *kernel, int64_t rows, int64_t cout, float *out);
/* The same for 3x3 stride-1 kernels by Winograd F(tile x tile, 3x3), tile
 * 4 or 2; any padding. `prepared` (may be NULL) is the kernel already
 * transformed by us_winograd_transform_kernel for that tile (then `kernel`
 * is not read). */
int32_t us_conv2d_forward_winograd(const us_conv_geom *g, int tile, const float *x,
                                   const float *kernel, const float *prepared, const float *bias,
                                   const us_conv_epilogue *ep, float *y);
/* One part of a conv's input, the parts' channels side by side (a
 * Concatenate folded into the conv): `channels` channels of an NHWC tensor
 * of (h / up_h) x (w / up_w) pixels for a conv input of h x w, read
 * through a nearest upsampling by (up_h, up_w) (1, 1: none). */
typedef struct us_conv_source {
    const float *x;
    int64_t channels, up_h, up_w;
} us_conv_source;
/* us_conv2d_forward_winograd of the input n_sources parts make up (their
 * channels sum to g->cin): the input transform reads each part in place,
 * so neither the concatenation nor the upsampling is ever written out.
 * Bit-identical to the same conv of the input gathered into one tensor. */
int32_t us_conv2d_forward_winograd_sources(const us_conv_geom *g, int tile,
                                           const us_conv_source *sources, int32_t n_sources,
                                           const float *kernel, const float *prepared,
                                           const float *bias, const us_conv_epilogue *ep,
                                           float *y);
/* us_conv2d_forward of the input the sources make up: by Winograd reading
 * them in place where that is the path, else gathered into one buffer
 * first (UNETSEG_E_NOMEM if it cannot be allocated). `packed` (may be
 * NULL; only where us_conv2d_inference_prepared is US_PREPARED_GEMM): the
 * kernel packed by us_prepare_kernel, read instead of `kernel` by the GEMM
 * path (the same bits). */
int32_t us_conv2d_forward_sources(const us_conv_geom *g, const us_conv_source *sources,
                                  int32_t n_sources, const float *kernel, const float *packed,
                                  const float *bias, const us_conv_epilogue *ep, float *y);
/* Write out the n x h x w x cin input (of g) the sources make up. */
void us_conv_sources_gather(const us_conv_geom *g, const us_conv_source *sources,
                            int32_t n_sources, float *x);
/* Size (floats) and computation of a transformed Winograd kernel for output
 * tile side `tile` (packed for the GEMM kernel variant in use). */
int64_t us_winograd_kernel_floats(int tile, int64_t cin, int64_t cout);
void us_winograd_transform_kernel(int tile, const float *kernel, int64_t cin, int64_t cout,
                                  float *u);
/* Output tiles of side `tile` that cover g's output, over the batch (edge
 * tiles count whole). */
int64_t us_winograd_tiles(const us_conv_geom *g, int tile);
/* How many times a pass of geometry g on the calling thread's thread count
 * transforms a kernel that is not kept (once per chunk of tiles where each
 * chunk transforms it as its GEMMs need it, else once); 0 for a tile size
 * without transforms or an empty output. */
int64_t us_winograd_kernel_transforms(const us_conv_geom *g, int tile);
/* Any kernel and stride with cout <= US_NARROW_MAX_COUT and cin <=
 * US_NARROW_MAX_CIN, one output value at a time (a segmentation head). */
#define US_NARROW_MAX_COUT 4
#define US_NARROW_MAX_CIN 512
/* Whether the narrow kernel takes g (the first path us_conv2d_forward tries). */
int us_conv2d_narrow_applies(const us_conv_geom *g);
int32_t us_conv2d_forward_narrow(const us_conv_geom *g, const float *x, const float *kernel,
                                 const float *bias, const us_conv_epilogue *ep, float *y);
/* The im2col + GEMM path for every kernel (the reference for Winograd). */
int32_t us_conv2d_forward_im2col(const us_conv_geom *g, const float *x, const float *kernel,
                                 const float *bias, const us_conv_epilogue *ep, float *y);
/* The same with the kernel packed by us_prepare_kernel(US_PREPARED_GEMM,
 * ...): bit-identical. */
int32_t us_conv2d_forward_im2col_packed(const us_conv_geom *g, const float *x, const float *packed,
                                        const float *bias, const us_conv_epilogue *ep, float *y);

/* The per-channel scale and shift of an inference BatchNormalization. */
void us_batchnorm_fold(int64_t c, const float *gamma, const float *beta, const float *mean,
                       const float *var, double eps, float *scale, float *shift);
/* y = conv_transpose(x, kernel (kh, kw, cout, cin)) + bias; geometry is from
 * the output's point of view: g->h/w are the input size, g->ho/wo the output,
 * pad_top/left the TF padding. */
int32_t us_conv2d_transpose_forward(const us_conv_geom *g, const float *x, const float *kernel,
                                    const float *bias, float *y);

/* Inference batch norm over the last axis (c channels), count = elements,
 * then a ReLU when relu (the same bits as the two layers one after the
 * other). gamma/beta may be NULL (scale=False / center=False). y may alias x. */
void us_batchnorm_inference(const float *x, int64_t count, int64_t c, const float *gamma,
                            const float *beta, const float *mean, const float *var,
                            double eps, int32_t relu, float *y);

/* Activation (UNETSEG_ACT_*) over count elements with c channels (softmax
 * normalises each run of c values). y may alias x. */
void us_activation_forward(int32_t activation, const float *x, int64_t count, int64_t c,
                           float *y);

/* ZeroPadding2D: x (n,h,w,c) into y (n, h+top+bottom, w+left+right, c). */
void us_zero_pad_forward(const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
                         int64_t top, int64_t bottom, int64_t left, int64_t right, float *y);

/* MaxPooling2D; padded positions never win (TF 'same' semantics). */
void us_maxpool_forward(const us_conv_geom *g, const float *x, float *y);
/* The same where the window's taps outside x count as zeros: max pooling
 * of x zero-padded by g's pads (ZeroPadding2D then a 'valid' pool), with
 * no padded copy. */
void us_maxpool_forward_zero_padded(const us_conv_geom *g, const float *x, float *y);

/* UpSampling2D by (fh, fw): nearest or bilinear (half-pixel centres, as
 * tf.image.resize). */
void us_upsample_forward(const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
                         int64_t fh, int64_t fw, int32_t interpolation, float *y);

/* Concatenate n_in tensors of `pixels` pixels with channel counts cs[] into y. */
void us_concat_forward(const float *const *xs, const int64_t *cs, int32_t n_in, int64_t pixels,
                       float *y);

/* y = sum of n_in tensors of count elements; y may alias xs[0]. */
void us_add_forward(const float *const *xs, int32_t n_in, int64_t count, float *y);

/* Inverted dropout: keep x where u >= rate, scaled by 1/(1-rate). With
 * spatial != 0 one draw per (sample, channel) is shared over H and W. The
 * mask (1 kept, 0 dropped; may be NULL) records the decision for backward.
 * u comes from us_rng_uniform(key, index) with index = element, or
 * sample*c + channel when spatial. y may alias x. */
void us_dropout_forward(const float *x, int64_t n, int64_t pixels, int64_t c, double rate,
                        int32_t spatial, uint64_t key, float *y, uint8_t *mask);
/* ------------------------------------------------------------ backward
 * Every backward kernel ACCUMULATES (+=) into dx and parameter gradients;
 * any gradient pointer may be NULL when it is not needed. */
int32_t us_conv2d_backward(const us_conv_geom *g, const float *x, const float *kernel,
                           const float *dy, float *dx, float *dkernel, float *dbias);
int32_t us_conv2d_transpose_backward(const us_conv_geom *g, const float *x, const float *kernel,
                                     const float *dy, float *dx, float *dkernel, float *dbias);

/* Synchronised BatchNorm across data-parallel replicas: fn replaces
 * sums[0..count) by their totals over every replica (an all-reduce with
 * SUM) and returns 0; NULL fn, or a NULL us_bn_sync: this batch alone.
 * Same signature as the public unetseg_batchnorm_sync_hook. */
typedef int32_t (*us_sum_reduce_fn)(double *sums, int64_t count, void *user);
typedef struct us_bn_sync {
    us_sum_reduce_fn fn;
    void *user;
} us_bn_sync;

/* Training-mode batch norm over count elements with c channels: batch mean
 * and biased variance normalise; mean_out/inv_std_out (c each) are kept for
 * backward; batch_var_out receives the biased variance and *rows_out the
 * number of rows the statistics cover (count / c, or the total over the
 * replicas when synchronised). y may alias x. A failing sync: IO. */
int32_t us_batchnorm_train_forward(const float *x, int64_t count, int64_t c, const float *gamma,
                                   const float *beta, double eps, const us_bn_sync *sync, float *y,
                                   float *mean_out, float *inv_std_out, float *batch_var_out,
                                   double *rows_out);
/* Backward of the training-mode batch norm (x is the layer input); rows is
 * the forward's *rows_out. Synchronised, dx uses the sums of dy and dy*xhat
 * over every replica while dgamma/dbeta keep this replica's own sums (the
 * host's gradient all-reduce averages them, as PyTorch's SyncBatchNorm). */
int32_t us_batchnorm_train_backward(const float *x, const float *dy, int64_t count, int64_t c,
                                    const float *gamma, const float *mean, const float *inv_std,
                                    double rows, const us_bn_sync *sync, float *dx, float *dgamma,
                                    float *dbeta);
/* Backward of the inference-mode batch norm (frozen layer): dx += dy*scale. */
void us_batchnorm_inference_backward(const float *dy, int64_t count, int64_t c,
                                     const float *gamma, const float *var, double eps,
                                     float *dx);

/* Activation backward from the forward OUTPUT y. */
void us_activation_backward(int32_t activation, const float *y, const float *dy, int64_t count,
                            int64_t c, float *dx);
void us_zero_pad_backward(const float *dy, int64_t n, int64_t h, int64_t w, int64_t c,
                          int64_t top, int64_t bottom, int64_t left, int64_t right, float *dx);
/* The gradient goes to the first position (in window order) holding the max. */
void us_maxpool_backward(const us_conv_geom *g, const float *x, const float *y, const float *dy,
                         float *dx);
void us_upsample_backward(const float *dy, int64_t n, int64_t h, int64_t w, int64_t c,
                          int64_t fh, int64_t fw, int32_t interpolation, float *dx);
/* dxs[i] may be NULL for inputs that need no gradient. */
void us_concat_backward(const float *dy, const int64_t *cs, int32_t n_in, int64_t pixels,
                        float *const *dxs);
/* Dropout backward with the same (key, rate, spatial) as the forward. */
void us_dropout_backward(const float *dy, int64_t n, int64_t pixels, int64_t c, double rate,
                         int32_t spatial, uint64_t key, float *dx);
#endif
