// unetseg from Go through cgo, with pkg-config:
//
//	PKG_CONFIG_PATH=... go build   (make examples-ffi does it against the build tree)
//
// Several goroutines each build their own model (a handle is used by one
// goroutine at a time) and run the same workload as examples/cpp and
// examples/rust: Unet('resnet18') 64x64, seed 42, ConditionalDropout
// (ALWAYS, rate 0.2) after the layers a Go closure selects (the
// decoder_stage*b_relu layers, through unetseg_matcher_callback_ex and a
// cgo.Handle), 4 Monte-Carlo samples with seed 7; it prints the FNV-1a hash
// of the std map's float bits.
//
// Errors, done right under Go's scheduler (docs/ABI.md): a goroutine may
// move to another OS thread between two cgo calls, so
//   - after a failed call on a model, read unetseg_model_last_error(model):
//     the message lives in the handle, not in the OS thread;
//   - after other calls, pin the goroutine (runtime.LockOSThread) for the
//     call and the read of the thread-local unetseg_last_error().
package main

/*
#cgo pkg-config: unetseg
#include <stdlib.h>
#include <unetseg.h>
int32_t add_go_callback(unetseg_matcher *matcher, uintptr_t handle);
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Error is a failed call: its status and the library's message.
type Error struct {
	Status  int32
	Call    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Call, C.GoString(C.unetseg_status_string(C.int32_t(e.Status))), e.Message)
}

// call runs f, a call on no model, with the goroutine pinned to its OS
// thread until the thread-local message has been read.
func call(name string, f func() C.int32_t) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if st := f(); st != C.UNETSEG_OK {
		return &Error{int32(st), name, C.GoString(C.unetseg_last_error())}
	}
	return nil
}

type Tensor struct{ p *C.unetseg_tensor }

func NewTensor(shape ...int64) (*Tensor, error) {
	cs := make([]C.int64_t, len(shape))
	for i, d := range shape {
		cs[i] = C.int64_t(d)
	}
	t := &Tensor{}
	err := call("tensor_create", func() C.int32_t {
		return C.unetseg_tensor_create(C.int32_t(len(cs)), &cs[0], &t.p)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tensor) Close() { C.unetseg_tensor_free(t.p); t.p = nil }

// Floats is a view of the tensor's data, valid until Close.
func (t *Tensor) Floats() []float32 {
	var n C.int64_t
	C.unetseg_tensor_numel(t.p, &n) // cannot fail on a live tensor
	return unsafe.Slice((*float32)(unsafe.Pointer(C.unetseg_tensor_data(t.p))), int(n))
}

type Model struct{ p *C.unetseg_model }

// check turns a status of a call on m into an error carrying m's own copy
// of the message: correct whichever OS thread the goroutine is on now.
func (m *Model) check(name string, st C.int32_t) error {
	if st == C.UNETSEG_OK {
		return nil
	}
	return &Error{int32(st), name, C.GoString(C.unetseg_model_last_error(m.p))}
}

func NewUnet(backbone string, size int64, seed uint64) (*Model, error) {
	var o *C.unetseg_unet_options
	if err := call("unet_options_create", func() C.int32_t { return C.unetseg_unet_options_create(&o) }); err != nil {
		return nil, err
	}
	defer C.unetseg_unet_options_free(o)
	cb := C.CString(backbone)
	defer C.free(unsafe.Pointer(cb))
	m := &Model{}
	err := call("unet_create", func() C.int32_t {
		if st := C.unetseg_unet_options_set_backbone(o, cb); st != C.UNETSEG_OK {
			return st
		}
		if st := C.unetseg_unet_options_set_input_shape(o, C.int64_t(size), C.int64_t(size), 3); st != C.UNETSEG_OK {
			return st
		}
		if st := C.unetseg_unet_options_set_seed(o, C.uint64_t(seed)); st != C.UNETSEG_OK {
			return st
		}
		return C.unetseg_unet_create(o, &m.p)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) Close() { C.unetseg_model_free(m.p); m.p = nil }

func (m *Model) SetThreads(n int) error {
	return m.check("set_threads", C.unetseg_model_set_threads(m.p, C.int32_t(n)))
}

func (m *Model) Forward(x *Tensor) (*Tensor, error) {
	y := &Tensor{}
	if err := m.check("forward", C.unetseg_model_forward(m.p, x.p, &y.p)); err != nil {
		return nil, err
	}
	return y, nil
}

func (m *Model) PredictMC(x *Tensor, samples int, seed uint64) (mean, std *Tensor, err error) {
	mean, std = &Tensor{}, &Tensor{}
	err = m.check("predict_mc", C.unetseg_model_predict_mc(m.p, x.p, C.int32_t(samples), C.uint64_t(seed), &mean.p, &std.p, nil))
	if err != nil {
		return nil, nil, err
	}
	return mean, std, nil
}

// The matcher callback: user data is a cgo.Handle of a selector.
type selector struct {
	pick func(name string, kind int32) bool
}

var released atomic.Int32

//export goMatch
func goMatch(name *C.char, kind C.int32_t, handle C.uintptr_t) C.int32_t {
	s := cgo.Handle(handle).Value().(*selector)
	if s.pick(C.GoString(name), int32(kind)) {
		return 1
	}
	return 0
}

//export goRelease
func goRelease(handle C.uintptr_t) {
	cgo.Handle(handle).Delete()
	released.Add(1)
}

// InsertConditionalDropout inserts after every layer pick selects.
func (m *Model) InsertConditionalDropout(pick func(string, int32) bool, rate float64) (int, error) {
	var mt *C.unetseg_matcher
	var io *C.unetseg_insert_options
	err := call("matcher", func() C.int32_t {
		if st := C.unetseg_matcher_create(&mt); st != C.UNETSEG_OK {
			return st
		}
		// the matcher owns the handle now, even if this fails
		if st := C.add_go_callback(mt, C.uintptr_t(cgo.NewHandle(&selector{pick}))); st != C.UNETSEG_OK {
			return st
		}
		if st := C.unetseg_insert_options_create(&io); st != C.UNETSEG_OK {
			return st
		}
		if st := C.unetseg_insert_options_set_kind(io, C.UNETSEG_LAYER_CONDITIONAL_DROPOUT); st != C.UNETSEG_OK {
			return st
		}
		if st := C.unetseg_insert_options_set_rate(io, C.double(rate)); st != C.UNETSEG_OK {
			return st
		}
		return C.unetseg_insert_options_set_mode(io, C.UNETSEG_DROPOUT_ALWAYS, 0)
	})
	defer C.unetseg_matcher_free(mt) // releases the handle (goRelease)
	defer C.unetseg_insert_options_free(io)
	if err != nil {
		return 0, err
	}
	var n C.int32_t
	if err := m.check("insert_dropout", C.unetseg_model_insert_dropout(m.p, mt, io, &n)); err != nil {
		return 0, err
	}
	return int(n), nil
}

func fnv1a(v []float32) uint64 {
	h := uint64(1469598103934665603)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

const failingCalls = 300

// workload runs on one goroutine with a model of its own.
func workload() (uint64, error) {
	m, err := NewUnet("resnet18", 64, 42)
	if err != nil {
		return 0, err
	}
	defer m.Close()
	if err := m.SetThreads(1); err != nil {
		return 0, err
	}
	n, err := m.InsertConditionalDropout(func(name string, kind int32) bool {
		return strings.HasPrefix(name, "decoder_stage") && strings.HasSuffix(name, "b_relu")
	}, 0.2)
	if err != nil {
		return 0, err
	}
	if n != 5 {
		return 0, fmt.Errorf("%d insertions, expected 5", n)
	}
	x, err := NewTensor(1, 64, 64, 3)
	if err != nil {
		return 0, err
	}
	defer x.Close()
	for i, px := 0, x.Floats(); i < len(px); i++ {
		px[i] = float32((i*37)%256) / 255
	}
	mean, std, err := m.PredictMC(x, 4, 7)
	if err != nil {
		return 0, err
	}
	defer mean.Close()
	defer std.Close()

	// Failures on purpose, with the scheduler free to move the goroutine
	// between the failing call and the read: the message must be right
	// every time.
	bad, err := NewTensor(1, 64, 64, 4)
	if err != nil {
		return 0, err
	}
	defer bad.Close()
	for i := 0; i < failingCalls; i++ {
		st := C.unetseg_model_forward(m.p, bad.p, new(*C.unetseg_tensor))
		runtime.Gosched() // other goroutines run here, maybe on this OS thread
		msg := C.GoString(C.unetseg_model_last_error(m.p))
		if st != C.UNETSEG_E_SHAPE || msg != "model_forward: input has 4 channels, 'data' expects 3" {
			return 0, fmt.Errorf("failing call %d: status %d, message %q", i, st, msg)
		}
	}
	// A call on no model: pinned.
	if _, err := NewTensor(0); err == nil || !strings.Contains(err.Error(), "tensor_create: a dim is < 1") {
		return 0, fmt.Errorf("tensor_create(0) gave %v", err)
	}
	return fnv1a(std.Floats()), nil
}

func main() {
	if C.unetseg_abi_version() != C.UNETSEG_ABI_VERSION {
		fmt.Fprintln(os.Stderr, "go: libunetseg of another ABI")
		os.Exit(1)
	}
	const goroutines = 3
	hashes := make([]uint64, goroutines)
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for i := 0; i < goroutines; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			hashes[i], errs[i] = workload()
		}(i)
	}
	wg.Wait()
	for i := range hashes {
		if errs[i] != nil {
			fmt.Fprintf(os.Stderr, "go: goroutine %d: %v\n", i, errs[i])
			os.Exit(1)
		}
		if hashes[i] != hashes[0] {
			fmt.Fprintf(os.Stderr, "go: goroutine %d got another std map\n", i)
			os.Exit(1)
		}
	}
	if released.Load() != goroutines {
		fmt.Fprintf(os.Stderr, "go: %d matcher handles released, expected %d\n", released.Load(), goroutines)
		os.Exit(1)
	}
	C.unetseg_shutdown_workers()
	fmt.Printf("go: unetseg %s, %d goroutines x %d failing calls with right messages, MC std map fnv1a %016x\n",
		C.GoString(C.unetseg_version_string()), goroutines, failingCalls, hashes[0])
}
