// unetseg from C++17: RAII wrappers over the C API (no library of ours in
// between), errors as exceptions carrying the library's message, one model
// per std::thread. Build against unetseg with pkg-config:
//   c++ -std=c++17 main.cpp $(pkg-config --cflags --libs unetseg) -o unetseg_cpp
// `make examples-ffi` builds and runs it against the freshly built library.
//
// The workload is the same in examples/go and examples/rust: Unet('resnet18')
// 64x64, seed 42, ConditionalDropout (ALWAYS, rate 0.2) after every
// "glob:decoder_stage*b_relu" layer, 4 Monte-Carlo samples with seed 7; the
// FNV-1a hash of the std map's float bits is printed, so the three can be
// compared bit for bit.
#include <unetseg.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace unetseg {

// A failed call: the status and the library's message, copied at once.
class Error : public std::runtime_error {
public:
    Error(int32_t status, const std::string &what) : std::runtime_error(what), status_(status) {}
    int32_t status() const { return status_; }

private:
    int32_t status_;
};

// For calls without a model: the thread-local message (a std::thread stays on
// its OS thread, so reading it right after the call is enough).
inline void check(int32_t st, const char *call) {
    if (st != UNETSEG_OK)
        throw Error(st, std::string(call) + ": " + unetseg_status_string(st) + ": " +
                            unetseg_last_error());
}

template <typename T, void (*Free)(T *)> struct Deleter {
    void operator()(T *p) const { Free(p); }
};
template <typename T, void (*Free)(T *)> using Handle = std::unique_ptr<T, Deleter<T, Free>>;

class Tensor {
public:
    explicit Tensor(std::vector<int64_t> shape) {
        unetseg_tensor *t = nullptr;
        check(unetseg_tensor_create(static_cast<int32_t>(shape.size()), shape.data(), &t),
              "tensor_create");
        h_.reset(t);
    }
    explicit Tensor(unetseg_tensor *owned) : h_(owned) {}
    float *data() { return unetseg_tensor_data(h_.get()); }
    const float *data() const { return unetseg_tensor_data_const(h_.get()); }
    int64_t numel() const {
        int64_t n = 0;
        check(unetseg_tensor_numel(h_.get(), &n), "tensor_numel");
        return n;
    }
    const unetseg_tensor *get() const { return h_.get(); }

private:
    Handle<unetseg_tensor, unetseg_tensor_free> h_;
};

class Matcher {
public:
    explicit Matcher(const std::string &expression) {
        unetseg_matcher *m = nullptr;
        check(unetseg_matcher_parse(expression.c_str(), &m), "matcher_parse");
        h_.reset(m);
    }
    const unetseg_matcher *get() const { return h_.get(); }

private:
    Handle<unetseg_matcher, unetseg_matcher_free> h_;
};

struct McResult {
    Tensor mean, std;
};

class Model {
public:
    static Model unet(const std::string &backbone, int64_t size, uint64_t seed) {
        Handle<unetseg_unet_options, unetseg_unet_options_free> o;
        unetseg_unet_options *raw = nullptr;
        check(unetseg_unet_options_create(&raw), "unet_options_create");
        o.reset(raw);
        check(unetseg_unet_options_set_backbone(o.get(), backbone.c_str()), "set_backbone");
        check(unetseg_unet_options_set_input_shape(o.get(), size, size, 3), "set_input_shape");
        check(unetseg_unet_options_set_seed(o.get(), seed), "set_seed");
        unetseg_model *m = nullptr;
        check(unetseg_unet_create(o.get(), &m), "unet_create");
        return Model(m);
    }

    void set_threads(int32_t n) { check_model(unetseg_model_set_threads(h_.get(), n), "set_threads"); }

