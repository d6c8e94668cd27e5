//go:build cudaemu

// runtime.cc: the emulated device: memory, the kernel table, fibers (one per
// GPU thread of a block) with a hand-written context switch, the block
// scheduler with its barrier and warp-collective checks, and the worker pool
// that spreads a grid's blocks over OS threads. See doc.go.

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "emu_api.h"
#include "emu_cuda.h"
#include "emu_reg.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define EMU_ASAN 1
#endif

#define EMU_IE __attribute__((tls_model("initial-exec")))

__thread EMU_IE uint3 blockIdx;
__thread EMU_IE uint3 blockDim;
__thread EMU_IE uint3 gridDim;

// emu_dyn_shared is the worker's dynamic shared memory (zz_shared.cc defines
// it and binds every extern __shared__ name of the kernels to it).
extern "C" __thread EMU_IE unsigned char emu_dyn_shared[];

namespace emu {

__thread EMU_IE FiberHead* t_fiber;

// ---------------------------------------------------------------- memory

namespace {

std::mutex g_mem_mu;
std::map<uint64_t, int64_t> g_allocs;  // base -> bytes
int64_t g_live;

// find returns the allocation holding p (p may equal its end when end is
// true), or g_allocs.end(). The caller holds g_mem_mu.
std::map<uint64_t, int64_t>::iterator find_alloc(uint64_t p, bool end) {
  auto it = g_allocs.upper_bound(p);
  if (it == g_allocs.begin()) return g_allocs.end();
  --it;
  uint64_t lim = it->first + (uint64_t)it->second;
  if (p < lim || (end && p == lim)) return it;
  return g_allocs.end();
}

}  // namespace
}  // namespace emu

using namespace emu;

extern "C" uint64_t emu_malloc(int64_t bytes) {
  if (bytes <= 0) return 0;
  size_t sz = ((size_t)bytes + 255) & ~(size_t)255;
  void* p = aligned_alloc(256, sz);
  if (!p) return 0;
  // Undefined contents: a NaN in float and in double views.
  uint32_t* w = (uint32_t*)p;
  for (size_t i = 0; i < sz / 4; i++) w[i] = 0x7fffffffu;
  std::lock_guard<std::mutex> g(g_mem_mu);
  g_allocs[(uint64_t)(uintptr_t)p] = bytes;
  g_live += bytes;
  return (uint64_t)(uintptr_t)p;
}

extern "C" int emu_free(uint64_t p) {
  std::lock_guard<std::mutex> g(g_mem_mu);
  auto it = g_allocs.find(p);
  if (it == g_allocs.end()) return -1;
  g_live -= it->second;
  g_allocs.erase(it);
  free((void*)(uintptr_t)p);
  return 0;
}

extern "C" int64_t emu_live_bytes(void) {
  std::lock_guard<std::mutex> g(g_mem_mu);
  return g_live;
}

extern "C" int emu_check_range(uint64_t p, int64_t bytes) {
  if (bytes < 0) return -1;
  std::lock_guard<std::mutex> g(g_mem_mu);
  auto it = find_alloc(p, bytes == 0);
  if (it == g_allocs.end()) return -1;
  if (p + (uint64_t)bytes > it->first + (uint64_t)it->second) return -1;
  return 0;
}

extern "C" int emu_check_pointer(uint64_t p) {
  if (p == 0) return 0;
  std::lock_guard<std::mutex> g(g_mem_mu);
  return find_alloc(p, true) == g_allocs.end() ? -1 : 0;
}

extern "C" void emu_memset32(uint64_t p, uint32_t v, int64_t n) {
  uint32_t* w = (uint32_t*)(uintptr_t)p;
  for (int64_t i = 0; i < n; i++) w[i] = v;
}
extern "C" void emu_copy_hd(uint64_t dst, const void* src, int64_t bytes) {
  memmove((void*)(uintptr_t)dst, src, (size_t)bytes);
}
extern "C" void emu_copy_dh(void* dst, uint64_t src, int64_t bytes) {
  memmove(dst, (const void*)(uintptr_t)src, (size_t)bytes);
}
extern "C" void emu_copy_dd(uint64_t dst, uint64_t src, int64_t bytes) {
  memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, (size_t)bytes);
}

// ---------------------------------------------------------------- kernel table

namespace emu {
namespace {

struct KernelInfo {
  const char* name;
  const char* module;
  const char* params;
  void (*fn)();
  Tramp tramp;
  Loop loop;
  int test;
  std::atomic<int> sync_free;  // gen.go's classification (a test may override it)
  KernelInfo(const char* n, const char* m, const char* p, void (*f)(), Tramp t, Loop l, int te, int sf)
      : name(n), module(m), params(p), fn(f), tramp(t), loop(l), test(te), sync_free(sf) {}
};

// The table is a deque: KernelInfo holds an atomic (not movable).
std::deque<KernelInfo>& table() {
  static std::deque<KernelInfo> t;
  return t;
}



}  // namespace

int register_kernel(const char* name, const char* module, const char* params, void (*fn)(), Tramp tramp, Loop loop,
                    int test, int sync_free) {
  table().emplace_back(name, module, params, fn, tramp, loop, test, sync_free);
  return (int)table().size();
}

}  // namespace emu

