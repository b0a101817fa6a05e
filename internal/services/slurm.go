package services

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Slurm is a one-node Slurm cluster of its own: munged, slurmctld and
// slurmd on this machine, configured by a slurm.conf in a temporary
// folder, with one partition "debug" holding every CPU. Commands such as
// sbatch and squeue reach it with Env.
type Slurm struct {
	Dir  string // the cluster's folder: slurm.conf, state, logs
	Node string // the node's name (this host's short name)
	CPUs int
}

// StartSlurm starts munged, slurmctld and slurmd and waits until the node
// is idle. It must run as root: slurmd starts jobs as their users.
func StartSlurm() (*Slurm, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("services: a Slurm test cluster needs root (slurmd runs each job as its user); run the tests as root, as CI does")
	}
	var bins = map[string]string{}
	for _, name := range []string{"munged", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "scontrol", "scancel"} {
		p, err := findBinary(name, "/usr/sbin", "/usr/bin")
		if err != nil {
			return nil, fmt.Errorf("services: %w: run scripts/install-deps.sh (Debian packages slurm-wlm and munge)", err)
		}
		bins[name] = p
	}
	reapOrphans(slurmPrefix, func(dir string) {
		(&Slurm{Dir: dir}).Stop()
	})
	dir, err := tempDir(slurmPrefix)
	if err != nil {
		return nil, err
	}
	s := &Slurm{Dir: dir, CPUs: runtime.NumCPU()}
	if err := writeOwner(dir); err != nil {
		s.Stop()
		return nil, fmt.Errorf("services: %w", err)
	}
	if err := s.start(bins); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// slurmPrefix starts the names of the clusters' folders in the temp directory.
const slurmPrefix = "stylelab-slurm-"

func (s *Slurm) path(elem ...string) string {
	return filepath.Join(append([]string{s.Dir}, elem...)...)
}

func (s *Slurm) start(bins map[string]string) error {
	for _, d := range []string{"state", "spool", "log", "munge", "run"} {
		if err := os.MkdirAll(s.path(d), 0o755); err != nil {
			return fmt.Errorf("services: %w", err)
		}
	}
	if err := os.Chmod(s.path("munge"), 0o700); err != nil {
		return fmt.Errorf("services: %w", err)
	}
	key := make([]byte, 1024)
	rand.Read(key)
	if err := os.WriteFile(s.path("munge", "munge.key"), key, 0o400); err != nil {
		return fmt.Errorf("services: munge key: %w", err)
	}
	err := run(exec.Command(bins["munged"], "--key-file="+s.path("munge", "munge.key"), "--socket="+s.socket(),
		"--pid-file="+s.path("run", "munged.pid"), "--log-file="+s.path("log", "munged.log"), "--seed-file="+s.path("munge", "seed")))
	if err != nil {
		return fmt.Errorf("services: start munged: %w\n%s", err, tail(s.path("log", "munged.log"), 2000))
	}
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("services: host name: %w", err)
	}
	s.Node, _, _ = strings.Cut(host, ".")
	ctlPort, err := freePort()
	if err != nil {
		return err
	}
	dPort, err := freePort()
	if err != nil {
		return err
	}
	if dPort == ctlPort {
		dPort++
	}
	if err := os.WriteFile(s.Conf(), []byte(s.config(ctlPort, dPort)), 0o644); err != nil {
		return fmt.Errorf("services: slurm.conf: %w", err)
	}
	for _, d := range []struct{ bin, log string }{{"slurmctld", "slurmctld.log"}, {"slurmd", "slurmd.log"}} {
		args := []string{}
		if d.bin == "slurmctld" {
			args = append(args, "-c") // a clean start: no state from before
		}
		cmd := exec.Command(bins[d.bin], args...)
		cmd.Env = s.Env()
		if err := run(cmd); err != nil {
			return fmt.Errorf("services: start %s: %w\n%s", d.bin, err, tail(s.path("log", d.log), 2000))
		}
	}
	var last string
	idle := waitFor(60*time.Second, func() bool {
		cmd := exec.Command(bins["sinfo"], "-h", "-N", "-o", "%t")
		cmd.Env = s.Env()
		out, _ := cmd.CombinedOutput()
		last = strings.TrimSpace(string(out))
		return last == "idle"
	})
	if !idle {
		return fmt.Errorf("services: the Slurm node did not become idle within 60 s (sinfo says %q)\nslurmctld log:\n%s\nslurmd log:\n%s",
			last, tail(s.path("log", "slurmctld.log"), 2000), tail(s.path("log", "slurmd.log"), 2000))
	}
	return nil
}

