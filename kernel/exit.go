package kernel

import (
	"fmt"
	"log"
	"reflect"
	"strings"

	"github.com/cosmos72/gomacro/imports"
)

// exitCall is what a cell's os.Exit (or log.Fatal) panics with instead of
// ending the process: the kernel keeps the session, as IPython's kernel
// does with sys.exit, and reports the call as the cell's error.
type exitCall int

func (e exitCall) Error() string {
	return fmt.Sprintf("os.Exit(%d) was called: the kernel does not exit, so that the session and its variables survive (restart the kernel to end it)", int(e))
}

// interceptExits replaces, for interpreted code, the functions of the
// standard library that end the process: os.Exit, and log.Fatal, Fatalf
// and Fatalln, which print first. Compiled code that calls them (a
// *log.Logger's Fatal methods included) still ends the process; the crash
// monitor then reports it (see monitor.go).
func interceptExits() {
	if pkg, ok := imports.Packages["os"]; ok {
		pkg.Binds["Exit"] = reflect.ValueOf(func(code int) { panic(exitCall(code)) })
	}
	if pkg, ok := imports.Packages["log"]; ok {
		pkg.Binds["Fatal"] = reflect.ValueOf(func(v ...any) {
			log.Output(2, fmt.Sprint(v...))
			panic(exitCall(1))
		})
		pkg.Binds["Fatalf"] = reflect.ValueOf(func(format string, v ...any) {
			log.Output(2, fmt.Sprintf(format, v...))
			panic(exitCall(1))
		})
		pkg.Binds["Fatalln"] = reflect.ValueOf(func(v ...any) {
			log.Output(2, fmt.Sprintln(v...))
			panic(exitCall(1))
		})
	}
}

// exitCommand recognises a cell that asks jupyter console to leave:
// exit or quit, with or without parentheses, as in IPython.
func exitCommand(code string) bool {
	switch strings.TrimSpace(code) {
	case "exit", "quit", "exit()", "quit()":
		return true
	}
	return false
}