extern "C" int emu_kernel_count(void) { return (int)table().size(); }
extern "C" const char* emu_kernel_name(int k) { return table()[k].name; }
extern "C" const char* emu_kernel_module(int k) { return table()[k].module; }
extern "C" const char* emu_kernel_params(int k) { return table()[k].params; }
extern "C" int emu_kernel_test(int k) { return table()[k].test; }
extern "C" int emu_kernel_sync_free(int k) { return table()[k].sync_free.load(); }
extern "C" void emu_set_kernel_sync_free(int k, int v) { table()[k].sync_free.store(v); }

// ---------------------------------------------------------------- context switch

// emu_ctx_switch(save, to) saves the callee-saved registers on the current
// stack, stores the stack pointer in *save and resumes the context whose
// stack pointer is to. A new context's stack holds the same frame with
// emu_ctx_entry as return address, r12 = argument and r13 = function.
//
// With -DEMU_SWITCH_FPCSR=1 it also saves MXCSR and the x87 control word and
// loads the target's. By default (0) it does not: device code has no way to
// change them, every fiber starts with its worker's, and the block's checks
// (block_end) then see any change a fiber made, which a switch that
// restored the scheduler's values would hide. Dropping them made a warp
// shuffle about 20% cheaper (BenchmarkShuffle).
#if defined(__x86_64__)
#ifndef EMU_SWITCH_FPCSR
#define EMU_SWITCH_FPCSR 0
#endif
#if EMU_SWITCH_FPCSR
#define EMU_FP_SAVE "\tstmxcsr (%rsp)\n\tfnstcw 4(%rsp)\n"
#define EMU_FP_LOAD "\tldmxcsr (%rsp)\n\tfldcw 4(%rsp)\n"
#else
#define EMU_FP_SAVE ""
#define EMU_FP_LOAD ""
#endif
asm(R"(
	.text
	.p2align 4
	.globl emu_ctx_switch
	.hidden emu_ctx_switch
	.type emu_ctx_switch,@function
emu_ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
)" EMU_FP_SAVE R"(
	movq %rsp, (%rdi)
	movq %rsi, %rsp
)" EMU_FP_LOAD R"(
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size emu_ctx_switch,.-emu_ctx_switch

	.p2align 4
	.globl emu_ctx_entry
	.hidden emu_ctx_entry
	.type emu_ctx_entry,@function
emu_ctx_entry:
	movq %r12, %rdi
	callq *%r13
	ud2
	.size emu_ctx_entry,.-emu_ctx_entry
)");
extern "C" __attribute__((visibility("hidden"))) void emu_ctx_switch(void** save, void* to);
extern "C" __attribute__((visibility("hidden"))) void emu_ctx_entry(void);
#else
#include <ucontext.h>
#define EMU_UCONTEXT 1
#endif