func (s *Slurm) socket() string { return s.path("run", "munge.sock") }

// Conf is the path of the cluster's slurm.conf.
func (s *Slurm) Conf() string { return s.path("slurm.conf") }

// config is slurm.conf: no accounting, no cgroups, every CPU of this
// machine in one partition, memory not scheduled.
func (s *Slurm) config(ctlPort, dPort int) string {
	mem := memoryMB() * 3 / 4
	lines := []string{
		"ClusterName=stylelab-test",
		"SlurmctldHost=" + s.Node,
		"SlurmUser=root",
		"SlurmdUser=root",
		"SlurmctldPort=" + strconv.Itoa(ctlPort),
		"SlurmdPort=" + strconv.Itoa(dPort),
		"AuthType=auth/munge",
		"CryptoType=crypto/munge",
		"AuthInfo=socket=" + s.socket(),
		"StateSaveLocation=" + s.path("state"),
		"SlurmdSpoolDir=" + s.path("spool"),
		"SlurmctldPidFile=" + s.path("run", "slurmctld.pid"),
		"SlurmdPidFile=" + s.path("run", "slurmd.pid"),
		"SlurmctldLogFile=" + s.path("log", "slurmctld.log"),
		"SlurmdLogFile=" + s.path("log", "slurmd.log"),
		"ProctrackType=proctrack/linuxproc",
		"TaskPlugin=task/none",
		"JobAcctGatherType=jobacct_gather/none",
		"AccountingStorageType=accounting_storage/none",
		"SwitchType=switch/none",
		"MpiDefault=none",
		"SchedulerType=sched/backfill",
		"SchedulerParameters=sched_min_interval=100000",
		"SelectType=select/cons_tres",
		"SelectTypeParameters=CR_Core",
		"ReturnToService=2",
		"KillWait=10",
		"MinJobAge=600",
		fmt.Sprintf("NodeName=%s CPUs=%d RealMemory=%d State=UNKNOWN", s.Node, s.CPUs, max(mem, 100)),
		fmt.Sprintf("PartitionName=debug Nodes=%s Default=YES MaxTime=INFINITE State=UP", s.Node),
	}
	return strings.Join(lines, "\n") + "\n"
}

// memoryMB is the machine's memory in MiB, from /proc/meminfo (1024 if unknown).
func memoryMB() int {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 1024
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
			if kb, err := strconv.Atoi(f[1]); err == nil {
				return kb / 1024
			}
		}
	}
	return 1024
}

// Env is this process's environment with SLURM_CONF pointing at the
// cluster, for sbatch, squeue, scontrol and scancel.
func (s *Slurm) Env() []string {
	return append(os.Environ(), "SLURM_CONF="+s.Conf())
}

// Log is the end of the controller's and the node daemon's logs.
func (s *Slurm) Log() string {
	return "slurmctld:\n" + tail(s.path("log", "slurmctld.log"), 3000) + "\nslurmd:\n" + tail(s.path("log", "slurmd.log"), 3000)
}

// Stop ends slurmd, slurmctld and munged (by their pid files) and removes
// the cluster's folder. Jobs still running are killed with slurmd.
func (s *Slurm) Stop() error {
	var errs []error
	if _, err := os.Stat(s.path("run", "slurmctld.pid")); err == nil {
		// Jobs first, so that no task outlives its cluster.
		cancel := exec.Command("scancel", "--full", "--user=root")
		cancel.Env = s.Env()
		cancel.Run()
		waitFor(20*time.Second, func() bool {
			q := exec.Command("squeue", "-h", "-o", "%A")
			q.Env = s.Env()
			out, err := q.Output()
			return err != nil || strings.TrimSpace(string(out)) == ""
		})
	}
	for _, d := range []string{"slurmd", "slurmctld", "munged"} {
		if err := stopPid(s.path("run", d+".pid"), 15*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// SharedSlurm is a Slurm cluster started on first use and shared by the
// tests of one test binary, which stop it from TestMain. The zero value is
// ready to use.
type SharedSlurm struct {
	once sync.Once
	s    *Slurm
	err  error
}

// Get starts the cluster the first time and returns it (or why it could
// not start, every time).
func (s *SharedSlurm) Get() (*Slurm, error) {
	s.once.Do(func() { s.s, s.err = StartSlurm() })
	return s.s, s.err
}

// Stop stops the cluster if it was started.
func (s *SharedSlurm) Stop() error {
	s.once.Do(func() { s.err = errors.New("services: the shared cluster is stopped") })
	if s.s == nil {
		return nil
	}
	return s.s.Stop()
}
