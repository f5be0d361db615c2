// hlsgen layer library: Dense over a block of samples (C simulation only, host builds).
//
// The bridge's batched network (myproject_bridge.cpp, io_parallel) runs each layer on a
// block of n samples in turn; this is Dense's kernel for it.  It never exists under
// __SYNTHESIS__ (nor with HLSGEN_NO_FAST_CSIM): synthesis sees dense() per sample only.
//
// Where raw_mac applies (nnet_array.h: every sum is an integer sum modulo 2^W) and the
// raw data and weights fit 16-bit lanes, the products are summed with the 16-bit
// multiply-add of the host's vector unit (x86 pmaddwd, AVX-512BW or AVX2), each weight
// vector loaded once for SB samples.  Exactness, per pmaddwd lane (two products added
// exactly into 32 bits):
//   * SPLIT: x = 256 * xh + xl, xl = x & 255 in [0, 255], xh = x >> 8 in [-128, 255] (any
//     data of at most 16 bits, signed or not) and |w| <= 2^15 (weights of at most 16
//     signed or 15 unsigned bits): |xl * w|, |xh * w| < 2^23, a lane gains < 2^24 per
//     pair of inputs and PAIRS = 64 pairs stay below 2^30.
//   * DIRECT (data that is itself an int16 and products of at most PN <= 24 bits as
//     signed integers, |p| <= 2^(PN-1)): a lane gains <= 2^PN per pair, and
//     2^(30-PN) pairs stay within 2^30.
// The 32-bit partial sums are added into 64-bit totals (SPLIT: 256 * hi + lo), which are
// the exact integer sums of the products; raw_mac's modular sum is that integer shifted
// by SH >= 0 and wrapped, so acc = start(bias) + (total << SH) is the synthesized
// accumulator bit for bit, whatever the order of the terms.  Other types: dense() per
// sample.  The packing and the sums (nnet_batch16.h) depend on the raw data and weight
// integers only, sizes being run-time arguments: hlsgen.csim compiles them once into a
// cached object; a layer adds the start from its bias and its output conversion
// (dense_raw_outputs, shared with the per-sample kernel).
#ifndef NNET_DENSE_BATCH_H_
#define NNET_DENSE_BATCH_H_

#include "nnet_dense_raw.h"
#if HLSGEN_RAW_CSIM
#include "nnet_batch16.h"  // the type-independent part of the 16-bit kernel
#endif

#if HLSGEN_FAST_CSIM

namespace nnet {

template <class data_T, class res_T, typename CONFIG_T, bool RAW> struct dense_batch_impl {
    // other types (and other ap_types headers): the layer per sample
    static void run(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* w,
                    const typename CONFIG_T::bias_t* b, unsigned n) {
        for (unsigned s = 0; s < n; s++) dense<data_T, res_T, CONFIG_T>(data + (size_t)s * CONFIG_T::n_in,
                                                                        res + (size_t)s * CONFIG_T::n_out, w, b);
    }
};

#if HLSGEN_RAW_CSIM

#if NNET_HAVE_MADD16
template <class XT, class WT, int SH, int PN> struct batch16 {
    enum {
        w16 = sizeof(WT) < 2 || (sizeof(WT) == 2 && (WT)(-1) < 0),
        direct = (sizeof(XT) == 1 || (sizeof(XT) == 2 && (XT)(-1) < 0)) && PN <= 24,
        ok = sizeof(XT) <= 2 && w16 && SH >= 0,
        PAIRS = direct ? (PN <= 18 ? 4096 : (1 << (30 - PN))) : 64
    };

    // t[s * ldt + j] (ldt: n_out rounded up to JB): the exact sums.
    static const int64_t* run(const XT* x, const WT* w, unsigned n_in, unsigned n_out, unsigned n, unsigned& ldt) {
        return batch16_sums<XT, WT>(x, w, n_in, n_out, n, direct, PAIRS, ldt);
    }
};
#endif

template <class data_T, class res_T, typename CONFIG_T> struct dense_batch_impl<data_T, res_T, CONFIG_T, true> {
    typedef typename CONFIG_T::weight_t weight_T;
    typedef raw_mac<data_T, weight_T, typename CONFIG_T::accum_t> M;
    typedef typename data_T::T XT;
    typedef typename weight_T::T WT;
    typedef typename M::U U;
    enum { PN = M::DW + M::WW - ((fx_info<data_T>::s && fx_info<weight_T>::s) ? 0 : 1) };

    static void run(const data_T* data, res_T* res, const weight_T* weights, const typename CONFIG_T::bias_t* biases,
                    unsigned n) {
        static_assert(sizeof(data_T) == sizeof(XT) && sizeof(weight_T) == sizeof(WT),
                      "hlsgen: an ap type is its raw integer");
#if NNET_HAVE_MADD16
        with16<(bool)batch16<XT, WT, M::SH, PN>::ok>::run(data, res, weights, biases, n);
#else
        dense_batch_impl<data_T, res_T, CONFIG_T, false>::run(data, res, weights, biases, n);
#endif
    }

    template <bool OK, int = 0> struct with16 {  // (only the path a layer takes is instantiated)
        static void run(const data_T* data, res_T* res, const weight_T* weights,
                        const typename CONFIG_T::bias_t* biases, unsigned n) {
            dense_batch_impl<data_T, res_T, CONFIG_T, false>::run(data, res, weights, biases, n);
        }
    };
#if NNET_HAVE_MADD16
    template <int D> struct with16<true, D> {
        static void run(const data_T* data, res_T* res, const weight_T* weights,
                        const typename CONFIG_T::bias_t* biases, unsigned n) {
            const unsigned NO = CONFIG_T::n_out;
            unsigned ldt = 0;
            const int64_t* t = batch16<XT, WT, M::SH, PN>::run(reinterpret_cast<const XT*>(data),
                                                               reinterpret_cast<const WT*>(weights), CONFIG_T::n_in,
                                                               NO, n, ldt);
            U start[NO], acc[NO];
            for (unsigned j = 0; j < NO; j++) start[j] = M::start(biases[j]);
            // raw_mac's modular sum: start(bias) + (the exact sum << SH), in U as there
            for (unsigned s = 0; s < n; s++) {
                const int64_t* ts = t + (size_t)s * ldt;
                for (unsigned j = 0; j < NO; j++) acc[j] = (U)(start[j] + (U)((U)ts[j] << (M::SH >= 0 ? M::SH : 0)));
                dense_raw_outputs<M, res_T, CONFIG_T::activation>(acc, res + (size_t)s * NO, NO);
            }
        }
    };
#endif
};

#endif  // HLSGEN_RAW_CSIM

// Dense on n samples (data: n x n_in, res: n x n_out), as n calls of dense().  Only for a
// run whose saturation counters are off (the bridge runs counted samples one by one).
template <class data_T, class res_T, typename CONFIG_T>
void dense_batch(const data_T* data, res_T* res, const typename CONFIG_T::weight_t* weights,
                 const typename CONFIG_T::bias_t* biases, unsigned n) {
    dense_batch_impl<data_T, res_T, CONFIG_T,
                     (bool)raw_mac<data_T, typename CONFIG_T::weight_t, typename CONFIG_T::accum_t>::ok>::run(
        data, res, weights, biases, n);
}

}  // namespace nnet

#endif  // HLSGEN_FAST_CSIM

#endif
