// hlsgen layer library: max / average pooling (1-D as height 1) and global pooling.
//
// ---------------------------------------------------------------------------------
// Signatures (io_parallel flat row-major arrays; io_stream one nnet::array<T, C> per pixel):
//
//   nnet::pooling_2d_cl<data_T, res_T, CONFIG_T>(const data_T data[H*W*C], res_T res[OH*OW*C],
//        const typename CONFIG_T::recip_t recip[pool_height*pool_width + 1]);
//   nnet::pooling_2d_stream<in_array_T, out_array_T, CONFIG_T>(hls::stream<in_array_T>& data,
//        hls::stream<out_array_T>& res, recip);
//   nnet::global_pooling_2d_stream<in_array_T, out_array_T, CONFIG_T>(data, res, recip);
//        (reads H*W pixels, writes ONE element holding all C channels)
// Global pooling in io_parallel is pooling_2d_cl with the window = the whole input.
//
// CONFIG_T (pool_config): in_height, in_width, n_chan, pool_height, pool_width,
// stride_height, stride_width, pad_top, pad_bottom, pad_left, pad_right, out_height,
// out_width, pool_op (pool_max / pool_average), reuse_factor, accum_t, recip_t.
//
// Semantics (Keras): padding positions are ignored; max takes the largest valid value
// (result = (res_T)max, exact when res_T is the input type); average sums the n valid
// values in accum_t (taps kh, kw ascending) and multiplies by recip[n], the constant 1/n
// quantized to recip_t (exact for powers of two), then casts once to res_T:
//     res = (res_T)(acc * recip[n])         (the product itself is exact)
// The recip table is passed even to max pooling (unused there) so both share a signature.
//
// io_stream FIFOs: like the convolutions (nnet_conv.h): a line buffer of pool_height rows,
// output (oh, ow) written right after input pixel (oh*SH + KH-1, ow*SW + KW-1) of the
// padded input; lag = (KH - 1 - pad_top) * W + (KW - pad_left) input pixels.  Global
// pooling writes only after its last input: a bypass FIFO around it needs H*W pixels.
// ---------------------------------------------------------------------------------
#ifndef NNET_POOLING_H_
#define NNET_POOLING_H_

#include "nnet_array.h"
#include "nnet_common.h"

