//! unetseg from Rust without crates: hand-written `extern "C"` declarations,
//! `Drop` wrappers that free each handle once, errors as `Result` with the
//! library's message. Built with rustc alone (make examples-ffi):
//!
//!   sh check_constants.sh main.rs "$(pkg-config --variable=includedir unetseg)/unetseg_constants.txt"
//!   rustc --edition 2021 -O main.rs -L "$(pkg-config --variable=libdir unetseg)" -o unetseg_rust
//!
//! The first line is the build-time check of the constants below against the
//! list generated from unetseg.h. The workload is that of examples/cpp and
//! examples/go (Unet('resnet18') 64x64, seed 42, ConditionalDropout ALWAYS 0.2
//! after "glob:decoder_stage*b_relu", 4 MC samples, seed 7), one model per
//! std::thread; it prints the FNV-1a hash of the std map's float bits.
#![allow(non_camel_case_types)]

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::ptr;

// ------------------------------------------------------------ constants
// Checked against unetseg_constants.txt by check_constants.sh at build time.
const UNETSEG_ABI_VERSION: i32 = 1;
const UNETSEG_OK: i32 = 0;
const UNETSEG_E_INVALID_ARG: i32 = -1;
const UNETSEG_E_SHAPE: i32 = -3;
const UNETSEG_E_NO_MATCH: i32 = -9;
const UNETSEG_LAYER_CONV2D: i32 = 1;
const UNETSEG_LAYER_CONDITIONAL_DROPOUT: i32 = 12;
const UNETSEG_DROPOUT_ALWAYS: i32 = 1;

// ------------------------------------------------------------- the C API
#[repr(C)]
struct unetseg_tensor {
    _private: [u8; 0],
}
#[repr(C)]
struct unetseg_model {
    _private: [u8; 0],
}
#[repr(C)]
struct unetseg_matcher {
    _private: [u8; 0],
}
#[repr(C)]
struct unetseg_insert_options {
    _private: [u8; 0],
}
#[repr(C)]
struct unetseg_unet_options {
    _private: [u8; 0],
}
type unetseg_match_fn = extern "C" fn(name: *const c_char, kind: i32, user: *mut c_void) -> i32;
type unetseg_destroy_fn = extern "C" fn(user: *mut c_void);

