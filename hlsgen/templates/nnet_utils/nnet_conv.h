// hlsgen layer library: 2-D (and 1-D, as height 1) convolutions, channels last.
//
// ---------------------------------------------------------------------------------
// Signatures (io_parallel: flat row-major (H, W, C) arrays; io_stream: one
// nnet::array<T, C> per pixel, pixels row-major, see nnet_array.h):
//
//   nnet::conv_2d_cl<data_T, res_T, CONFIG_T>(const data_T data[H*W*C], res_T res[OH*OW*F],
//        const weight_t weights[KH*KW*C*F], const bias_t biases[F]);
//   nnet::depthwise_conv_2d_cl<data_T, res_T, CONFIG_T>(data, res,
//        const weight_t weights[KH*KW*C*DM], const bias_t biases[C*DM]);
//   nnet::conv_2d_stream<in_array_T, out_array_T, CONFIG_T>(hls::stream<in_array_T>& data,
//        hls::stream<out_array_T>& res, weights, biases);          // in_array_T::size == C
//   nnet::depthwise_conv_2d_stream<in_array_T, out_array_T, CONFIG_T>(same arguments);
//
// CONFIG_T (see conv_config): in_height, in_width, n_chan, filt_height, filt_width, n_filt
// (depthwise: n_chan * depth_multiplier), depth_multiplier, stride_height, stride_width,
// pad_top, pad_bottom, pad_left, pad_right, out_height, out_width, reuse_factor, strategy,
// activation (act_linear / act_relu, fused), accum_t, weight_t, bias_t.
// A Conv1D is the same kernel with in_height = filt_height = out_height = 1.
//
// Weights are Keras' kernel flattened row-major: conv (KH, KW, C, F) -> index
// ((kh*KW + kw)*C + c)*F + f;  depthwise (KH, KW, C, DM) -> ((kh*KW + kw)*C + c)*DM + m
// for output channel c*DM + m.
//
// Arithmetic (both io types, both strategies, identical): per output
// acc = bias; for kh, kw, c ascending: acc += x * w (padding positions add nothing, which
// equals adding x = 0 because acc + 0 is acc in any accumulator type); then the fused
// activation on acc; then one cast to res_T.
//
// io_stream FIFOs: conv_2d_stream reads each input pixel exactly once and keeps a line
// buffer of filt_height rows of the zero-padded input (KH * (W + pad_left + pad_right)
// * C values), no full frame.  It writes output (oh, ow) immediately after reading the
// input pixel at padded position (oh*SH + KH-1, ow*SW + KW-1).  A chain of stream
// kernels therefore needs FIFOs of depth 1 to run (in C simulation each kernel runs to
// completion, so hls::stream must be unbounded there, as Xilinx's is).  Where a tensor
// is cloned into a branch with convolutions and merged again (residual block), the
// bypass FIFO must hold the pixels the convolution branch reads before it writes its
// first output: for one convolution
//     lag = (KH - 1 - pad_top) * W + (KW - pad_left)      input pixels
// (hlsgen.layers.conv.stream_lag computes it; sum it along the branch, in the units of
// the bypass tensor, plus 1 for the pipeline register).
// ---------------------------------------------------------------------------------
#ifndef NNET_CONV_H_
#define NNET_CONV_H_

#include "nnet_array.h"
#include "nnet_common.h"