namespace emu {
namespace {

// ---------------------------------------------------------------- fibers

// A fiber's stack is kStack bytes; its top is lowered by a per-fiber offset
// (below kStagger) so that the hot top lines of the 1024 stacks of a block
// fall into different cache sets (a 64 KB stride would map them all to one).
#if defined(EMU_ASAN)
constexpr size_t kUsable = 256 << 10;
#else
constexpr size_t kUsable = 64 << 10;
#endif
constexpr size_t kStagger = 64 << 10;
constexpr size_t kStack = kUsable + kStagger;
constexpr size_t kGuard = 4096;
constexpr int kChunk = 32;  // fibers per stack mapping

enum State { READY, RUNNING, AT_BARRIER, AT_COLL, EXITED, FAILED };

struct Worker;

struct Fiber : FiberHead {
  Worker* w;
  int lin, warp, lane;
  int state;
  // the pending collective
  int ckind, cparam, cwidth;
  unsigned cmask;
  uint64_t cval, cres;
  unsigned char* stack_lo;
  unsigned char* stack_top;  // the fiber's stack is [stack_lo, stack_top)
#if defined(EMU_UCONTEXT)
  ucontext_t uc;
#endif
};

struct Warp {
  unsigned exited;   // lanes that exited (or do not exist)
  unsigned waiting;  // lanes waiting in a collective
  unsigned barrier;  // lanes waiting at __syncthreads
  unsigned gmask;    // mask and kind of the waiting group (when !multi)
  int gkind;
  bool multi;  // more than one group waits
};

struct Launch;

struct Worker {
  void* sched_sp = nullptr;
#if defined(EMU_UCONTEXT)
  ucontext_t sched_uc;
#endif
#if defined(EMU_ASAN)
  const void* sched_lo = nullptr;
  size_t sched_size = 0;
#endif
  std::vector<Fiber*> fibers;
  Launch* launch = nullptr;
  // the block
  int n = 0;
  std::vector<int> queue;  // ring of fiber indices
  int qhead = 0, qcount = 0;
  std::vector<Warp> warps;
  std::vector<int> order;
  int exited = 0, at_barrier = 0;
  const char* bfile = nullptr;
  int bline = 0;
  uint64_t phase = 0;
  bool failed = false;
  bool err_whole = false;  // err is the whole message (no "block (...): " prefix)
  char err[1024];
  // Sync-free blocks: the thread running (t_fiber), the threadIdx of each
  // call in order, and the block shape and order tids was made for.
  FiberHead dhead{};
  std::vector<uint3> tids;
  uint3 tids_block{0, 0, 0};
  int tids_order = -1;
};

__thread EMU_IE Worker* t_worker;

std::atomic<int> g_order{0};
std::atomic<uint64_t> g_seed{1};
std::atomic<int> g_fibers{0};  // 1: every kernel with fibers

struct Launch {
  const KernelInfo* k;
  uint3 grid, block;
  int shared;
  bool direct;  // sync-free: threads as plain calls (run_direct), not fibers
  const uint64_t* slots;
  int64_t nblocks;
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string err;
  int64_t fail_block = 0;  // the block err is of
};

void fiber_main(Fiber* f);

#if defined(__x86_64__)
inline uint32_t mxcsr() {
  uint32_t v;
  asm volatile("stmxcsr %0" : "=m"(v));
  return v;
}
inline uint16_t x87cw() {
  uint16_t v;
  asm volatile("fnstcw %0" : "=m"(v));
  return v;
}
inline void set_fp_control(uint32_t csr, uint16_t cw) {
  asm volatile("ldmxcsr %0" : : "m"(csr));
  asm volatile("fldcw %0" : : "m"(cw));
}
#else
inline uint32_t mxcsr() { return 0; }
inline uint16_t x87cw() { return 0; }
inline void set_fp_control(uint32_t, uint16_t) {}
#endif

void fiber_init(Fiber* f) {
  unsigned char* top = f->stack_top;
#if defined(EMU_UCONTEXT)
  getcontext(&f->uc);
  f->uc.uc_stack.ss_sp = f->stack_lo;
  f->uc.uc_stack.ss_size = (size_t)(f->stack_top - f->stack_lo);
  f->uc.uc_link = nullptr;
  makecontext(&f->uc, (void (*)())fiber_main, 1, f);
  (void)top;
#else
  uint64_t* s = (uint64_t*)(((uintptr_t)top & ~(uintptr_t)15) - 80);
  s[0] = (uint64_t)mxcsr() | ((uint64_t)x87cw() << 32);
  s[1] = 0;                         // r15
  s[2] = 0;                         // r14
  s[3] = (uint64_t)(uintptr_t)&fiber_main;  // r13
  s[4] = (uint64_t)(uintptr_t)f;    // r12
  s[5] = 0;                         // rbx
  s[6] = 0;                         // rbp
  s[7] = (uint64_t)(uintptr_t)&emu_ctx_entry;
  f->sp = s;
#endif
#if defined(EMU_ASAN)
  ASAN_UNPOISON_MEMORY_REGION(f->stack_lo, (size_t)(f->stack_top - f->stack_lo));
#endif
}

// to_fiber runs f until it yields back (called on the worker's own stack).
inline void to_fiber(Worker* w, Fiber* f) {
  t_fiber = f;
  f->state = RUNNING;
#if defined(EMU_ASAN)
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, f->stack_lo, (size_t)(f->stack_top - f->stack_lo));
#endif
#if defined(EMU_UCONTEXT)
  swapcontext(&w->sched_uc, &f->uc);
#else
  emu_ctx_switch(&w->sched_sp, f->sp);
#endif
#if defined(EMU_ASAN)
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
}

// to_sched yields from fiber f to its worker's scheduler.
inline void to_sched(Fiber* f) {
  Worker* w = f->w;
#if defined(EMU_ASAN)
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, w->sched_lo, w->sched_size);
#endif
#if defined(EMU_UCONTEXT)
  swapcontext(&f->uc, &w->sched_uc);
#else
  emu_ctx_switch(&f->sp, w->sched_sp);
#endif
#if defined(EMU_ASAN)
  // (it may resume from another fiber: the scheduler's stack is recorded
  // once, by the first fiber the worker starts, in fiber_main)
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
}

// yield leaves fiber f (waiting or exited) for the next ready fiber: it
// switches to that fiber directly (half the switches of a return to the
// scheduler), or to the scheduler when none is ready or the block failed.
// The fibers run in the same order either way: the scheduler's loop pops the
// same queue.
inline void yield(Fiber* f) {
  Worker* w = f->w;
  if (w->qcount == 0 || w->failed) {
    to_sched(f);
    return;
  }
  int i = w->queue[w->qhead];
  if (++w->qhead == w->n) w->qhead = 0;
  w->qcount--;
  Fiber* g = w->fibers[i];
  g->state = RUNNING;
  if (g == f) return;  // f itself is next (the last to reach a barrier)
  t_fiber = g;
#if defined(EMU_ASAN)
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, g->stack_lo, (size_t)(g->stack_top - g->stack_lo));
#endif
#if defined(EMU_UCONTEXT)
  swapcontext(&f->uc, &g->uc);
#else
  emu_ctx_switch(&f->sp, g->sp);
#endif
#if defined(EMU_ASAN)
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
}

const char* base_name(const char* path) {
  const char* b = path;
  for (const char* p = path; *p; p++)
    if (*p == '/') b = p + 1;
  return b;
}

// fail records the block's error and leaves the fiber for good (the
// scheduler resets it). Nothing on the fiber's stack needs destruction.
[[noreturn]] __attribute__((format(printf, 2, 3))) void fail(Fiber* f, const char* format, ...) {
  Worker* w = f->w;
  va_list ap;
  va_start(ap, format);
  vsnprintf(w->err, sizeof w->err, format, ap);
  va_end(ap);
  w->failed = true;
  f->state = FAILED;
  to_sched(f);
  __builtin_unreachable();
}