#[link(name = "unetseg")]
extern "C" {
    fn unetseg_abi_version() -> i32;
    fn unetseg_version_string() -> *const c_char;
    fn unetseg_status_string(status: i32) -> *const c_char;
    fn unetseg_last_error() -> *const c_char;
    fn unetseg_shutdown_workers();

    fn unetseg_tensor_create(rank: i32, shape: *const i64, out: *mut *mut unetseg_tensor) -> i32;
    fn unetseg_tensor_free(tensor: *mut unetseg_tensor);
    fn unetseg_tensor_numel(tensor: *const unetseg_tensor, count: *mut i64) -> i32;
    fn unetseg_tensor_data(tensor: *mut unetseg_tensor) -> *mut f32;
    fn unetseg_tensor_data_const(tensor: *const unetseg_tensor) -> *const f32;

    fn unetseg_unet_options_create(out: *mut *mut unetseg_unet_options) -> i32;
    fn unetseg_unet_options_free(options: *mut unetseg_unet_options);
    fn unetseg_unet_options_set_backbone(o: *mut unetseg_unet_options, b: *const c_char) -> i32;
    fn unetseg_unet_options_set_input_shape(o: *mut unetseg_unet_options, h: i64, w: i64, c: i64) -> i32;
    fn unetseg_unet_options_set_seed(o: *mut unetseg_unet_options, seed: u64) -> i32;
    fn unetseg_unet_create(o: *const unetseg_unet_options, out: *mut *mut unetseg_model) -> i32;

    fn unetseg_model_free(model: *mut unetseg_model);
    fn unetseg_model_last_error(model: *const unetseg_model) -> *const c_char;
    fn unetseg_model_set_threads(model: *mut unetseg_model, threads: i32) -> i32;
    fn unetseg_model_forward(m: *mut unetseg_model, x: *const unetseg_tensor, y: *mut *mut unetseg_tensor) -> i32;
    fn unetseg_model_predict_mc(
        m: *mut unetseg_model,
        x: *const unetseg_tensor,
        samples: i32,
        seed: u64,
        mean: *mut *mut unetseg_tensor,
        std: *mut *mut unetseg_tensor,
        entropy: *mut *mut unetseg_tensor,
    ) -> i32;

    fn unetseg_matcher_parse(expression: *const c_char, out: *mut *mut unetseg_matcher) -> i32;
    fn unetseg_matcher_create(out: *mut *mut unetseg_matcher) -> i32;
    fn unetseg_matcher_free(matcher: *mut unetseg_matcher);
    fn unetseg_matcher_callback_ex(
        m: *mut unetseg_matcher,
        f: unetseg_match_fn,
        user: *mut c_void,
        destroy: Option<unetseg_destroy_fn>,
    ) -> i32;
    fn unetseg_model_match(
        m: *const unetseg_model,
        mt: *const unetseg_matcher,
        indices: *mut i32,
        capacity: i32,
        count: *mut i32,
    ) -> i32;

    fn unetseg_insert_options_create(out: *mut *mut unetseg_insert_options) -> i32;
    fn unetseg_insert_options_free(options: *mut unetseg_insert_options);
    fn unetseg_insert_options_set_kind(o: *mut unetseg_insert_options, kind: i32) -> i32;
    fn unetseg_insert_options_set_rate(o: *mut unetseg_insert_options, rate: f64) -> i32;
    fn unetseg_insert_options_set_mode(o: *mut unetseg_insert_options, mode: i32, spatial: i32) -> i32;
    fn unetseg_model_insert_dropout(
        m: *mut unetseg_model,
        mt: *const unetseg_matcher,
        o: *const unetseg_insert_options,
        inserted: *mut i32,
    ) -> i32;
}

// ------------------------------------------------------------ wrappers
#[derive(Debug)]
struct Error {
    status: i32,
    message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let name = unsafe { CStr::from_ptr(unetseg_status_string(self.status)) };
        write!(f, "{}: {}", name.to_string_lossy(), self.message)
    }
}

fn text(p: *const c_char) -> String {
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A call on no model: a std::thread stays on its OS thread, so the
/// thread-local message read right away is this call's.
fn check(status: i32) -> Result<(), Error> {
    if status == UNETSEG_OK {
        Ok(())
    } else {
        Err(Error { status, message: text(unsafe { unetseg_last_error() }) })
    }
}

struct Tensor(*mut unetseg_tensor);

impl Tensor {
    fn new(shape: &[i64]) -> Result<Tensor, Error> {
        let mut t = ptr::null_mut();
        check(unsafe { unetseg_tensor_create(shape.len() as i32, shape.as_ptr(), &mut t) })?;
        Ok(Tensor(t))
    }
    fn numel(&self) -> usize {
        let mut n = 0i64;
        unsafe { unetseg_tensor_numel(self.0, &mut n) };
        n as usize
    }
    fn data(&self) -> &[f32] {
        unsafe { std::slice::from_raw_parts(unetseg_tensor_data_const(self.0), self.numel()) }
    }
    fn data_mut(&mut self) -> &mut [f32] {
        unsafe { std::slice::from_raw_parts_mut(unetseg_tensor_data(self.0), self.numel()) }
    }
}

impl Drop for Tensor {
    fn drop(&mut self) {
        unsafe { unetseg_tensor_free(self.0) }
    }
}

struct Matcher(*mut unetseg_matcher);

impl Matcher {
    fn parse(expression: &str) -> Result<Matcher, Error> {
        let e = CString::new(expression).unwrap();
        let mut m = ptr::null_mut();
        check(unsafe { unetseg_matcher_parse(e.as_ptr(), &mut m) })?;
        Ok(Matcher(m))
    }

    /// A condition from a Rust closure; the matcher owns the boxed closure
    /// and drops it (destroy) when it is freed, or at once if this fails.
    fn with_closure<F: Fn(&str, i32) -> bool + Send + 'static>(f: F) -> Result<Matcher, Error> {
        extern "C" fn call<F: Fn(&str, i32) -> bool>(name: *const c_char, kind: i32, user: *mut c_void) -> i32 {
            let f = unsafe { &*(user as *const F) };
            let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
            f(&name, kind) as i32
        }
        extern "C" fn destroy<F>(user: *mut c_void) {
            drop(unsafe { Box::from_raw(user as *mut F) });
        }
        let mut m = ptr::null_mut();
        check(unsafe { unetseg_matcher_create(&mut m) })?;
        let matcher = Matcher(m);
        let user = Box::into_raw(Box::new(f)) as *mut c_void;
        check(unsafe { unetseg_matcher_callback_ex(matcher.0, call::<F>, user, Some(destroy::<F>)) })?;
        Ok(matcher)
    }
}

