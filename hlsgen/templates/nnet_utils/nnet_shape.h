// hlsgen layer library: zero padding, cropping and nearest-neighbour upsampling
// (2-D; a 1-D layer is the same with height 1).  Pure data movement: every output is
// one input value (or 0) cast to res_T.
//
// ---------------------------------------------------------------------------------
// Signatures (io_parallel flat row-major arrays; io_stream one nnet::array<T, C> per pixel):
//   nnet::zeropad_2d_cl<data_T, res_T, CONFIG_T>(const data_T data[H*W*C], res_T res[OH*OW*C]);
//   nnet::cropping_2d_cl<data_T, res_T, CONFIG_T>(data, res);
//   nnet::upsampling_2d_cl<data_T, res_T, CONFIG_T>(data, res);
//   nnet::zeropad_2d_stream<in_array_T, out_array_T, CONFIG_T>(hls::stream<in_array_T>&, hls::stream<out_array_T>&);
//   nnet::cropping_2d_stream<...>(same);  nnet::upsampling_2d_stream<...>(same);
// CONFIG_T (shape_config): in_height, in_width, n_chan, out_height, out_width, top, left
// (zero padding: pads before; cropping: crops before), size_height, size_width (upsampling;
// zero padding: the spacing of the input pixels, 1 except before a transposed convolution);
// upsampling's config also has src_row(oh) / src_col(ow), the input row / column of an output
// one (oh / size_height, ow / size_width for whole factors; any table otherwise, io_parallel only).
//
// io_stream FIFOs: zero padding and cropping read and write in raster order with no
// buffer (lag 0 / the cropped pixels before the first kept one).  Upsampling keeps one
// input row (W * C values): it reads a whole input row, then writes size_height output
// rows from it, so a bypass FIFO around it must hold W input pixels (lag = W).
// ---------------------------------------------------------------------------------
#ifndef NNET_SHAPE_H_
#define NNET_SHAPE_H_

#include "nnet_array.h"
#include "nnet_common.h"

namespace nnet {

struct shape_config {
    static const unsigned in_height = 1, in_width = 1, n_chan = 1;
    static const unsigned out_height = 1, out_width = 1;
    static const unsigned top = 0, left = 0;
    static const unsigned size_height = 1, size_width = 1;
};

// Zero padding (size_height = size_width = 1), or the zero-inserted input of a transposed
// convolution: input pixel (h, w) lands at (top + h * size_height, left + w * size_width),
// every other output pixel is zero.  True where (oh, ow) holds an input pixel.
template <typename CONFIG_T> inline bool padded_input(unsigned oh, unsigned ow) {
    #pragma HLS INLINE
    return oh >= CONFIG_T::top && oh < CONFIG_T::top + (CONFIG_T::in_height - 1) * CONFIG_T::size_height + 1 &&
           (oh - CONFIG_T::top) % CONFIG_T::size_height == 0 && ow >= CONFIG_T::left &&
           ow < CONFIG_T::left + (CONFIG_T::in_width - 1) * CONFIG_T::size_width + 1 &&
           (ow - CONFIG_T::left) % CONFIG_T::size_width == 0;
}

template <class data_T, class res_T, typename CONFIG_T>
void zeropad_2d_cl(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                   res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
    const unsigned C = CONFIG_T::n_chan;
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            #pragma HLS PIPELINE
            const bool in = padded_input<CONFIG_T>(oh, ow);
            res_T* o = res + (oh * CONFIG_T::out_width + ow) * C;
            if (in) {
                const data_T* i = data + ((oh - CONFIG_T::top) / CONFIG_T::size_height * CONFIG_T::in_width +
                                          (ow - CONFIG_T::left) / CONFIG_T::size_width) * C;
                for (unsigned c = 0; c < C; c++) o[c] = (res_T)i[c];
            } else {
                for (unsigned c = 0; c < C; c++) o[c] = 0;
            }
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void cropping_2d_cl(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                    res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
    const unsigned C = CONFIG_T::n_chan;
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            #pragma HLS PIPELINE
            const data_T* i = data + ((oh + CONFIG_T::top) * CONFIG_T::in_width + (ow + CONFIG_T::left)) * C;
            res_T* o = res + (oh * CONFIG_T::out_width + ow) * C;
            for (unsigned c = 0; c < C; c++) o[c] = (res_T)i[c];
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void upsampling_2d_cl(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                      res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
    const unsigned C = CONFIG_T::n_chan;
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            #pragma HLS PIPELINE
            const data_T* i = data + (CONFIG_T::src_row(oh) * CONFIG_T::in_width + CONFIG_T::src_col(ow)) * C;
            res_T* o = res + (oh * CONFIG_T::out_width + ow) * C;
            for (unsigned c = 0; c < C; c++) o[c] = (res_T)i[c];
        }
    }
}

#if NNET_HAVE_STREAM

template <class data_T, class res_T, typename CONFIG_T>
void zeropad_2d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res) {
    const unsigned C = CONFIG_T::n_chan;
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            #pragma HLS PIPELINE
            const bool in = padded_input<CONFIG_T>(oh, ow);
            res_T o;
            if (in) {
                const data_T i = data.read();
                for (unsigned c = 0; c < C; c++) {
                    #pragma HLS UNROLL
                    o[c] = (typename res_T::value_type)i[c];
                }
            } else {
                for (unsigned c = 0; c < C; c++) {
                    #pragma HLS UNROLL
                    o[c] = 0;
                }
            }
            res.write(o);
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void cropping_2d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res) {
    const unsigned C = CONFIG_T::n_chan;
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
        for (unsigned iw = 0; iw < CONFIG_T::in_width; iw++) {
            #pragma HLS PIPELINE
            const data_T i = data.read();
            if (ih >= CONFIG_T::top && ih < CONFIG_T::top + CONFIG_T::out_height && iw >= CONFIG_T::left &&
                iw < CONFIG_T::left + CONFIG_T::out_width) {
                res_T o;
                for (unsigned c = 0; c < C; c++) {
                    #pragma HLS UNROLL
                    o[c] = (typename res_T::value_type)i[c];
                }
                res.write(o);
            }
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void upsampling_2d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res) {
    const unsigned C = CONFIG_T::n_chan, W = CONFIG_T::in_width;
    res_T row[W];
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
        for (unsigned iw = 0; iw < W; iw++) {
            #pragma HLS PIPELINE
            const data_T i = data.read();
            for (unsigned c = 0; c < C; c++) {
                #pragma HLS UNROLL
                row[iw][c] = (typename res_T::value_type)i[c];
            }
        }
        for (unsigned sh = 0; sh < CONFIG_T::size_height; sh++) {
            for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
                #pragma HLS PIPELINE
                res.write(row[ow / CONFIG_T::size_width]);
            }
        }
    }
}

#endif  // NNET_HAVE_STREAM

}  // namespace nnet

#endif