namespace nnet {

struct conv_config {
    static const unsigned in_height = 1, in_width = 1, n_chan = 1;
    static const unsigned filt_height = 1, filt_width = 1, n_filt = 1, depth_multiplier = 1;
    static const unsigned stride_height = 1, stride_width = 1;
    static const unsigned pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
    static const unsigned out_height = 1, out_width = 1;
    static const unsigned reuse_factor = 1;
    static const unsigned strategy = latency;
    static const unsigned activation = act_linear;
    // from the layer's implementation plan (hlsgen.layers.plan), never derived here
    static const unsigned multiplier_limit = 1;
    static const unsigned reshape_factor = 1;
    static const unsigned pipeline_ii = 1;
    typedef float accum_t;
    typedef float weight_t;
    typedef float bias_t;
};

// ------------------------------------------------------------------ C-simulation fast path
// taps[t] points to the C channels of the input pixel under kernel tap t (t = kh*KW + kw),
// or is null for a padding position.  See raw_mac (nnet_array.h) for why the integer sums
// equal the synthesized accumulator bit for bit; the order of the terms is the same anyway.
template <class M, unsigned NT, unsigned C, unsigned F, class in_T, class w_T>
inline void raw_conv_pixel(typename M::U acc[F], const in_T* const taps[NT], const w_T* weights) {
    for (unsigned t = 0; t < NT; t++) {
        const in_T* px = taps[t];
        if (!px) continue;
        const w_T* wt = weights + t * C * F;
        for (unsigned c = 0; c < C; c++) {
            const typename M::P x = (typename M::P)px[c].V;
            const w_T* wr = wt + c * F;
            for (unsigned f = 0; f < F; f++) acc[f] += M::term(x, (typename M::P)wr[f].V);
        }
    }
}

template <class M, unsigned NT, unsigned C, unsigned DM, class in_T, class w_T>
inline void raw_depthwise_pixel(typename M::U acc[C * DM], const in_T* const taps[NT], const w_T* weights) {
    for (unsigned t = 0; t < NT; t++) {
        const in_T* px = taps[t];
        if (!px) continue;
        const w_T* wt = weights + t * C * DM;
        if (DM == 1) {
            for (unsigned c = 0; c < C; c++) acc[c] += M::term((typename M::P)px[c].V, (typename M::P)wt[c].V);
        } else {
            for (unsigned o = 0; o < C * DM; o++)
                acc[o] += M::term((typename M::P)px[o / DM].V, (typename M::P)wt[o].V);
        }
    }
}

template <class M, unsigned F, class res_T, class bias_T>
inline void raw_init(typename M::U acc[F], const bias_T* biases) {
    for (unsigned f = 0; f < F; f++) acc[f] = M::start(biases[f]);
}

template <class M, unsigned F, class res_T>
inline void raw_store(const typename M::U acc[F], res_T* out, unsigned act) {
    for (unsigned f = 0; f < F; f++) out[f] = raw_output<M, res_T>::run(acc[f], act);
}

// Double-precision dot products (see raw_mac::dbl_ok for why they are exact): xw holds the
// K = KH*KW*C window values (raw integers, zeros in the padding; adding 0 changes no sum),
// wd the K x F raw weights.  Two partial sums per output keep the FMA chains short.
// Largest K*F + H*W*C for which the double path copies weights and input on the stack.
static const unsigned DBL_STACK_LIMIT = 32768;

template <class T> inline void raw_to_double(const T* in, double* out, unsigned n) {
    for (unsigned i = 0; i < n; i++) out[i] = (double)in[i].V;
}

template <class M, unsigned K, unsigned F, class bias_T, class res_T>
inline NNET_CSIM_INLINE void dbl_conv_pixel(const double* xw, const double* wd, const bias_T* biases, res_T* out, unsigned act) {
    double a0[F], a1[F];
    for (unsigned f = 0; f < F; f++) a0[f] = a1[f] = 0.0;
    unsigned k = 0;
    for (; k + 1 < K; k += 2) {
        const double x0 = xw[k], x1 = xw[k + 1];
        const double* w0 = wd + k * F;
        const double* w1 = w0 + F;
        NNET_CSIM_UNROLL
        for (unsigned f = 0; f < F; f++) {
            a0[f] = __builtin_fma(x0, w0[f], a0[f]);
            a1[f] = __builtin_fma(x1, w1[f], a1[f]);
        }
    }
    if (K % 2) {
        const double x0 = xw[K - 1];
        const double* w0 = wd + (K - 1) * F;
        NNET_CSIM_UNROLL
        for (unsigned f = 0; f < F; f++) a0[f] = __builtin_fma(x0, w0[f], a0[f]);
    }
    for (unsigned f = 0; f < F; f++)
        out[f] = raw_output<M, res_T>::run(M::from_dbl(M::start(biases[f]), a0[f] + a1[f]), act);
}

// Pointers to the input pixels under the window of output (oh, ow); null in the padding.
template <class CONFIG_T, class in_T>
inline void window_taps(const in_T* data, unsigned oh, unsigned ow,
                        const in_T* taps[CONFIG_T::filt_height * CONFIG_T::filt_width]) {
    for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++) {
        const int ih = (int)(oh * CONFIG_T::stride_height + kh) - (int)CONFIG_T::pad_top;
        for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++) {
            const int iw = (int)(ow * CONFIG_T::stride_width + kw) - (int)CONFIG_T::pad_left;
            const bool in = ih >= 0 && ih < (int)CONFIG_T::in_height && iw >= 0 && iw < (int)CONFIG_T::in_width;
            taps[kh * CONFIG_T::filt_width + kw] =
                in ? data + ((unsigned)ih * CONFIG_T::in_width + (unsigned)iw) * CONFIG_T::n_chan : 0;
        }
    }
}