impl Drop for Matcher {
    fn drop(&mut self) {
        unsafe { unetseg_matcher_free(self.0) }
    }
}

struct Model(*mut unetseg_model);

// A model may move to another thread (used by one at a time).
unsafe impl Send for Model {}

impl Model {
    fn unet(backbone: &str, size: i64, seed: u64) -> Result<Model, Error> {
        struct Options(*mut unetseg_unet_options);
        impl Drop for Options {
            fn drop(&mut self) {
                unsafe { unetseg_unet_options_free(self.0) }
            }
        }
        let mut o = Options(ptr::null_mut());
        check(unsafe { unetseg_unet_options_create(&mut o.0) })?;
        let b = CString::new(backbone).unwrap();
        check(unsafe { unetseg_unet_options_set_backbone(o.0, b.as_ptr()) })?;
        check(unsafe { unetseg_unet_options_set_input_shape(o.0, size, size, 3) })?;
        check(unsafe { unetseg_unet_options_set_seed(o.0, seed) })?;
        let mut m = ptr::null_mut();
        check(unsafe { unetseg_unet_create(o.0, &mut m) })?;
        Ok(Model(m))
    }

    /// A call on this model: the message is the model's own copy.
    fn check(&self, status: i32) -> Result<(), Error> {
        if status == UNETSEG_OK {
            Ok(())
        } else {
            Err(Error { status, message: text(unsafe { unetseg_model_last_error(self.0) }) })
        }
    }

    fn set_threads(&mut self, n: i32) -> Result<(), Error> {
        self.check(unsafe { unetseg_model_set_threads(self.0, n) })
    }

    fn matches(&self, matcher: &Matcher) -> Result<Vec<i32>, Error> {
        let mut idx = vec![0i32; 512];
        let mut n = 0i32;
        self.check(unsafe { unetseg_model_match(self.0, matcher.0, idx.as_mut_ptr(), 512, &mut n) })?;
        idx.truncate(n as usize);
        Ok(idx)
    }

    fn insert_conditional_dropout(&mut self, matcher: &Matcher, rate: f64) -> Result<i32, Error> {
        struct Options(*mut unetseg_insert_options);
        impl Drop for Options {
            fn drop(&mut self) {
                unsafe { unetseg_insert_options_free(self.0) }
            }
        }
        let mut o = Options(ptr::null_mut());
        check(unsafe { unetseg_insert_options_create(&mut o.0) })?;
        check(unsafe { unetseg_insert_options_set_kind(o.0, UNETSEG_LAYER_CONDITIONAL_DROPOUT) })?;
        check(unsafe { unetseg_insert_options_set_rate(o.0, rate) })?;
        check(unsafe { unetseg_insert_options_set_mode(o.0, UNETSEG_DROPOUT_ALWAYS, 0) })?;
        let mut n = 0;
        self.check(unsafe { unetseg_model_insert_dropout(self.0, matcher.0, o.0, &mut n) })?;
        Ok(n)
    }

