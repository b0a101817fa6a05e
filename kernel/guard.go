package kernel

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Two of the errors that end a Go program cannot be recovered: a goroutine
// whose stack outgrows the maximum (fatal error: stack overflow) and a
// process that runs out of memory (fatal error, or the system's
// out-of-memory killer). The guard watches both while a cell runs and
// interrupts the cell before the runtime would end the kernel: when the
// goroutines' stacks have grown by more than a quarter of the maximum
// stack during the cell (a stack that grows doubles: from a quarter of the
// maximum, it can double twice more before it is fatal), or when the
// process's memory passes the kernel's limit and has grown during the
// cell. Growth, not size: a stack or a heap left large by an earlier cell
// must not interrupt the next one.

// guardPoll is how often the guard samples the runtime's metrics.
const guardPoll = 10 * time.Millisecond

// memoryGrowth is how much the memory must have grown during a cell, past
// the limit, for the guard to interrupt it: a cell that frees what earlier
// ones hold must not be interrupted.
const memoryGrowth = 64 << 20

// guard holds the bounds a running cell is held to.
type guard struct {
	maxStack    int64 // Go's maximum stack per goroutine, as set
	memoryLimit int64 // the process's memory limit, as set
}

// newGuard sets the runtime's maximum stack and memory limit (the garbage
// collector works harder as memory nears the limit) and returns the guard
// that holds cells to them.
func newGuard(s Settings) guard {
	debug.SetMaxStack(int(s.MaxStack))
	debug.SetMemoryLimit(s.MemoryLimit)
	return guard{maxStack: s.MaxStack, memoryLimit: s.MemoryLimit}
}

var guardMetrics = []string{
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
}

// sample reads the goroutines' stacks and the memory the process holds
// from the system, as the runtime counts it for its memory limit.
func sample(s []metrics.Sample) (stacks, memory int64) {
	metrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64()) - int64(s[2].Value.Uint64())
}

// watch samples the runtime until the returned stop is called; if a bound
// is passed first, it calls trip once with the error the cell should end
// with.
func (g guard) watch(trip func(*cellError)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := make([]metrics.Sample, len(guardMetrics))
		for i, name := range guardMetrics {
			s[i].Name = name
		}
		startStacks, startMemory := sample(s)
		tick := time.NewTicker(guardPoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			stacks, memory := sample(s)
			if stacks-startStacks > g.maxStack/4 {
				trip(stackError(stacks, g.maxStack))
				return
			}
			if memory > g.memoryLimit && memory-startMemory > memoryGrowth {
				trip(memoryError(memory, g.memoryLimit))
				return
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}

func stackError(stacks, maxStack int64) *cellError {
	v := fmt.Sprintf("the goroutines' stacks grew to %d MiB, by more than a quarter of Go's maximum stack (%d MiB), at which the process "+
		"would end with a fatal stack overflow: the cell was interrupted. Recursion without end? (%s sets the maximum)", stacks>>20, maxStack>>20, EnvMaxStack)
	return &cellError{Name: "StackOverflow", Value: v, Traceback: []string{"StackOverflow: " + v}}
}

func memoryError(memory, limit int64) *cellError {
	v := fmt.Sprintf("the kernel's memory grew to %d MiB, past its limit of %d MiB (%s): the cell was interrupted before the process runs out "+
		"of memory. Its variables are kept; set the large ones to nil to free them", memory>>20, limit>>20, EnvMemoryLimit)
	return &cellError{Name: "MemoryError", Value: v, Traceback: []string{"MemoryError: " + v}}
}

// defaultMemoryLimit is three quarters of the memory the process may use:
// the physical memory, or the cgroup's limit if lower; GOMEMLIMIT wins if
// set.
func defaultMemoryLimit() int64 {
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 { // GOMEMLIMIT
		return limit
	}
	total := memTotal()
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	if total <= 0 {
		return 8 << 30 // no way to tell: a size most machines that run notebooks have
	}
	return total / 4 * 3
}

// memTotal is the machine's physical memory from /proc/meminfo, 0 if unknown.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
