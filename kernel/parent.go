package kernel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// parentPoll is how often the kernel checks that its parent lives, as
// ipykernel's parent poller.
const parentPoll = time.Second

// watchParent reports, once, why the kernel should end because the
// process that started it did: the kernel's parent process is no longer
// parent (it ended, and the kernel was handed to init or a subreaper), or
// the process jpyParent (JPY_PARENT_PID, 0 for none) ended. It stops when
// ctx ends.
func watchParent(ctx context.Context, parent, jpyParent int) <-chan string {
	gone := make(chan string, 1)
	go func() {
		tick := time.NewTicker(parentPoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if now := os.Getppid(); now != parent {
				gone <- fmt.Sprintf("the parent process %d ended (the kernel's parent is now %d)", parent, now)
				return
			}
			if jpyParent > 0 && jpyParent != parent && !processAlive(jpyParent) {
				gone <- fmt.Sprintf("the process %d that started the kernel (JPY_PARENT_PID) ended", jpyParent)
				return
			}
		}
	}()
	return gone
}

// processAlive reports whether pid is a process that has not ended: it
// exists (a process of another user counts) and is not a zombie.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: trust kill
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) == 0 || (fields[0] != "Z" && fields[0] != "X")
}
