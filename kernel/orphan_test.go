package kernel_test

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stylelab/stylelab/kernel/jupyter"
)

// TestOrphanExits starts the kernel from an intermediate shell, as a
// notebook server or a console would, and ends that process (or the one
// JPY_PARENT_PID names) with SIGKILL, so that it cannot stop the kernel
// itself: the kernel must notice and exit, saying why in its log.
func TestOrphanExits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the kernel process; skipped with -short")
	}
	bin := stylelabBinary(t)
	const background = `"$0" kernel -f "$1" 2>"$2" & echo $!; wait`
	for _, c := range []struct {
		name    string
		script  string // sh -c script starting the kernel in the background
		jpy     bool   // JPY_PARENT_PID names another process, which is killed
		wantLog string
	}{
		{"parent killed", background, false, "stopping: the parent process"},
		{"parent killed, JPY_PARENT_PID naming it", "JPY_PARENT_PID=$$ " + background, false, "stopping: the parent process"},
		{"JPY_PARENT_PID's process killed, parent alive", background, true, "(JPY_PARENT_PID) ended"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := writeConnectionFile(t, dir)
			logPath := filepath.Join(dir, "kernel.log")
			shell := exec.Command("sh", "-c", c.script, bin, file, logPath)
			shell.Env = os.Environ()
			var jpy *exec.Cmd
			if c.jpy {
				jpy = exec.Command("sleep", "600")
				if err := jpy.Start(); err != nil {
					t.Fatal(err)
				}
				defer func() {
					jpy.Process.Kill()
					jpy.Wait()
				}()
				shell.Env = append(shell.Env, "JPY_PARENT_PID="+strconv.Itoa(jpy.Process.Pid))
			}
			out, err := shell.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := shell.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				shell.Process.Kill()
				shell.Wait()
			}()
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				t.Fatalf("reading the kernel's pid: %v", err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(line))
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Kill(pid, syscall.SIGKILL) // should the test fail
			waitListening(t, file, 30*time.Second)

			end := shell.Process
			if c.jpy {
				end = jpy.Process
			}
			if err := end.Kill(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for processRuns(pid) {
				if time.Now().After(deadline) {
					log, _ := os.ReadFile(logPath)
					t.Fatalf("the kernel (pid %d) still runs 20s after its parent ended; its log:\n%s", pid, log)
				}
				time.Sleep(100 * time.Millisecond)
			}
			// The crash monitor, a process of its own at a lower priority,
			// copies the kernel's standard error to the log: it may still be
			// copying when the kernel has ended.
			var log []byte
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if log, err = os.ReadFile(logPath); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(log), c.wantLog) || time.Now().After(deadline) {
					break
				}
			}
			if !strings.Contains(string(log), c.wantLog) {
				t.Errorf("the kernel's log does not say %q:\n%s", c.wantLog, log)
			}
		})
	}
}

// waitListening waits until the kernel of a connection file accepts
// connections on its shell port.
func waitListening(t *testing.T, file string, timeout time.Duration) {
	t.Helper()
	info, err := jupyter.ReadConnectionFile(file)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(info.IP, strconv.Itoa(info.ShellPort))
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kernel does not listen at %s after %v: %v", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeConnectionFile writes a connection file on free ports in dir.
func writeConnectionFile(t *testing.T, dir string) string {
	ports := freePorts(t, 5)
	key := jupyter.NewID()
	info := jupyter.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: ports[0], IOPubPort: ports[1],
		StdinPort: ports[2], ControlPort: ports[3], HBPort: ports[4], SignatureScheme: "hmac-sha256", Key: key}
	data, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "kernel-"+key+".json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// processRuns reports whether pid exists and is not a zombie.
func processRuns(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}