#define TID(f) (f)->tid.x, (f)->tid.y, (f)->tid.z

// The ready queue is a ring of w->n entries (a fiber is in it at most once).
inline void push(Worker* w, int i) {
  int j = w->qhead + w->qcount;
  if (j >= w->n) j -= w->n;
  w->queue[j] = i;
  w->qcount++;
}

inline void push_front(Worker* w, int i) {
  w->qhead = w->qhead == 0 ? w->n - 1 : w->qhead - 1;
  w->queue[w->qhead] = i;
  w->qcount++;
}

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// shuffle_order sets w->order[0..n) to the shuffle mode's permutation of
// the block's threads for the next phase (start, or restart after a barrier).
void shuffle_order(Worker* w, int n) {
  uint64_t s = g_seed.load(std::memory_order_relaxed) ^ (w->phase++ * 0xd1b54a32d192ed03ull) ^
               (((uint64_t)blockIdx.x << 40) ^ ((uint64_t)blockIdx.y << 20) ^ blockIdx.z);
  for (int i = 0; i < n; i++) w->order[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(splitmix(s) % (uint64_t)(i + 1));
    int t = w->order[i];
    w->order[i] = w->order[j];
    w->order[j] = t;
  }
}

// push_all queues every thread of the block in the order mode's order.
void push_all(Worker* w) {
  int n = w->n, o = g_order.load(std::memory_order_relaxed);
  if (o == 0) {
    for (int i = 0; i < n; i++) push(w, i);
  } else if (o == 1) {
    for (int i = n - 1; i >= 0; i--) push(w, i);
  } else {
    shuffle_order(w, n);
    for (int i = 0; i < n; i++) push(w, w->order[i]);
  }
}

// push_lanes queues the lanes in mask of warp wi but except at the front,
// so that they run next (the warp stays in cache): in forward order, in
// reverse order, or from a random lane on for shuffle.
void push_lanes(Worker* w, int wi, unsigned mask, int except) {
  int o = g_order.load(std::memory_order_relaxed), start = 0;
  if (o == 2) {
    uint64_t s = g_seed.load(std::memory_order_relaxed) ^ (w->phase++ * 0x9e3779b97f4a7c15ull);
    start = (int)(splitmix(s) & 31);
  }
  // Pushed at the front in reverse, they run in the order's order.
  for (int k = 31; k >= 0; k--) {
    int lane = o == 1 ? 31 - k : (start + k) & 31;
    if (!(mask >> lane & 1)) continue;
    int i = wi * 32 + lane;
    if (i == except) continue;
    w->fibers[i]->state = READY;
    push_front(w, i);
  }
}

const char* coll_name(int kind) {
  switch (kind & 0xff) {
    case COLL_SHFL_IDX: return "__shfl_sync";
    case COLL_SHFL_UP: return "__shfl_up_sync";
    case COLL_SHFL_DOWN: return "__shfl_down_sync";
    case COLL_SHFL_XOR: return "__shfl_xor_sync";
    case COLL_BALLOT: return "__ballot_sync";
    case COLL_ANY: return "__any_sync";
    case COLL_ALL: return "__all_sync";
    case COLL_SYNCWARP: return "__syncwarp";
    case COLL_WMMA_LOAD: return "wmma::load_matrix_sync";
    case COLL_WMMA_STORE: return "wmma::store_matrix_sync";
    case COLL_WMMA_MMA: return "wmma::mma_sync";
  }
  return "?";
}

// check_waiters fails when a lane of f's warp waits in a collective whose
// mask names f (which is about to exit or wait at a barrier).
void check_waiters(Fiber* f, const char* what) {
  Worker* w = f->w;
  Warp& wp = w->warps[f->warp];
  unsigned bit = 1u << f->lane;
  for (unsigned m = wp.waiting; m; m &= m - 1) {
    Fiber* g = w->fibers[f->warp * 32 + __builtin_ctz(m)];
    if (g->cmask & bit)
      fail(f, "thread (%u,%u,%u) %s while thread (%u,%u,%u) waits for it in %s (mask 0x%08x)", TID(f), what, TID(g),
           coll_name(g->ckind), g->cmask);
  }
}

// complete computes the results of the collective of the lanes in mask of
// warp wi, which have all arrived.
void complete(Fiber* f, int wi, unsigned mask, int kind, int width) {
  Worker* w = f->w;
  Fiber** lanes = &w->fibers[wi * 32];
  int op = kind & 0xff;
  if (op == COLL_BALLOT || op == COLL_ANY || op == COLL_ALL) {
    unsigned b = 0;
    for (unsigned m = mask; m; m &= m - 1) {
      int l = __builtin_ctz(m);
      if (lanes[l]->cval) b |= 1u << l;
    }
    uint64_t r = op == COLL_BALLOT ? b : op == COLL_ANY ? (b != 0) : (b == mask);
    for (unsigned m = mask; m; m &= m - 1) lanes[__builtin_ctz(m)]->cres = r;
    return;
  }
  if (op == COLL_SYNCWARP || op == COLL_WMMA_LOAD || op == COLL_WMMA_STORE || op == COLL_WMMA_MMA) return;
  for (unsigned m = mask; m; m &= m - 1) {
    int l = __builtin_ctz(m);
    Fiber* g = lanes[l];
    int seg = l & ~(width - 1), src;
    unsigned p = (unsigned)g->cparam;
    switch (op) {
      case COLL_SHFL_IDX: src = seg + (int)(p & (unsigned)(width - 1)); break;
      case COLL_SHFL_UP: src = (int)p >= width || l - (int)p < seg ? l : l - (int)p; break;
      case COLL_SHFL_DOWN: src = (int)p >= width || l + (int)p >= seg + width ? l : l + (int)p; break;
      default: src = (int)((unsigned)l ^ (p & 31)); if (src >= seg + width) src = l; break;
    }
    if (!(mask >> src & 1))
      fail(f, "%s: thread (%u,%u,%u) (lane %d) reads lane %d, which is not in the mask 0x%08x", coll_name(kind),
           TID(g), l, src, mask);
    g->cres = lanes[src]->cval;
  }
}

}  // namespace