namespace nnet {

enum pool_op_t { pool_max = 0, pool_average = 1 };

struct pool_config {
    static const unsigned in_height = 1, in_width = 1, n_chan = 1;
    static const unsigned pool_height = 1, pool_width = 1;
    static const unsigned stride_height = 1, stride_width = 1;
    static const unsigned pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
    static const unsigned out_height = 1, out_width = 1;
    static const unsigned pool_op = pool_max;
    static const unsigned reuse_factor = 1;
    typedef float accum_t;
    typedef float recip_t;
};

// One output pixel from its window: win[t*C + c] is channel c under tap t (t = kh*KW + kw),
// valid[t] is false in the padding (those values are ignored).
template <class in_T, class res_T, typename CONFIG_T>
inline void pool_pixel(const in_T win[CONFIG_T::pool_height * CONFIG_T::pool_width * CONFIG_T::n_chan],
                       const bool valid[CONFIG_T::pool_height * CONFIG_T::pool_width], res_T* out,
                       const typename CONFIG_T::recip_t* recip) {
    #pragma HLS INLINE
    const unsigned C = CONFIG_T::n_chan, NT = CONFIG_T::pool_height * CONFIG_T::pool_width;
    typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
    if (CONFIG_T::pool_op == pool_max) {
        in_T m[C];
        #pragma HLS ARRAY_PARTITION variable=m complete
        bool first = true;
        for (unsigned t = 0; t < NT; t++) {
            #pragma HLS UNROLL
            if (!valid[t]) continue;
            for (unsigned c = 0; c < C; c++) {
                #pragma HLS UNROLL
                m[c] = (first || win[t * C + c] > m[c]) ? win[t * C + c] : m[c];
            }
            first = false;
        }
        for (unsigned c = 0; c < C; c++) {
            #pragma HLS UNROLL
            out[c] = (res_T)m[c];
        }
    } else {
        acc_t acc[C];
        #pragma HLS ARRAY_PARTITION variable=acc complete
        for (unsigned c = 0; c < C; c++) {
            #pragma HLS UNROLL
            acc[c] = 0;
        }
        unsigned n = 0;
        for (unsigned t = 0; t < NT; t++) {
            #pragma HLS UNROLL
            if (!valid[t]) continue;
            for (unsigned c = 0; c < C; c++) {
                #pragma HLS UNROLL
                acc[c] += win[t * C + c];
            }
            n++;
        }
        const typename CONFIG_T::recip_t r = recip[n];
        for (unsigned c = 0; c < C; c++) {
            #pragma HLS UNROLL
            const typename CONFIG_T::accum_t a = acc[c];
            out[c] = (res_T)(a * r);
        }
    }
}

// C simulation fast path of max pooling for hlsgen's ap_types: the same selections on the
// raw integers.  Comparing two values of one fixed-point type is comparing their raw
// integers, so the maximum is the same element; it is then cast to res_T exactly as the
// synthesized code casts it (same type: a plain copy).
template <class data_T, class res_T, typename CONFIG_T,
          bool RAW = (bool)(HLSGEN_RAW_CSIM && fx_info<data_T>::known && CONFIG_T::pool_op == pool_max)>
struct pool_fast {
    enum { ok = 0 };
    static void run(const data_T*, res_T*) {}
};
template <class data_T, class res_T, typename CONFIG_T> struct pool_fast<data_T, res_T, CONFIG_T, true> {
    enum { ok = 1 };
    static void run(const data_T* data, res_T* res) {
        const unsigned C = CONFIG_T::n_chan;
        typedef typename data_T::T R;
        for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
            const int ih0 = (int)(oh * CONFIG_T::stride_height) - (int)CONFIG_T::pad_top;
            const int h0 = ih0 < 0 ? 0 : ih0;
            const int h1 = ih0 + (int)CONFIG_T::pool_height > (int)CONFIG_T::in_height ? (int)CONFIG_T::in_height
                                                                                     : ih0 + (int)CONFIG_T::pool_height;
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                const int iw0 = (int)(ow * CONFIG_T::stride_width) - (int)CONFIG_T::pad_left;
                const int w0 = iw0 < 0 ? 0 : iw0;
                const int w1 = iw0 + (int)CONFIG_T::pool_width > (int)CONFIG_T::in_width ? (int)CONFIG_T::in_width
                                                                                      : iw0 + (int)CONFIG_T::pool_width;
                R m[C];
                const data_T* first = data + ((unsigned)h0 * CONFIG_T::in_width + (unsigned)w0) * C;
                NNET_CSIM_UNROLL
                for (unsigned c = 0; c < C; c++) m[c] = first[c].V;
                for (int h = h0; h < h1; h++) {
                    for (int w = w0; w < w1; w++) {
                        const data_T* px = data + ((unsigned)h * CONFIG_T::in_width + (unsigned)w) * C;
                        NNET_CSIM_UNROLL
                        for (unsigned c = 0; c < C; c++) m[c] = px[c].V > m[c] ? (R)px[c].V : m[c];
                    }
                }
                res_T* o = res + (oh * CONFIG_T::out_width + ow) * C;
                for (unsigned c = 0; c < C; c++) {
                    data_T v;
                    v.V = m[c];
                    o[c] = (res_T)v;
                }
            }
        }
    }
};

template <class data_T, class res_T, typename CONFIG_T>
void pooling_2d_cl(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                   res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan],
                   const typename CONFIG_T::recip_t recip[CONFIG_T::pool_height * CONFIG_T::pool_width + 1]) {
    #pragma HLS INLINE off
    const unsigned C = CONFIG_T::n_chan, NT = CONFIG_T::pool_height * CONFIG_T::pool_width;
    if (pool_fast<data_T, res_T, CONFIG_T>::ok) {
        pool_fast<data_T, res_T, CONFIG_T>::run(data, res);
        return;
    }
Rows:
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
    Cols:
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
            data_T win[NT * C];
            bool valid[NT];
            #pragma HLS ARRAY_PARTITION variable=win complete
            #pragma HLS ARRAY_PARTITION variable=valid complete
            for (unsigned kh = 0; kh < CONFIG_T::pool_height; kh++) {
                #pragma HLS UNROLL
                const int ih = (int)(oh * CONFIG_T::stride_height + kh) - (int)CONFIG_T::pad_top;
                for (unsigned kw = 0; kw < CONFIG_T::pool_width; kw++) {
                    #pragma HLS UNROLL
                    const int iw = (int)(ow * CONFIG_T::stride_width + kw) - (int)CONFIG_T::pad_left;
                    const unsigned t = kh * CONFIG_T::pool_width + kw;
                    valid[t] = ih >= 0 && ih < (int)CONFIG_T::in_height && iw >= 0 && iw < (int)CONFIG_T::in_width;
                    const unsigned base = valid[t] ? ((unsigned)ih * CONFIG_T::in_width + (unsigned)iw) * C : 0;
                    for (unsigned c = 0; c < C; c++) {
                        #pragma HLS UNROLL
                        win[t * C + c] = data[base + c];
                    }
                }
            }
            pool_pixel<data_T, res_T, CONFIG_T>(win, valid, res + (oh * CONFIG_T::out_width + ow) * C, recip);
        }
    }
}

