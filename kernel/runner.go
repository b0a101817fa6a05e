package kernel

import (
	"fmt"
	"time"

	"github.com/cosmos72/gomacro/fast"
)

// The interpreter's jobs run on one goroutine, the runner. A cell blocked
// in compiled code that ignores ctx (time.Sleep, a receive from a channel
// nobody sends on) cannot be stopped: gomacro's interrupt only takes
// effect at the cell's next statement. So the kernel abandons it: the
// runner is retired, left blocked, and a new one takes over the jobs and
// the session, with all its variables.
//
// The new runner needs gomacro state of its own: gomacro keeps a Run
// (signals, defers, a pool of frames) per goroutine and gives the
// session's top level the Run of the goroutine that runs it. rehome makes
// gomacro create a Run for the new runner, by calling an interpreted
// function from it, and gives that Run to the top level. The old runner
// keeps its Run, whose interrupt stays pending: should it wake up, it
// finishes the statement it was blocked in and stops at the next one,
// then ends.
//
// The trade-off: until it stops, the abandoned cell runs concurrently
// with later cells. The statement it was blocked in may still assign
// variables (x = <-ch) or print into a later cell's output; compiled code
// it was in (a transfer that watches ctx) finishes on its own.

// interruptGrace is how long an interrupted cell has to stop before it is
// abandoned.
const interruptGrace = time.Second

// rehomeName is the interpreted function, declared in every session, that
// calls the native hereName from a new runner with Interp() (gomacro's
// builtin giving the calling frame), so that rehome learns the runner's Run.
const (
	rehomeName = "__stylelab_rehome"
	hereName   = "__stylelab_here"
)

func (in *interp) declareRehome(ir *fast.Interp) {
	ir.DeclFunc(hereName, func(frame any) {
		run := frame.(*fast.Interp).PrepareEnv().Run
		in.mu.Lock()
		in.here = run
		in.mu.Unlock()
	})
	ir.Eval("func " + rehomeName + "() { " + hereName + "(Interp()) }")
}

// runJobs runs jobs while it is the runner of generation gen. Should a job
// end the goroutine (runtime.Goexit), a new runner takes over.
func (in *interp) runJobs(gen int) {
	for job := range in.jobs {
		returned := false
		func() {
			defer func() {
				if !returned {
					fmt.Fprintln(in.log, "a job ended the interpreter's goroutine; a new one takes over")
					in.abandon()
				}
			}()
			job()
			returned = true
		}()
		if in.generation() != gen {
			return // abandoned while the job ran
		}
	}
}

// generation is the runner's generation now.
func (in *interp) generation() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.runner
}

// start runs f on the runner; the channel is closed once f returns (or
// ends its goroutine).
func (in *interp) start(f func()) <-chan struct{} {
	done := make(chan struct{})
	in.pending.Add(1)
	in.jobs <- func() {
		defer in.pending.Done()
		defer close(done)
		f()
	}
	return done
}

// do runs f on the runner and waits for it.
func (in *interp) do(f func()) { <-in.start(f) }

// idle is closed once no job runs, abandoned ones included.
func (in *interp) idle() <-chan struct{} {
	c := make(chan struct{})
	go func() {
		in.pending.Wait()
		close(c)
	}()
	return c
}

// abandon retires the runner, which is running a job that does not
// return, and starts a new one on the session.
func (in *interp) abandon() {
	in.mu.Lock()
	in.runner++
	gen := in.runner
	in.mu.Unlock()
	started := make(chan struct{})
	go func() {
		if err := in.rehome(); err != nil {
			// The session still runs, sharing the old runner's gomacro
			// state: an interrupt may then miss code in functions.
			fmt.Fprintln(in.log, err)
		}
		close(started)
		in.runJobs(gen)
	}()
	<-started
}

// rehome gives the session's top level a gomacro Run of the calling
// goroutine.
func (in *interp) rehome() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kernel: moving the session to a new goroutine: %v", r)
		}
	}()
	in.mu.Lock()
	in.here = nil
	in.mu.Unlock()
	in.ir.ValueOf(rehomeName).ReflectValue().Interface().(func())()
	in.mu.Lock()
	run := in.here
	in.mu.Unlock()
	if run == nil {
		return fmt.Errorf("kernel: moving the session to a new goroutine: %s did not run", rehomeName)
	}
	for e := in.env; e != nil; e = e.Outer {
		e.Run = run
	}
	return nil
}