namespace {

// DirectSync is thrown when a thread run as a plain call (a kernel that
// gen.go classified sync-free) reaches a barrier or a warp collective; the
// block's loop catches it and fails the launch.
struct DirectSync {
  const char* what;
  const char* file;
  int line;
};

[[noreturn]] __attribute__((noinline)) void direct_sync(const char* what, const char* file, int line) {
  throw DirectSync{what, file, line};
}

}  // namespace

uint64_t collective(int kind, unsigned mask, uint64_t v, int param, int width, const char* file, int line) {
  if (__builtin_expect(t_fiber->direct, 0)) direct_sync(coll_name(kind), file, line);
  Fiber* f = static_cast<Fiber*>(t_fiber);
  Worker* w = f->w;
  Warp& wp = w->warps[f->warp];
  unsigned bit = 1u << f->lane;
  if (!(mask & bit))
    fail(f, "%s: thread (%u,%u,%u) (lane %d) calls with mask 0x%08x, which does not name it", coll_name(kind), TID(f),
         f->lane, mask);
  if (width < 1 || width > 32 || (width & (width - 1)))
    fail(f, "%s: thread (%u,%u,%u): width %d is not a power of 2 in [1, 32]", coll_name(kind), TID(f), width);
  if (mask & wp.exited) {
    int l = __builtin_ctz(mask & wp.exited);
    fail(f, "%s: thread (%u,%u,%u) (lane %d) waits for lane %d (mask 0x%08x), which exited%s", coll_name(kind),
         TID(f), f->lane, l, mask, f->warp * 32 + l >= w->n ? " (it is beyond the block's threads)" : "");
  }
  if (mask & wp.barrier) {
    Fiber* g = w->fibers[f->warp * 32 + __builtin_ctz(mask & wp.barrier)];
    fail(f, "%s: thread (%u,%u,%u) waits for thread (%u,%u,%u) (mask 0x%08x), which waits at __syncthreads at %s:%d",
         coll_name(kind), TID(f), TID(g), mask, base_name(w->bfile), w->bline);
  }
  f->ckind = kind;
  f->cmask = mask;
  f->cval = v;
  f->cparam = param;
  f->cwidth = width;
  if (wp.waiting == 0) {
    wp.gmask = mask;
    wp.gkind = kind;
    wp.multi = false;
  } else if (wp.multi || wp.gmask != mask || wp.gkind != kind) {
    for (unsigned m = wp.waiting; m; m &= m - 1) {
      Fiber* g = w->fibers[f->warp * 32 + __builtin_ctz(m)];
      bool related = (g->cmask & bit) || (mask >> g->lane & 1);
      if (related && (g->cmask != mask || g->ckind != kind || g->cwidth != width))
        fail(f,
             "warp collective mismatch: thread (%u,%u,%u) calls %s with mask 0x%08x while thread (%u,%u,%u) waits in "
             "%s with mask 0x%08x",
             TID(f), coll_name(kind), mask, TID(g), coll_name(g->ckind), g->cmask);
    }
    wp.multi = true;
  } else {
    // same group: check the width too (rare to differ)
    Fiber* g = w->fibers[f->warp * 32 + __builtin_ctz(wp.waiting)];
    if (g->cwidth != width)
      fail(f, "%s: thread (%u,%u,%u) uses width %d, thread (%u,%u,%u) width %d", coll_name(kind), TID(f), width,
           TID(g), g->cwidth);
  }
  wp.waiting |= bit;
  if ((wp.waiting & mask) == mask) {
    complete(f, f->warp, mask, kind, width);
    wp.waiting &= ~mask;
    if (wp.waiting == 0) wp.multi = false;
    push_lanes(w, f->warp, mask, f->lin);
    return f->cres;
  }
  f->state = AT_COLL;
  yield(f);
  return f->cres;
}

void device_error(const char* file, int line, const char* format, ...) {
  static thread_local char msg[400];  // outlives a DirectSync thrown with it
  va_list ap;
  va_start(ap, format);
  vsnprintf(msg, sizeof msg, format, ap);
  va_end(ap);
  if (t_fiber->direct) direct_sync(msg, file, line);
  Fiber* f = static_cast<Fiber*>(t_fiber);
  fail(f, "%s at %s:%d (block (%u,%u,%u), thread (%u,%u,%u))", msg, base_name(file), line, blockIdx.x, blockIdx.y,
       blockIdx.z, TID(f));
}