// ------------------------------------------------------------------ io_parallel
template <class data_T, class res_T, typename CONFIG_T, bool RAW> struct conv_2d_impl {
    // Synthesized code.  One output pixel per PIPELINE iteration (II = reuse_factor); the
    // KH*KW*C*F multiplications of a pixel are unrolled and shared reuse_factor times.
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* weights,
                    const typename CONFIG_T::bias_t* biases) {
        typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
        const unsigned F = CONFIG_T::n_filt, C = CONFIG_T::n_chan;
    Rows:
        for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
        Cols:
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                #pragma HLS PIPELINE II=CONFIG_T::pipeline_ii
                acc_t acc[F];
                #pragma HLS ARRAY_PARTITION variable=acc complete
                for (unsigned f = 0; f < F; f++) {
                    #pragma HLS UNROLL
                    acc[f] = (typename CONFIG_T::accum_t)biases[f];
                }
                for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++) {
                    #pragma HLS UNROLL
                    const int ih = (int)(oh * CONFIG_T::stride_height + kh) - (int)CONFIG_T::pad_top;
                    for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++) {
                        #pragma HLS UNROLL
                        const int iw = (int)(ow * CONFIG_T::stride_width + kw) - (int)CONFIG_T::pad_left;
                        if (ih < 0 || ih >= (int)CONFIG_T::in_height || iw < 0 || iw >= (int)CONFIG_T::in_width)
                            continue;  // padding: x = 0 adds nothing
                        const unsigned ib = ((unsigned)ih * CONFIG_T::in_width + (unsigned)iw) * C;
                        const unsigned wb = (kh * CONFIG_T::filt_width + kw) * C * F;
                        for (unsigned c = 0; c < C; c++) {
                            #pragma HLS UNROLL
                            const data_T x = data[ib + c];
                            for (unsigned f = 0; f < F; f++) {
                                #pragma HLS UNROLL
                                acc[f] += x * weights[wb + c * F + f];
                            }
                        }
                    }
                }
                for (unsigned f = 0; f < F; f++) {
                    #pragma HLS UNROLL
                    typename CONFIG_T::accum_t a = acc[f];
                    res[(oh * CONFIG_T::out_width + ow) * F + f] = (res_T)apply_fused(a, CONFIG_T::activation);
                }
            }
        }
    }
};

template <class data_T, class res_T, typename CONFIG_T> struct conv_2d_impl<data_T, res_T, CONFIG_T, true> {
    // C simulation with hlsgen's ap_types: same sums on raw integers (raw_mac).
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* weights,
                    const typename CONFIG_T::bias_t* biases) {
        typedef raw_mac<data_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t> M;
        const unsigned NT = CONFIG_T::filt_height * CONFIG_T::filt_width, F = CONFIG_T::n_filt;
        const unsigned C = CONFIG_T::n_chan, K = NT * C;
        const unsigned NI = CONFIG_T::in_height * CONFIG_T::in_width * C;
        if (M::template dbl_ok<K>::value && (K * F + NI) <= DBL_STACK_LIMIT) {
            double wd[K * F], xd[NI];  // on the stack (bounded by DBL_STACK_LIMIT doubles)
            raw_to_double(weights, wd, K * F);
            raw_to_double(data, xd, NI);
            double xw[K];
            for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
                for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                    for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++) {
                        const int ih = (int)(oh * CONFIG_T::stride_height + kh) - (int)CONFIG_T::pad_top;
                        for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++) {
                            const int iw = (int)(ow * CONFIG_T::stride_width + kw) - (int)CONFIG_T::pad_left;
                            double* dst = xw + (kh * CONFIG_T::filt_width + kw) * C;
                            if (ih >= 0 && ih < (int)CONFIG_T::in_height && iw >= 0 && iw < (int)CONFIG_T::in_width) {
                                const double* src = xd + ((unsigned)ih * CONFIG_T::in_width + (unsigned)iw) * C;
                                for (unsigned c = 0; c < C; c++) dst[c] = src[c];
                            } else {
                                for (unsigned c = 0; c < C; c++) dst[c] = 0.0;
                            }
                        }
                    }
                    dbl_conv_pixel<M, K, F>(xw, wd, biases, res + (oh * CONFIG_T::out_width + ow) * F,
                                            CONFIG_T::activation);
                }
            }
            return;
        }
        for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                const data_T* taps[NT];
                window_taps<CONFIG_T>(data, oh, ow, taps);
                typename M::U acc[F];
                raw_init<M, F, res_T>(acc, biases);
                raw_conv_pixel<M, NT, CONFIG_T::n_chan, F>(acc, taps, weights);
                raw_store<M, F>(acc, res + (oh * CONFIG_T::out_width + ow) * F, CONFIG_T::activation);
            }
        }
    }
};

