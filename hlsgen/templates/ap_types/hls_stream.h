// hlsgen stand-in for hls_stream.h (C simulation only): an unbounded FIFO.
// Reading an empty stream prints an error naming the stream and aborts.
#ifndef HLSGEN_HLS_STREAM_H
#define HLSGEN_HLS_STREAM_H
#include <deque>
#include <string>
#include <cstdio>
#include <cstdlib>

namespace hls {
template <typename T, int DEPTH = 0>
class stream {
  std::deque<T> q_;
  std::string name_;
  stream(const stream&);             // not copyable, like the vendor's
  stream& operator=(const stream&);
 public:
  typedef T value_type;
  stream() : name_("hls::stream") {}
  explicit stream(const char* name) : name_(name ? name : "hls::stream") {}
  stream(const std::string& name) : name_(name) {}
  const char* get_name() const { return name_.c_str(); }
  bool empty() const { return q_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return q_.size(); }
  void write(const T& v) { q_.push_back(v); }
  bool write_nb(const T& v) { q_.push_back(v); return true; }
  T read() {
    if (q_.empty()) {
      std::fprintf(stderr, "ERROR: hls::stream '%s' read while empty (C simulation)\n", name_.c_str());
      std::abort();
    }
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  void read(T& v) { v = read(); }
  bool read_nb(T& v) {
    if (q_.empty()) return false;
    v = q_.front();
    q_.pop_front();
    return true;
  }
  // hlsgen's C simulation looks at a finished stream's elements without consuming them
  const std::deque<T>& hlsgen_items() const { return q_; }
  void operator>>(T& v) { read(v); }
  void operator<<(const T& v) { write(v); }
};
}  // namespace hls
#endif