    int32_t insert_conditional_dropout(const Matcher &where, double rate) {
        Handle<unetseg_insert_options, unetseg_insert_options_free> o;
        unetseg_insert_options *raw = nullptr;
        check(unetseg_insert_options_create(&raw), "insert_options_create");
        o.reset(raw);
        check(unetseg_insert_options_set_kind(o.get(), UNETSEG_LAYER_CONDITIONAL_DROPOUT), "set_kind");
        check(unetseg_insert_options_set_rate(o.get(), rate), "set_rate");
        check(unetseg_insert_options_set_mode(o.get(), UNETSEG_DROPOUT_ALWAYS, 0), "set_mode");
        int32_t n = 0;
        check_model(unetseg_model_insert_dropout(h_.get(), where.get(), o.get(), &n), "insert_dropout");
        return n;
    }

    Tensor forward(const Tensor &x) {
        unetseg_tensor *y = nullptr;
        check_model(unetseg_model_forward(h_.get(), x.get(), &y), "forward");
        return Tensor(y);
    }

    McResult predict_mc(const Tensor &x, int32_t samples, uint64_t seed) {
        unetseg_tensor *mean = nullptr, *sd = nullptr;
        check_model(unetseg_model_predict_mc(h_.get(), x.get(), samples, seed, &mean, &sd, nullptr),
                    "predict_mc");
        return McResult{Tensor(mean), Tensor(sd)};
    }

private:
    explicit Model(unetseg_model *m) : h_(m) {}
    // Calls on the model: its own copy of the message (any thread may read it).
    void check_model(int32_t st, const char *call) {
        if (st != UNETSEG_OK)
            throw Error(st, std::string(call) + ": " + unetseg_status_string(st) + ": " +
                                unetseg_model_last_error(h_.get()));
    }
    Handle<unetseg_model, unetseg_model_free> h_;
};

}  // namespace unetseg

static uint64_t fnv1a(const float *p, int64_t n) {
    uint64_t h = 1469598103934665603ull;
    const unsigned char *b = reinterpret_cast<const unsigned char *>(p);
    for (int64_t i = 0; i < n * 4; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t workload() {
    auto model = unetseg::Model::unet("resnet18", 64, 42);
    model.set_threads(1);
    if (model.insert_conditional_dropout(unetseg::Matcher("glob:decoder_stage*b_relu"), 0.2) != 5)
        throw std::runtime_error("expected 5 insertions");
    unetseg::Tensor x({1, 64, 64, 3});
    float *px = x.data();
    for (int64_t i = 0; i < x.numel(); i++) px[i] = static_cast<float>((i * 37) % 256) / 255.0f;
    auto mc = model.predict_mc(x, 4, 7);

    // A failure on purpose: 4 channels where the model takes 3.
    try {
        unetseg::Tensor bad({1, 64, 64, 4});
        model.forward(bad);
        throw std::runtime_error("forward of 4 channels did not fail");
    } catch (const unetseg::Error &e) {
        if (e.status() != UNETSEG_E_SHAPE || std::string(e.what()).find("4 channels") == std::string::npos)
            throw std::runtime_error(std::string("unexpected error: ") + e.what());
    }
    return fnv1a(mc.std.data(), mc.std.numel());
}

int main() {
    if (unetseg_abi_version() != UNETSEG_ABI_VERSION) {
        std::fprintf(stderr, "libunetseg ABI %d, header ABI %d\n", unetseg_abi_version(), UNETSEG_ABI_VERSION);
        return 1;
    }
    const int n = 2;
    std::vector<uint64_t> hashes(n);
    std::vector<std::string> errors(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; i++)
        threads.emplace_back([i, &hashes, &errors] {
            try {
                hashes[i] = workload();
            } catch (const std::exception &e) {
                errors[i] = e.what();
            }
        });
    for (auto &t : threads) t.join();
    for (int i = 0; i < n; i++) {
        if (!errors[i].empty()) {
            std::fprintf(stderr, "cpp: thread %d: %s\n", i, errors[i].c_str());
            return 1;
        }
        if (hashes[i] != hashes[0]) {
            std::fprintf(stderr, "cpp: thread %d got another std map\n", i);
            return 1;
        }
    }
    unetseg_shutdown_workers();
    std::printf("cpp: unetseg %s, %d threads, MC std map fnv1a %016llx\n", unetseg_version_string(), n,
                static_cast<unsigned long long>(hashes[0]));
    return 0;
}