// Latency: weights in registers; the multiplications of one output pixel are unrolled and
// limited to ceil(KH*KW*C*F / reuse_factor) multipliers, one pixel every reuse_factor cycles.
template <class data_T, class res_T, typename CONFIG_T>
void conv_2d_latency_cl(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                        res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
                        const typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width *
                                                                  CONFIG_T::n_chan * CONFIG_T::n_filt],
                        const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS INLINE off
    #pragma HLS ARRAY_PARTITION variable=weights complete
    #pragma HLS ARRAY_PARTITION variable=biases complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    conv_2d_impl<data_T, res_T, CONFIG_T,
                 (bool)raw_mac<data_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t>::ok>::run(
        data, res, weights, biases);
}

// Resource: the same arithmetic (same order) with the weights in block RAM, reshaped so
// that one pixel's reuse_factor cycles each read 1/reuse_factor of them.
template <class data_T, class res_T, typename CONFIG_T>
void conv_2d_resource_cl(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                         res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
                         const typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width *
                                                                   CONFIG_T::n_chan * CONFIG_T::n_filt],
                         const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS INLINE off
    #pragma HLS ARRAY_RESHAPE variable=weights cyclic factor=CONFIG_T::reshape_factor
    #pragma HLS ARRAY_PARTITION variable=biases complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    conv_2d_impl<data_T, res_T, CONFIG_T,
                 (bool)raw_mac<data_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t>::ok>::run(
        data, res, weights, biases);
}

template <class data_T, class res_T, typename CONFIG_T>
void conv_2d_cl(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
                const typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width *
                                                          CONFIG_T::n_chan * CONFIG_T::n_filt],
                const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS INLINE
    if (CONFIG_T::strategy == resource)
        conv_2d_resource_cl<data_T, res_T, CONFIG_T>(data, res, weights, biases);
    else
        conv_2d_latency_cl<data_T, res_T, CONFIG_T>(data, res, weights, biases);
}

template <class data_T, class res_T, typename CONFIG_T, bool RAW> struct depthwise_2d_impl {
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* weights,
                    const typename CONFIG_T::bias_t* biases) {
        typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
        const unsigned C = CONFIG_T::n_chan, DM = CONFIG_T::depth_multiplier, F = C * DM;
    Rows:
        for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
        Cols:
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                #pragma HLS PIPELINE II=CONFIG_T::pipeline_ii
                acc_t acc[F];
                #pragma HLS ARRAY_PARTITION variable=acc complete
                for (unsigned o = 0; o < F; o++) {
                    #pragma HLS UNROLL
                    acc[o] = (typename CONFIG_T::accum_t)biases[o];
                }
                for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++) {
                    #pragma HLS UNROLL
                    const int ih = (int)(oh * CONFIG_T::stride_height + kh) - (int)CONFIG_T::pad_top;
                    for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++) {
                        #pragma HLS UNROLL
                        const int iw = (int)(ow * CONFIG_T::stride_width + kw) - (int)CONFIG_T::pad_left;
                        if (ih < 0 || ih >= (int)CONFIG_T::in_height || iw < 0 || iw >= (int)CONFIG_T::in_width)
                            continue;
                        const unsigned ib = ((unsigned)ih * CONFIG_T::in_width + (unsigned)iw) * C;
                        const unsigned wb = (kh * CONFIG_T::filt_width + kw) * F;
                        for (unsigned o = 0; o < F; o++) {
                            #pragma HLS UNROLL
                            acc[o] += data[ib + o / DM] * weights[wb + o];
                        }
                    }
                }
                for (unsigned o = 0; o < F; o++) {
                    #pragma HLS UNROLL
                    typename CONFIG_T::accum_t a = acc[o];
                    res[(oh * CONFIG_T::out_width + ow) * F + o] = (res_T)apply_fused(a, CONFIG_T::activation);
                }
            }
        }
    }
};