    fn forward(&mut self, x: &Tensor) -> Result<Tensor, Error> {
        let mut y = ptr::null_mut();
        self.check(unsafe { unetseg_model_forward(self.0, x.0, &mut y) })?;
        Ok(Tensor(y))
    }

    fn predict_mc(&mut self, x: &Tensor, samples: i32, seed: u64) -> Result<(Tensor, Tensor), Error> {
        let (mut mean, mut std) = (ptr::null_mut(), ptr::null_mut());
        self.check(unsafe {
            unetseg_model_predict_mc(self.0, x.0, samples, seed, &mut mean, &mut std, ptr::null_mut())
        })?;
        Ok((Tensor(mean), Tensor(std)))
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        unsafe { unetseg_model_free(self.0) }
    }
}

// ------------------------------------------------------------- workload
fn fnv1a(v: &[f32]) -> u64 {
    let mut h: u64 = 1469598103934665603;
    for x in v {
        for b in x.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(1099511628211);
        }
    }
    h
}

fn workload() -> Result<u64, String> {
    let e = |e: Error| e.to_string();
    let mut model = Model::unet("resnet18", 64, 42).map_err(e)?;
    model.set_threads(1).map_err(e)?;
    // the closure matcher selects the same layers as the glob
    let by_closure = Matcher::with_closure(|name, kind| {
        kind == UNETSEG_LAYER_CONV2D && name.starts_with("decoder_stage") && name.ends_with("b_conv")
    })
    .map_err(e)?;
    if model.matches(&by_closure).map_err(e)?.len() != 5 {
        return Err("the closure matcher should select 5 decoder convs".into());
    }
    let glob = Matcher::parse("glob:decoder_stage*b_relu").map_err(e)?;
    if model.insert_conditional_dropout(&glob, 0.2).map_err(e)? != 5 {
        return Err("expected 5 insertions".into());
    }
    let mut x = Tensor::new(&[1, 64, 64, 3]).map_err(e)?;
    for (i, v) in x.data_mut().iter_mut().enumerate() {
        *v = ((i * 37) % 256) as f32 / 255.0;
    }
    let (_mean, std) = model.predict_mc(&x, 4, 7).map_err(e)?;

    // failures on purpose: one on the model, one on no model
    let bad = Tensor::new(&[1, 64, 64, 4]).map_err(e)?;
    match model.forward(&bad) {
        Err(err) if err.status == UNETSEG_E_SHAPE && err.message.contains("4 channels") => {}
        other => return Err(format!("forward of 4 channels: {:?}", other.map(|_| ()))),
    }
    match Tensor::new(&[0]) {
        Err(err) if err.status == UNETSEG_E_INVALID_ARG && err.message.starts_with("tensor_create:") => {}
        _ => return Err("tensor_create([0]) should fail with INVALID_ARG".into()),
    }
    match model.matches(&Matcher::parse("block").map_err(e)?) {
        Err(err) if err.status == UNETSEG_E_NO_MATCH => {}
        _ => return Err("'block' should match nothing".into()),
    }
    Ok(fnv1a(std.data()))
}

fn main() {
    if unsafe { unetseg_abi_version() } != UNETSEG_ABI_VERSION {
        eprintln!("rust: libunetseg of another ABI");
        std::process::exit(1);
    }
    let threads: Vec<_> = (0..2).map(|_| std::thread::spawn(workload)).collect();
    let results: Vec<Result<u64, String>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for (i, r) in results.iter().enumerate() {
        match r {
            Err(msg) => {
                eprintln!("rust: thread {}: {}", i, msg);
                std::process::exit(1);
            }
            Ok(h) if Some(h) != results[0].as_ref().ok() => {
                eprintln!("rust: thread {} got another std map", i);
                std::process::exit(1);
            }
            Ok(_) => {}
        }
    }
    unsafe { unetseg_shutdown_workers() };
    println!(
        "rust: unetseg {}, {} threads, MC std map fnv1a {:016x}",
        text(unsafe { unetseg_version_string() }),
        results.len(),
        results[0].as_ref().unwrap()
    );
}