void syncthreads(const char* file, int line) {
  if (__builtin_expect(t_fiber->direct, 0)) direct_sync("__syncthreads", file, line);
  Fiber* f = static_cast<Fiber*>(t_fiber);
  Worker* w = f->w;
  Warp& wp = w->warps[f->warp];
  if (w->exited > 0) {
    Fiber* g = nullptr;
    for (int i = 0; i < w->n && !g; i++)
      if (w->fibers[i]->state == EXITED) g = w->fibers[i];
    fail(f, "thread (%u,%u,%u) waits at __syncthreads at %s:%d, but %d threads exited (e.g. (%u,%u,%u))", TID(f),
         base_name(file), line, w->exited, TID(g));
  }
  if (wp.waiting) check_waiters(f, "waits at __syncthreads");
  if (w->at_barrier == 0) {
    w->bfile = file;
    w->bline = line;
  } else if (line != w->bline || (file != w->bfile && strcmp(file, w->bfile) != 0)) {
    Fiber* g = nullptr;
    for (int i = 0; i < w->n && !g; i++)
      if (w->fibers[i]->state == AT_BARRIER) g = w->fibers[i];
    fail(f, "divergent barriers: thread (%u,%u,%u) waits at __syncthreads at %s:%d, thread (%u,%u,%u) at %s:%d",
         TID(f), base_name(file), line, TID(g), base_name(w->bfile), w->bline);
  }
  f->state = AT_BARRIER;
  wp.barrier |= 1u << f->lane;
  if (++w->at_barrier == w->n) {
    w->at_barrier = 0;
    for (auto& x : w->warps) x.barrier = 0;
    for (int i = 0; i < w->n; i++) w->fibers[i]->state = READY;
    push_all(w);
  }
  yield(f);
}