template <class data_T, class res_T, typename CONFIG_T> struct depthwise_2d_impl<data_T, res_T, CONFIG_T, true> {
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* weights,
                    const typename CONFIG_T::bias_t* biases) {
        typedef raw_mac<data_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t> M;
        const unsigned NT = CONFIG_T::filt_height * CONFIG_T::filt_width;
        const unsigned F = CONFIG_T::n_chan * CONFIG_T::depth_multiplier;
        for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                const data_T* taps[NT];
                window_taps<CONFIG_T>(data, oh, ow, taps);
                typename M::U acc[F];
                raw_init<M, F, res_T>(acc, biases);
                raw_depthwise_pixel<M, NT, CONFIG_T::n_chan, CONFIG_T::depth_multiplier>(acc, taps, weights);
                raw_store<M, F>(acc, res + (oh * CONFIG_T::out_width + ow) * F, CONFIG_T::activation);
            }
        }
    }
};

template <class data_T, class res_T, typename CONFIG_T>
void depthwise_conv_2d_cl(
    const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
    res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan * CONFIG_T::depth_multiplier],
    const typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width * CONFIG_T::n_chan *
                                              CONFIG_T::depth_multiplier],
    const typename CONFIG_T::bias_t biases[CONFIG_T::n_chan * CONFIG_T::depth_multiplier]) {
    #pragma HLS INLINE off
    #pragma HLS ARRAY_PARTITION variable=weights complete
    #pragma HLS ARRAY_PARTITION variable=biases complete
    #pragma HLS ALLOCATION operation instances=mul limit=CONFIG_T::multiplier_limit
    depthwise_2d_impl<data_T, res_T, CONFIG_T,
                      (bool)raw_mac<data_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t>::ok>::run(
        data, res, weights, biases);
}

// ------------------------------------------------------------------ io_stream
#if NNET_HAVE_STREAM

// One output pixel from the line buffer (rows r0.., cols c0.. of the padded input,
// row index modulo KH).  The generic version is the synthesized one.
template <class in_T, class out_T, typename CONFIG_T, bool DEPTHWISE, bool RAW> struct conv_window {
    static void run(const in_T* line, unsigned r0, unsigned c0, out_T& out,
                    const typename CONFIG_T::weight_t* weights, const typename CONFIG_T::bias_t* biases) {
        #pragma HLS INLINE
        typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
        const unsigned C = CONFIG_T::n_chan, PW = CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right;
        const unsigned F = CONFIG_T::n_filt;
        acc_t acc[F];
        #pragma HLS ARRAY_PARTITION variable=acc complete
        for (unsigned f = 0; f < F; f++) {
            #pragma HLS UNROLL
            acc[f] = (typename CONFIG_T::accum_t)biases[f];
        }
        for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++) {
            #pragma HLS UNROLL
            const unsigned row = (r0 + kh) % CONFIG_T::filt_height;
            for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++) {
                #pragma HLS UNROLL
                const in_T* px = line + (row * PW + c0 + kw) * C;
                const unsigned t = kh * CONFIG_T::filt_width + kw;
                if (DEPTHWISE) {
                    for (unsigned o = 0; o < F; o++) {
                        #pragma HLS UNROLL
                        acc[o] += px[o / CONFIG_T::depth_multiplier] * weights[t * F + o];
                    }
                } else {
                    for (unsigned c = 0; c < C; c++) {
                        #pragma HLS UNROLL
                        for (unsigned f = 0; f < F; f++) {
                            #pragma HLS UNROLL
                            acc[f] += px[c] * weights[(t * C + c) * F + f];
                        }
                    }
                }
            }
        }
        for (unsigned f = 0; f < F; f++) {
            #pragma HLS UNROLL
            typename CONFIG_T::accum_t a = acc[f];
            out[f] = (typename out_T::value_type)apply_fused(a, CONFIG_T::activation);
        }
    }
};

