package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/stylelab/stylelab/internal/services"
)

// The PostgreSQL server and Slurm cluster of this test binary, started by
// the first test that needs them and stopped by TestMain.
var (
	testPG    = services.Shared{Settings: []string{"fsync=off"}}
	testSlurm services.SharedSlurm
)

// TestMain stops the services the tests started and removes the binary
// they built.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	for name, stop := range map[string]func() error{"Slurm": testSlurm.Stop, "PostgreSQL": testPG.Stop} {
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop %s: %v\n", name, err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}