namespace {

// thread_exit is where a fiber's kernel call returns.
void thread_exit(Fiber* f) {
  Worker* w = f->w;
  Warp& wp = w->warps[f->warp];
  if (w->at_barrier > 0)
    fail(f, "thread (%u,%u,%u) exited while %d threads wait at __syncthreads at %s:%d", TID(f), w->at_barrier,
         base_name(w->bfile), w->bline);
  if (wp.waiting) check_waiters(f, "exited");
  wp.exited |= 1u << f->lane;
  w->exited++;
  f->state = EXITED;
  yield(f);
}

void fiber_main(Fiber* f) {
#if defined(EMU_ASAN)
  const void* lo = nullptr;
  size_t size = 0;
  __sanitizer_finish_switch_fiber(nullptr, &lo, &size);
  if (!f->w->sched_lo) {  // the worker's first fiber starts from the scheduler
    f->w->sched_lo = lo;
    f->w->sched_size = size;
  }
#endif
  for (;;) {
    Launch* L = f->w->launch;
    L->k->tramp(L->k->fn, L->slots);
    thread_exit(f);
  }
}

void ensure_fibers(Worker* w, int n) {
  while ((int)w->fibers.size() < n) {
    size_t slot = kGuard + kStack;
    unsigned char* base = (unsigned char*)mmap(nullptr, slot * kChunk, PROT_READ | PROT_WRITE,
                                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
      fprintf(stderr, "emu: mmap of fiber stacks failed\n");
      abort();
    }
    for (int i = 0; i < kChunk; i++) {
      mprotect(base + i * slot, kGuard, PROT_NONE);
      // The Fiber lives at the top of its own stack (below the stagger):
      // its fields and the saved frame share lines and pages.
      unsigned char* lo = base + i * slot + kGuard;
      size_t stagger = (w->fibers.size() * 1088) % kStagger;  // 1024 distinct 64-byte lines
      uintptr_t at = ((uintptr_t)(lo + kStack - stagger) - sizeof(Fiber)) & ~(uintptr_t)63;
      Fiber* f = new ((void*)at) Fiber();
      f->w = w;
      f->stack_lo = lo;
      f->stack_top = (unsigned char*)at;
      fiber_init(f);
      w->fibers.push_back(f);
    }
  }
}

Worker* worker() {
  if (!t_worker) t_worker = new Worker();
  return t_worker;
}

const unsigned char kCanary[16] = {0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xf0, 0x0d,
                                   0x5a, 0xa5, 0x3c, 0xc3, 0x69, 0x96, 0x0f, 0xf0};

// block_end checks what a block must leave as it found it: MXCSR and the
// x87 control word (csr0, cw0 at its start) and the canary after its dynamic
// shared memory sm; false with w->err on failure.
//
// MXCSR's six exception flags (bits 0-5) are sticky status, not control:
// arithmetic sets them (a denormal, an inexact result), so they are not
// compared, and they are cleared back to the block's start (a thread run
// without a fiber leaves them on the worker's MXCSR; a fiber's are dropped
// at its switch back to the scheduler).
constexpr uint32_t kMXCSRFlags = 0x3f;

bool block_end(Worker* w, Launch* L, unsigned char* sm, uint32_t csr0, uint16_t cw0) {
  uint32_t csr = mxcsr();
  if ((csr & ~kMXCSRFlags) != (csr0 & ~kMXCSRFlags) || x87cw() != cw0) {
    snprintf(w->err, sizeof w->err, "the block changed MXCSR (%#x -> %#x) or the x87 control word (%#x -> %#x)",
             csr0, csr, cw0, x87cw());
    set_fp_control(csr0, cw0);
    return false;
  }
  if (csr != csr0) set_fp_control(csr0, cw0);
  for (int i = 0; i < EMU_CANARY_BYTES; i++) {
    if (sm[L->shared + i] != kCanary[i & 15]) {
      snprintf(w->err, sizeof w->err,
               "dynamic shared memory overrun: byte %d past the %d bytes of the launch was written", i, L->shared);
      return false;
    }
  }
  return true;
}

// block_start fills the dynamic shared memory of the launch with NaN words,
// then the canary; it returns the memory.
unsigned char* block_start(Launch* L) {
  unsigned char* sm = emu_dyn_shared;
  uint32_t* sw = (uint32_t*)sm;
  for (int i = 0; i < (L->shared + 3) / 4; i++) sw[i] = 0x7fffffffu;
  for (int i = 0; i < EMU_CANARY_BYTES; i++) sm[L->shared + i] = kCanary[i & 15];
  return sm;
}

// run_direct runs block b of a sync-free kernel: its threads as plain calls
// on the worker's stack, one after the other in the order mode's order (the
// order in which fibers would start and, without barriers, finish).
bool run_direct(Worker* w, Launch* L, int n) {
  int o = g_order.load(std::memory_order_relaxed);
  const uint3 bd = L->block;
  if (o == 2 || w->tids_order != o || w->tids_block.x != bd.x || w->tids_block.y != bd.y ||
      w->tids_block.z != bd.z) {
    if ((int)w->tids.size() < n) w->tids.resize(n);
    if (o == 2) {
      if ((int)w->order.size() < n) w->order.resize(n);
      w->phase = 0;
      shuffle_order(w, n);
    }
    for (int k = 0; k < n; k++) {
      int i = o == 0 ? k : o == 1 ? n - 1 - k : w->order[k];
      w->tids[k] = uint3{(unsigned)i % bd.x, (unsigned)i / bd.x % bd.y, (unsigned)i / (bd.x * bd.y)};
    }
    w->tids_order = o;
    w->tids_block = bd;
  }
  unsigned char* sm = block_start(L);
  uint32_t csr0 = mxcsr();
  uint16_t cw0 = x87cw();
  w->dhead.direct = 1;
  t_fiber = &w->dhead;
  try {
    L->k->loop(L->k->fn, L->slots, &w->dhead, w->tids.data(), n);
  } catch (const DirectSync& e) {
    const uint3 t = w->dhead.tid;
    snprintf(w->err, sizeof w->err,
             "classified sync-free but reached %s at %s:%d (block (%u,%u,%u), thread (%u,%u,%u)); fix gen.go", e.what,
             base_name(e.file), e.line, blockIdx.x, blockIdx.y, blockIdx.z, t.x, t.y, t.z);
    w->err_whole = true;
    t_fiber = nullptr;
    return false;
  }
  t_fiber = nullptr;
  return block_end(w, L, sm, csr0, cw0);
}

// run_block runs block b of L on this worker; false with w->err on failure.
bool run_block(Worker* w, Launch* L, int64_t b) {
  blockIdx = uint3{(unsigned)(b % L->grid.x), (unsigned)(b / L->grid.x % L->grid.y),
                   (unsigned)(b / ((int64_t)L->grid.x * L->grid.y))};
  blockDim = L->block;
  gridDim = L->grid;
  int n = (int)(L->block.x * L->block.y * L->block.z);
  w->err_whole = false;
  if (L->direct) return run_direct(w, L, n);
  ensure_fibers(w, n);
  w->launch = L;
  w->n = n;
  w->queue.resize(n);
  if ((int)w->order.size() < n) w->order.resize(n);
  w->qhead = w->qcount = 0;
  int nw = (n + 31) / 32;
  w->warps.assign(nw, Warp{});
  if (n % 32) w->warps[nw - 1].exited = ~0u << (n % 32);
  w->exited = w->at_barrier = 0;
  w->failed = false;
  w->phase = 0;
  unsigned tx = 0, ty = 0, tz = 0;
  for (int i = 0; i < n; i++) {
    Fiber* f = w->fibers[i];
    f->lin = i;
    f->warp = i >> 5;
    f->lane = i & 31;
    f->tid = uint3{tx, ty, tz};
    f->state = READY;
    if (++tx == L->block.x) {
      tx = 0;
      if (++ty == L->block.y) ty = 0, tz++;
    }
  }
  // Dynamic shared memory: NaN words, then the canary.
  unsigned char* sm = block_start(L);
  uint32_t csr0 = mxcsr();
  uint16_t cw0 = x87cw();
  push_all(w);
  while (w->qcount > 0) {
    int i = w->queue[w->qhead];
    if (++w->qhead == n) w->qhead = 0;
    w->qcount--;
    to_fiber(w, w->fibers[i]);
    if (w->failed) break;
  }
  bool ok = !w->failed;
  if (ok && w->exited != n) {
    // Nothing can run and not every thread exited (the checks at each
    // arrival should have caught this: a generic report).
    int coll = 0, bar = 0;
    Fiber* g = nullptr;
    for (int i = 0; i < n; i++) {
      Fiber* f = w->fibers[i];
      if (f->state == AT_COLL) coll++, g = g ? g : f;
      if (f->state == AT_BARRIER) bar++;
    }
    snprintf(w->err, sizeof w->err, "deadlock: %d threads exited, %d wait at __syncthreads, %d in warp collectives%s",
             w->exited, bar, coll, "");
    if (g) {
      size_t l = strlen(w->err);
      snprintf(w->err + l, sizeof w->err - l, " (e.g. thread (%u,%u,%u) in %s with mask 0x%08x)", TID(g),
               coll_name(g->ckind), g->cmask);
    }
    ok = false;
  }
  if (!ok) {
    for (int i = 0; i < n; i++)
      if (w->fibers[i]->state != EXITED) fiber_init(w->fibers[i]);
    return false;
  }
  return block_end(w, L, sm, csr0, cw0);
}

void run_launch(void* ctx) {
  Launch* L = (Launch*)ctx;
  Worker* w = worker();
  for (;;) {
    if (L->failed.load(std::memory_order_relaxed)) return;
    int64_t b = L->next.fetch_add(1);
    if (b >= L->nblocks) return;
    if (!run_block(w, L, b)) {
      // The lowest failing block reports (blocks are claimed in increasing
      // order and a claimed block runs to its end, so this is deterministic).
      std::lock_guard<std::mutex> g(L->mu);
      if (!L->failed.load() || b < L->fail_block) {
        L->fail_block = b;
        char head[128];
        snprintf(head, sizeof head, "block (%u,%u,%u): ", blockIdx.x, blockIdx.y, blockIdx.z);
        L->err = w->err_whole ? std::string(w->err) : std::string(head) + w->err;
        L->failed.store(true);
      }
      return;
    }
  }
}

// ---------------------------------------------------------------- worker pool

int default_workers() {
  if (const char* e = getenv("LATENTFLOW_EMU_WORKERS")) {
    int n = atoi(e);
    if (n >= 1) return n;
  }
  int n = (int)std::thread::hardware_concurrency();
  return n < 1 ? 1 : n;
}

// Pool runs a job on the calling thread and up to want-1 helper threads;
// each runs fn(ctx), which claims its own work.
struct Pool {
  std::mutex mu;
  std::condition_variable cv, done;
  int nthreads = 0;  // helpers started
  uint64_t gen = 0;
  void (*fn)(void*) = nullptr;
  void* ctx = nullptr;
  int want = 0, joined = 0, finished = 0;
  bool closed = true;