template <class in_T, class out_T, typename CONFIG_T, bool DEPTHWISE>
struct conv_window<in_T, out_T, CONFIG_T, DEPTHWISE, true> {
    static void run(const in_T* line, unsigned r0, unsigned c0, out_T& out,
                    const typename CONFIG_T::weight_t* weights, const typename CONFIG_T::bias_t* biases) {
        typedef raw_mac<in_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t> M;
        const unsigned C = CONFIG_T::n_chan, PW = CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right;
        const unsigned NT = CONFIG_T::filt_height * CONFIG_T::filt_width, F = CONFIG_T::n_filt;
        const in_T* taps[NT];
        for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++)
            for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++)
                taps[kh * CONFIG_T::filt_width + kw] = line + (((r0 + kh) % CONFIG_T::filt_height) * PW + c0 + kw) * C;
        typename M::U acc[F];
        raw_init<M, F, typename out_T::value_type>(acc, biases);
        if (DEPTHWISE)
            raw_depthwise_pixel<M, NT, C, CONFIG_T::depth_multiplier>(acc, taps, weights);
        else
            raw_conv_pixel<M, NT, C, F>(acc, taps, weights);
        raw_store<M, F>(acc, out.data, CONFIG_T::activation);
    }
};

// C simulation of conv_2d_stream (not depthwise) with the exact double dot products:
// the same line buffer, holding raw values as doubles; same window, same sums.
template <class data_T, class res_T, typename CONFIG_T>
void conv_2d_stream_dbl(hls::stream<data_T>& data, hls::stream<res_T>& res,
                        const typename CONFIG_T::weight_t* weights, const typename CONFIG_T::bias_t* biases) {
    typedef typename data_T::value_type in_T;
    typedef raw_mac<in_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t> M;
    const unsigned C = CONFIG_T::n_chan, F = CONFIG_T::n_filt;
    const unsigned KH = CONFIG_T::filt_height, KW = CONFIG_T::filt_width, K = KH * KW * C;
    const unsigned PH = CONFIG_T::in_height + CONFIG_T::pad_top + CONFIG_T::pad_bottom;
    const unsigned PW = CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right;
    double wd[K * F], line[KH * PW * C], xw[K];
    raw_to_double(weights, wd, K * F);
    for (unsigned pr = 0; pr < PH; pr++) {
        for (unsigned pc = 0; pc < PW; pc++) {
            double* slot = line + ((pr % KH) * PW + pc) * C;
            const bool inside = pr >= CONFIG_T::pad_top && pr < CONFIG_T::pad_top + CONFIG_T::in_height &&
                                pc >= CONFIG_T::pad_left && pc < CONFIG_T::pad_left + CONFIG_T::in_width;
            if (inside) {
                const data_T px = data.read();
                for (unsigned c = 0; c < C; c++) slot[c] = (double)px[c].V;
            } else {
                for (unsigned c = 0; c < C; c++) slot[c] = 0.0;
            }
            if (pr + 1 >= KH && pc + 1 >= KW && (pr + 1 - KH) % CONFIG_T::stride_height == 0 &&
                (pc + 1 - KW) % CONFIG_T::stride_width == 0) {
                const unsigned r0 = pr + 1 - KH, c0 = pc + 1 - KW;
                for (unsigned kh = 0; kh < KH; kh++) {
                    const double* src = line + (((r0 + kh) % KH) * PW + c0) * C;
                    double* dst = xw + kh * KW * C;
                    for (unsigned i = 0; i < KW * C; i++) dst[i] = src[i];
                }
                res_T out;
                dbl_conv_pixel<M, K, F>(xw, wd, biases, out.data, CONFIG_T::activation);
                res.write(out);
            }
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
struct conv_stream_dbl_ok {
    typedef raw_mac<typename data_T::value_type, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t> M;
    enum {
        K = CONFIG_T::filt_height * CONFIG_T::filt_width * CONFIG_T::n_chan,
        value = M::template dbl_ok<K>::value &&
                K * CONFIG_T::n_filt + CONFIG_T::filt_height *
                (CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right) * CONFIG_T::n_chan <= DBL_STACK_LIMIT
    };
};

// Streaming convolution: reads in_height*in_width pixels, writes out_height*out_width.
// The line buffer holds filt_height rows of the zero-padded input; padding positions are
// stored as zeros (adding 0 * w leaves any accumulator unchanged, so this matches the
// io_parallel kernel, which skips them).
template <class data_T, class res_T, typename CONFIG_T, bool DEPTHWISE>
void conv_2d_stream_any(hls::stream<data_T>& data, hls::stream<res_T>& res,
                        const typename CONFIG_T::weight_t* weights, const typename CONFIG_T::bias_t* biases) {
    typedef typename data_T::value_type in_T;
    const unsigned C = CONFIG_T::n_chan;
    const unsigned PH = CONFIG_T::in_height + CONFIG_T::pad_top + CONFIG_T::pad_bottom;
    const unsigned PW = CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right;
    const unsigned KH = CONFIG_T::filt_height, KW = CONFIG_T::filt_width;
    in_T line[KH * PW * C];
    #pragma HLS ARRAY_PARTITION variable=line complete dim=0
    const bool raw = raw_mac<in_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t>::ok;
Rows:
    for (unsigned pr = 0; pr < PH; pr++) {
    Cols:
        for (unsigned pc = 0; pc < PW; pc++) {
            #pragma HLS PIPELINE II=CONFIG_T::pipeline_ii
            in_T* slot = line + ((pr % KH) * PW + pc) * C;
            const bool inside = pr >= CONFIG_T::pad_top && pr < CONFIG_T::pad_top + CONFIG_T::in_height &&
                                pc >= CONFIG_T::pad_left && pc < CONFIG_T::pad_left + CONFIG_T::in_width;
            if (inside) {
                const data_T px = data.read();
                for (unsigned c = 0; c < C; c++) {
                    #pragma HLS UNROLL
                    slot[c] = px[c];
                }
            } else {
                for (unsigned c = 0; c < C; c++) {
                    #pragma HLS UNROLL
                    slot[c] = 0;
                }
            }
            if (pr + 1 >= KH && pc + 1 >= KW && (pr + 1 - KH) % CONFIG_T::stride_height == 0 &&
                (pc + 1 - KW) % CONFIG_T::stride_width == 0) {
                res_T out;
                conv_window<in_T, res_T, CONFIG_T, DEPTHWISE, raw>::run(line, pr + 1 - KH, pc + 1 - KW, out,
                                                                         weights, biases);
                res.write(out);
            }
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void conv_2d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res,
                    const typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width *
                                                              CONFIG_T::n_chan * CONFIG_T::n_filt],
                    const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
    #pragma HLS ARRAY_PARTITION variable=weights complete
    #pragma HLS ARRAY_PARTITION variable=biases complete
#if HLSGEN_RAW_CSIM
    if (conv_stream_dbl_ok<data_T, res_T, CONFIG_T>::value) {
        conv_2d_stream_dbl<data_T, res_T, CONFIG_T>(data, res, weights, biases);
        return;
    }
#endif
    conv_2d_stream_any<data_T, res_T, CONFIG_T, false>(data, res, weights, biases);
}

template <class data_T, class res_T, typename CONFIG_T>
void depthwise_conv_2d_stream(
    hls::stream<data_T>& data, hls::stream<res_T>& res,
    const typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width * CONFIG_T::n_chan *
                                              CONFIG_T::depth_multiplier],
    const typename CONFIG_T::bias_t biases[CONFIG_T::n_chan * CONFIG_T::depth_multiplier]) {
    #pragma HLS ARRAY_PARTITION variable=weights complete
    #pragma HLS ARRAY_PARTITION variable=biases complete
    conv_2d_stream_any<data_T, res_T, CONFIG_T, true>(data, res, weights, biases);
}

#endif  // NNET_HAVE_STREAM

}  // namespace nnet

#endif