#if NNET_HAVE_STREAM

// C simulation of max pooling_2d_stream on raw integers (see pool_fast for why this is the
// same selection): the line buffer holds raw values; padding positions are never used.
// Non-overlapping windows without padding (stride == pool): a running maximum per output
// column of the current output row; max is exact and order-free, so this is the same value.
template <class data_T, class res_T, typename CONFIG_T>
void pooling_2d_stream_tiled_raw(hls::stream<data_T>& data, hls::stream<res_T>& res) {
    typedef typename data_T::value_type in_T;
    typedef typename in_T::T R;
    const unsigned C = CONFIG_T::n_chan, KH = CONFIG_T::pool_height, KW = CONFIG_T::pool_width;
    const unsigned OW = CONFIG_T::out_width;
    R m[OW * C];
    for (unsigned r = 0; r < CONFIG_T::in_height; r++) {
        const unsigned kr = r % KH;
        const bool row_used = r / KH < CONFIG_T::out_height;
        for (unsigned cc = 0; cc < CONFIG_T::in_width; cc++) {
            const data_T px = data.read();
            const unsigned oc = cc / KW, kc = cc % KW;
            if (!row_used || oc >= OW) continue;
            R* mo = m + oc * C;
            if (kr == 0 && kc == 0) {
                NNET_CSIM_UNROLL
                for (unsigned c = 0; c < C; c++) mo[c] = px[c].V;
            } else {
                NNET_CSIM_UNROLL
                for (unsigned c = 0; c < C; c++) mo[c] = (R)px[c].V > mo[c] ? (R)px[c].V : mo[c];
            }
            if (kr == KH - 1 && kc == KW - 1) {
                res_T out;
                for (unsigned c = 0; c < C; c++) {
                    in_T v;
                    v.V = mo[c];
                    out[c] = (typename res_T::value_type)v;
                }
                res.write(out);
            }
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void pooling_2d_stream_raw(hls::stream<data_T>& data, hls::stream<res_T>& res) {
    typedef typename data_T::value_type in_T;
    typedef typename in_T::T R;
    const unsigned C = CONFIG_T::n_chan, KH = CONFIG_T::pool_height, KW = CONFIG_T::pool_width;
    if (CONFIG_T::stride_height == KH && CONFIG_T::stride_width == KW && CONFIG_T::pad_top == 0 &&
        CONFIG_T::pad_bottom == 0 && CONFIG_T::pad_left == 0 && CONFIG_T::pad_right == 0) {
        pooling_2d_stream_tiled_raw<data_T, res_T, CONFIG_T>(data, res);
        return;
    }
    const unsigned PH = CONFIG_T::in_height + CONFIG_T::pad_top + CONFIG_T::pad_bottom;
    const unsigned PW = CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right;
    R line[KH * PW * C];
    for (unsigned pr = 0; pr < PH; pr++) {
        for (unsigned pc = 0; pc < PW; pc++) {
            const bool inside = pr >= CONFIG_T::pad_top && pr < CONFIG_T::pad_top + CONFIG_T::in_height &&
                                pc >= CONFIG_T::pad_left && pc < CONFIG_T::pad_left + CONFIG_T::in_width;
            if (inside) {
                const data_T px = data.read();
                R* slot = line + ((pr % KH) * PW + pc) * C;
                NNET_CSIM_UNROLL
                for (unsigned c = 0; c < C; c++) slot[c] = px[c].V;
            }
            if (pr + 1 >= KH && pc + 1 >= KW && (pr + 1 - KH) % CONFIG_T::stride_height == 0 &&
                (pc + 1 - KW) % CONFIG_T::stride_width == 0) {
                const unsigned r0 = pr + 1 - KH, c0 = pc + 1 - KW;
                const unsigned h0 = r0 < CONFIG_T::pad_top ? CONFIG_T::pad_top : r0;
                const unsigned h1 = pr + 1 < CONFIG_T::pad_top + CONFIG_T::in_height ? pr + 1 : CONFIG_T::pad_top + CONFIG_T::in_height;
                const unsigned w0 = c0 < CONFIG_T::pad_left ? CONFIG_T::pad_left : c0;
                const unsigned w1 = pc + 1 < CONFIG_T::pad_left + CONFIG_T::in_width ? pc + 1 : CONFIG_T::pad_left + CONFIG_T::in_width;
                R m[C];
                const R* first = line + ((h0 % KH) * PW + w0) * C;
                NNET_CSIM_UNROLL
                for (unsigned c = 0; c < C; c++) m[c] = first[c];
                for (unsigned h = h0; h < h1; h++) {
                    for (unsigned w = w0; w < w1; w++) {
                        const R* q = line + ((h % KH) * PW + w) * C;
                        NNET_CSIM_UNROLL
                        for (unsigned c = 0; c < C; c++) m[c] = q[c] > m[c] ? q[c] : m[c];
                    }
                }
                res_T out;
                for (unsigned c = 0; c < C; c++) {
                    in_T v;
                    v.V = m[c];
                    out[c] = (typename res_T::value_type)v;
                }
                res.write(out);
            }
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void pooling_2d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res,
                       const typename CONFIG_T::recip_t recip[CONFIG_T::pool_height * CONFIG_T::pool_width + 1]) {
    typedef typename data_T::value_type in_T;
    const unsigned C = CONFIG_T::n_chan, KH = CONFIG_T::pool_height, KW = CONFIG_T::pool_width;
    const unsigned PH = CONFIG_T::in_height + CONFIG_T::pad_top + CONFIG_T::pad_bottom;
    const unsigned PW = CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right;
#if HLSGEN_RAW_CSIM
    if (pool_fast<in_T, typename res_T::value_type, CONFIG_T>::ok) {
        pooling_2d_stream_raw<data_T, res_T, CONFIG_T>(data, res);
        return;
    }
#endif
    in_T line[KH * PW * C];
    #pragma HLS ARRAY_PARTITION variable=line complete dim=0
Rows:
    for (unsigned pr = 0; pr < PH; pr++) {
    Cols:
        for (unsigned pc = 0; pc < PW; pc++) {
            #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
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
                    slot[c] = 0;  // never used (valid[] is false there); keeps the buffer defined
                }
            }
            if (pr + 1 >= KH && pc + 1 >= KW && (pr + 1 - KH) % CONFIG_T::stride_height == 0 &&
                (pc + 1 - KW) % CONFIG_T::stride_width == 0) {
                const unsigned r0 = pr + 1 - KH, c0 = pc + 1 - KW;
                in_T win[KH * KW * C];
                bool valid[KH * KW];
                #pragma HLS ARRAY_PARTITION variable=win complete
                #pragma HLS ARRAY_PARTITION variable=valid complete
                for (unsigned kh = 0; kh < KH; kh++) {
                    #pragma HLS UNROLL
                    for (unsigned kw = 0; kw < KW; kw++) {
                        #pragma HLS UNROLL
                        const unsigned r = r0 + kh, cc = c0 + kw, t = kh * KW + kw;
                        valid[t] = r >= CONFIG_T::pad_top && r < CONFIG_T::pad_top + CONFIG_T::in_height &&
                                   cc >= CONFIG_T::pad_left && cc < CONFIG_T::pad_left + CONFIG_T::in_width;
                        for (unsigned c = 0; c < C; c++) {
                            #pragma HLS UNROLL
                            win[t * C + c] = line[((r % KH) * PW + cc) * C + c];
                        }
                    }
                }
                res_T out;
                pool_pixel<in_T, typename res_T::value_type, CONFIG_T>(win, valid, out.data, recip);
                res.write(out);
            }
        }
    }
}

// Global pooling over a stream: running max / sum per channel, pixels in row-major order
// (the order of the io_parallel kernel).  One output element after the last input.
template <class data_T, class res_T, typename CONFIG_T>
void global_pooling_2d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res,
                              const typename CONFIG_T::recip_t recip[CONFIG_T::pool_height * CONFIG_T::pool_width + 1]) {
    typedef typename data_T::value_type in_T;
    typedef typename fast_accum<typename CONFIG_T::accum_t>::type acc_t;
    const unsigned C = CONFIG_T::n_chan, N = CONFIG_T::in_height * CONFIG_T::in_width;
    in_T m[C];
    acc_t acc[C];
    #pragma HLS ARRAY_PARTITION variable=m complete
    #pragma HLS ARRAY_PARTITION variable=acc complete
Pixels:
    for (unsigned p = 0; p < N; p++) {
        #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
        const data_T px = data.read();
        for (unsigned c = 0; c < C; c++) {
            #pragma HLS UNROLL
            if (CONFIG_T::pool_op == pool_max) {
                m[c] = (p == 0 || px[c] > m[c]) ? px[c] : m[c];
            } else {
                if (p == 0) acc[c] = 0;
                acc[c] += px[c];
            }
        }
    }
    res_T out;
    for (unsigned c = 0; c < C; c++) {
        #pragma HLS UNROLL
        if (CONFIG_T::pool_op == pool_max) {
            out[c] = (typename res_T::value_type)m[c];
        } else {
            const typename CONFIG_T::accum_t a = acc[c];
            out[c] = (typename res_T::value_type)(a * recip[N]);
        }
    }
    res.write(out);
}

#endif  // NNET_HAVE_STREAM

}  // namespace nnet

#endif