  void helper() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lk(mu);
    for (;;) {
      cv.wait(lk, [&] { return gen != seen; });
      seen = gen;
      if (closed || joined >= want) continue;
      joined++;
      auto f = fn;
      void* c = ctx;
      lk.unlock();
      f(c);
      lk.lock();
      finished++;
      done.notify_all();
    }
  }

  void run(void (*f)(void*), void* c, int workers) {
    if (workers <= 1) {
      f(c);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu);
      while (nthreads < workers - 1) {
        std::thread([this] { helper(); }).detach();
        nthreads++;
      }
      fn = f;
      ctx = c;
      want = workers - 1;
      joined = finished = 0;
      closed = false;
      gen++;
    }
    cv.notify_all();
    f(c);
    std::unique_lock<std::mutex> lk(mu);
    closed = true;
    done.wait(lk, [&] { return finished == joined; });
  }
};

Pool g_pool;
std::mutex g_launch_mu;  // one launch or GEMM at a time (one stream)
std::atomic<int> g_workers{0};

}  // namespace

// run_parallel runs fn(ctx) on up to `tasks` workers (for gemm.cc).
void run_parallel(void (*fn)(void*), void* ctx, int64_t tasks) {
  int w = g_workers.load();
  if (w <= 0) g_workers.store(w = default_workers());
  if (tasks < w) w = (int)tasks;
  g_pool.run(fn, ctx, w);
}

std::mutex& launch_mutex() { return g_launch_mu; }

}  // namespace emu

extern "C" int emu_launch(int k, const int* grid, const int* block, int shared, const uint64_t* slots, int nargs,
                          char* err, int errlen) {
  (void)nargs;
  std::lock_guard<std::mutex> g(launch_mutex());
  Launch L;
  L.k = &table()[k];
  L.grid = uint3{(unsigned)grid[0], (unsigned)grid[1], (unsigned)grid[2]};
  L.block = uint3{(unsigned)block[0], (unsigned)block[1], (unsigned)block[2]};
  L.shared = shared;
  L.direct = L.k->sync_free.load(std::memory_order_relaxed) && !g_fibers.load(std::memory_order_relaxed);
  L.slots = slots;
  L.nblocks = (int64_t)grid[0] * grid[1] * grid[2];
  run_parallel(run_launch, &L, L.nblocks);
  if (L.failed.load()) {
    snprintf(err, (size_t)errlen, "%s", L.err.c_str());
    return -1;
  }
  return 0;
}

extern "C" void emu_set_fibers(int on) { g_fibers.store(on ? 1 : 0); }

extern "C" void emu_set_order(int order, uint64_t seed) {
  g_order.store(order);
  g_seed.store(seed);
}

extern "C" int emu_workers(void) {
  int w = g_workers.load();
  return w > 0 ? w : default_workers();
}

extern "C" void emu_set_workers(int n) { g_workers.store(n < 1 ? 0 : n); }
