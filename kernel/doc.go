// Package kernel is Stylelab's Jupyter kernel, "Go (Stylelab)": Go cells
// interpreted by gomacro, with Stylelab's packages, gonum/plot and the
// display package linked in (see kernel/bindings), spoken to over the
// Jupyter messaging protocol 5.3 (see kernel/jupyter).
//
// Serve runs one kernel for one connection file. The shell channel handles
// one request at a time; a cell runs on the interpreter's goroutine while
// the control channel (interrupt, shutdown, kernel info) and the heartbeat
// stay served. Each cell gets a context, the predeclared variable ctx,
// that an interrupt (interrupt_request or SIGINT) cancels; the interrupt
// also stops interpreted code within a few statements. Stylelab's
// transfers watch ctx and stop at their next iteration, logged
// INTERRUPTED. Compiled code that ignores ctx (time.Sleep, a receive from
// a channel nobody sends on) cannot be preempted: a cell that has not
// stopped a second after its interrupt is abandoned, ends as Interrupted,
// and later cells run on a new goroutine (see runner.go for the
// trade-off: should the abandoned one wake up, it runs a few statements
// concurrently with them). After an interrupt the session and all its
// variables remain.
//
// A cell's standard output and error become stream messages; a cell that
// reads standard input (fmt.Scanln, bufio on os.Stdin) gets a line from
// the notebook through an input_request. The value of a cell's last
// expression is its result, rendered by display.Render: images as PNG,
// runs and comparisons as HTML, plots inline, other values as text. A
// cell "name?" shows the documentation of name in the pager. fmt and
// display are imported in every session; other packages linked into the
// kernel need an import line, and importing one that is not linked fails
// at once, saying how to link it. A cell's errors name its line and column
// in the Go compiler's words, and a panic the interpreted calls that led
// to it (errors.go). A cell "%gofmt" formats its code in place; exit and
// quit leave jupyter console (magic.go, exit.go).
//
// Known limits, from gomacro: an untyped string (or bool) constant used
// as a compiled named type fails or compares wrongly (store.Status("X")
// panics, and rec.Status == "FINISHED" is false; compare with
// store.StatusFinished); generic functions and types of linked packages
// cannot be called; close, delete and copy cannot be deferred or run by a
// go statement. Linux only: standard input is watched through /proc.
//
// Faults (README: "What ends the kernel"): a peer's messages are bounded
// before any signature is checked (Settings.MaxMessageSize, and
// third_party/zmq4) and replayed ones dropped. A panic on a goroutine a
// cell's go statement started is reported on that cell's standard error
// (goroutines.go); os.Exit and log.Fatal end the cell, not the kernel
// (exit.go); while a cell runs, guards interrupt it before its stacks or
// the process's memory reach what Go cannot survive (guard.go). What still
// ends the process is reported to the notebook by a crash monitor process
// (monitor.go). The kernel exits when the process that started it ends
// (parent.go).
package kernel
