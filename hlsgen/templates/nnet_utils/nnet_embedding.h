// hlsgen layer library: Embedding (a table lookup per input index).
//
//   res[i * n_out + j] = res_T(embeddings[k * n_out + j]),  k = clamp(int(data[i]), 0, vocab_size - 1)
// int() truncates toward zero (ap_fixed to_int); an index out of range reads the first
// or the last row (hlsgen/layers/embedding.py).
#ifndef NNET_EMBEDDING_H_
#define NNET_EMBEDDING_H_

#include "nnet_common.h"

namespace nnet {

struct embed_config {
    static const unsigned n_in = 1;        // indices per sample
    static const unsigned n_out = 1;       // embedding dimension
    static const unsigned vocab_size = 1;  // rows of the table
    static const unsigned reuse_factor = 1;
    typedef float embeddings_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void embedding(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in * CONFIG_T::n_out],
               const typename CONFIG_T::embeddings_t embeddings[CONFIG_T::vocab_size * CONFIG_T::n_out]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
Lookup:
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
        #pragma HLS UNROLL
        int k = data[i].to_int();
        if (k < 0) k = 0;
        if (k > (int)CONFIG_T::vocab_size - 1) k = (int)CONFIG_T::vocab_size - 1;
        for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
            #pragma HLS UNROLL
            res[i * CONFIG_T::n_out + j] = (res_T)embeddings[k * CONFIG_T::n_out + j];
        }
    }
}

} // namespace nnet

#endif
